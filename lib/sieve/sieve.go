// Package sieve is the Sieve mail filtering language (RFC 5228 and the
// extensions Cyrus 3.6.1 offers): the checker that timsieved and sievec
// run on every script they are given, and the compiler to Cyrus 3.6.1's
// bytecode, the <name>.bc files lmtpd executes.
//
// This file is the contract between the package and its users
// (cmd/timsieved, cmd/sievec, later lmtpd); the parser and the bytecode
// writer live beside it.
package sieve

import (
	"errors"

	"gyrus/lib/config"
)

// Options are what imapd.conf decides about compiling a script.
type Options struct {
	// Extensions are the enabled extensions (sieve_extensions); the
	// generated constants config.SieveExtensions* name the bits.
	Extensions config.Bits
	// RFC3028Strict is rfc3028_strict: address and envelope tests only
	// on address headers.
	RFC3028Strict bool
}

// OptionsFromConfig reads sieve_extensions and rfc3028_strict.
func OptionsFromConfig(c *config.Config) Options {
	return Options{Extensions: c.SieveExtensions(), RFC3028Strict: c.Rfc3028Strict()}
}

// Capability is the value of the SIEVE capability timsieved announces:
// the extensions that are both enabled and implemented here, in Cyrus's
// order and spelling, separated by spaces.
func (o Options) Capability() string {
	return ""
}

// Problem is one error found in a script.
type Problem struct {
	Line int    // 1-based
	Msg  string // as Cyrus words it
}

// Error is the list of problems of a script that does not compile.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	return "script has errors"
}

// Compile checks src and returns its bytecode, byte for byte what Cyrus
// 3.6.1's sievec writes for the same script and options, or an *Error.
func Compile(src []byte, o Options) ([]byte, error) {
	return nil, errors.New("sieve: compiler not written yet")
}
