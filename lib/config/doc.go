// Package config reads imapd.conf, the configuration file shared by every
// Cyrus (and Gyrus) program, with the rules of Cyrus 3.6.1's libconfig
// (imapd.conf(5), spec/config.md §B):
//
//   - "key: value" lines; '#' starts a comment only at the start of a line;
//     a trailing '\' joins the next line; keys are folded to lower case;
//     "@include: file" reads another file there (a file read twice is an
//     error); a key given twice is an error.
//   - Values are typed by one option table (internal/table): string, int,
//     switch, enum, stringlist, bitfield, duration. A bare-number duration
//     is counted in the option's own unit.
//   - "<ident>_<option>" overrides <option> for the program whose ident
//     (tool name, or cyrus.conf service name) matches, wherever it appears.
//   - Keys that are not options (partition-*, sasl_*, keys for other
//     services or replication channels) are kept as "overflow" and read
//     with Overflow, Partitions, MetaPartitions and the Sync*For methods.
//   - Deprecated option names hand their value to the replacement.
//   - configdirectory is required; "{configdirectory}" at the start of a
//     string value is replaced by it.
//
// Code reads options only through the typed accessors generated from the
// table (accessors_gen.go: c.Configdirectory(), c.Timeout(),
// c.MboxlistDb()...); `go generate ./lib/config` rewrites them after the
// table changes. Defaults live in the table and nowhere else.
//
// Errors stop the program (exit EX_CONFIG): every one is an *Error naming
// file, line, key and what was expected. Things worth telling but not
// fatal (unknown keys, options Gyrus does not act on yet, deprecated
// names) come back as Notices, which the program logs once.
//
// Invariants: a *Config never changes after Load/Parse/FromMap returns, so
// goroutines share it without locks; reloading means loading a new one.
// The package takes no locks and starts no goroutines.
package config
