// This file is the contract between the package and its users
// (cmd/timsieved, cmd/sievec, later lmtpd); the parser and the bytecode
// writer live beside it (doc.go describes them and the file format).

package sieve

import (
	"fmt"
	"strings"
	"time"

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
	// VacationMinResponse and VacationMaxResponse are
	// sieve_vacation_min_response and sieve_vacation_max_response: a
	// vacation's :days or :seconds is clamped to them when compiled.
	// Zero means the default (3 days, 90 days).
	VacationMinResponse, VacationMaxResponse time.Duration
	// HTTPModules is httpmodules: Cyrus lets a script require extlists
	// only when CardDAV (the lists' home) is among them.
	HTTPModules config.Bits
}

// OptionsFromConfig reads sieve_extensions, rfc3028_strict, the
// vacation response bounds and httpmodules.
func OptionsFromConfig(c *config.Config) Options {
	return Options{
		Extensions:          c.SieveExtensions(),
		RFC3028Strict:       c.Rfc3028Strict(),
		VacationMinResponse: c.SieveVacationMinResponse(),
		VacationMaxResponse: c.SieveVacationMaxResponse(),
		HTTPModules:         c.Httpmodules(),
	}
}

func (o Options) vacationMin() int32 {
	if o.VacationMinResponse <= 0 {
		return 3 * dayToSec
	}
	return int32(min(o.VacationMinResponse/time.Second, 1<<31-1))
}

func (o Options) vacationMax() int32 {
	if o.VacationMaxResponse <= 0 {
		return 90 * dayToSec
	}
	return int32(min(o.VacationMaxResponse/time.Second, 1<<31-1))
}

// Capability is the value of the SIEVE capability timsieved announces:
// the extensions that are both enabled and implemented here, in Cyrus's
// order and spelling, separated by spaces.
func (o Options) Capability() string {
	return o.capability()
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

// Error renders the problems as Cyrus's sievec and timsieved do: one
// "line N: message" per problem, each ended by CRLF (timsieved sends the
// text as it is in its NO response; sievec prints it after "Unable to
// parse script: script errors:\r\n").
func (e *Error) Error() string {
	var b strings.Builder
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "line %d: %s\r\n", p.Line, p.Msg)
	}
	return b.String()
}

// Compile checks src and returns its bytecode, byte for byte what Cyrus
// 3.6.1's sievec writes for the same script and options, or an *Error.
func Compile(src []byte, o Options) (bc []byte, err error) {
	if len(src) > MaxScriptSize {
		return nil, &Error{Problems: []Problem{{Line: 1, Msg: fmt.Sprintf("script larger than %d bytes", MaxScriptSize)}}}
	}
	p := &parser{o: o, support: capBase}
	p.lex = newLexer(src, func(msg string) { p.errorf("%s", msg) })
	var cmds []*command
	func() {
		defer func() {
			switch r := recover().(type) {
			case nil, bail:
			case abortParse, syntaxBail:
				// bison gave up (no state to recover in, or the end
				// of the script while recovering)
				cmds = nil
			default:
				panic(r)
			}
		}()
		cmds = p.script()
	}()
	if len(p.probs) > 0 {
		return nil, &Error{Problems: p.probs}
	}
	return emit(cmds, p.has(capVariables)), nil
}
