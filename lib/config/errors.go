package config

import (
	"fmt"
	"strings"
)

// Error is a configuration problem that stops a program before it serves
// anything (exit EX_CONFIG). It names the file, the line (0 when the
// problem is not tied to one line), the key and what was expected:
//
//	/etc/imapd.conf:12: timeout: unparsable duration "10x" (want e.g. 30m)
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
	Err  error // underlying cause, e.g. an *fs.PathError
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }
