package main

import "bytes"

// maxLine is how many bytes of a command line Cyrus reads at once: its
// command buffer is 8192 bytes including the terminating NUL, and
// prot_fgets stops after 8191. Whatever follows on a longer line is read
// as the next command, as in Cyrus.
const maxLine = 8191

// command is one client line taken apart the way Cyrus's pop3d cmdloop
// does it.
type command struct {
	name   string // keyword, ASCII lower-cased ("" for a line starting with space)
	arg    string // the argument, leading white space removed except for PASS
	hasArg bool
	// syntaxErr: a keyword followed by white space only ("-ERR Syntax
	// error"), except for AUTH, which Outlook sends as "AUTH " to list
	// the mechanisms and which counts as AUTH without argument.
	syntaxErr bool
}

// isSpace is C's isspace in the "C" locale (Cyrus's Uisspace).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// lower is C's tolower over a string: ASCII letters only.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// trimLine is what Cyrus keeps of a line read by prot_fgets: the bytes
// up to the first NUL (it handles the line as a C string), without one
// trailing LF and then one trailing CR.
func trimLine(line []byte) []byte {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// parseCommand splits a line (as read, with its line end) into keyword
// and argument: the keyword ends at the first white space character,
// the argument is the rest after that one character, with leading white
// space skipped for every command but PASS (passwords may start with a
// space). Trailing white space is kept.
func parseCommand(raw []byte) command {
	line := trimLine(raw)
	i := 0
	for i < len(line) && !isSpace(line[i]) {
		i++
	}
	c := command{name: lower(string(line[:i]))}
	if i == len(line) {
		return c
	}
	arg := line[i+1:]
	if c.name != "pass" {
		for len(arg) > 0 && isSpace(arg[0]) {
			arg = arg[1:]
		}
	}
	if len(arg) == 0 {
		if c.name != "auth" {
			c.syntaxErr = true
		}
		return c
	}
	c.arg, c.hasArg = string(arg), true
	return c
}

// parseUint32 is Cyrus's parseuint32: one or more decimal digits (no
// sign, no space) that fit in 32 bits. It returns the value and the rest
// of s after the digits.
func parseUint32(s string) (uint32, string, bool) {
	var v uint32
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		d := uint32(s[i] - '0')
		if v > 429496729 || (v == 429496729 && d > 5) {
			return 0, s, false
		}
		v = v*10 + d
		i++
	}
	if i == 0 {
		return 0, s, false
	}
	return v, s[i:], true
}

// skipSpace drops leading white space.
func skipSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	return s
}

// Answers to malformed arguments (imap/pop3d.c).
const (
	errMissing    = "-ERR Missing argument"
	errExtra      = "-ERR Unexpected extra argument"
	errNotNumber  = "-ERR Not a number"
	errNoSuchMsg  = "-ERR No such message"
	errBadLines   = "-ERR Invalid number of lines"
	errSyntax     = "-ERR Syntax error"
	errUnknownCmd = "-ERR Unrecognized command"
)

// parseMsgno reads the message number argument of LIST, RETR, DELE and
// UIDL (Cyrus parse_msgno, before the existence check). On failure it
// returns the error line to send.
func parseMsgno(arg string) (uint32, string) {
	n, rest, ok := parseUint32(skipSpace(arg))
	switch {
	case !ok:
		return 0, errNotNumber
	case rest != "":
		return 0, errExtra
	}
	return n, ""
}

// parseTop reads "msg lines" of TOP. The line count is handed on as
// Cyrus does, as a C int: 4294967295 becomes -1, the whole message.
func parseTop(arg string) (uint32, int32, string) {
	n, rest, ok := parseUint32(skipSpace(arg))
	if !ok || rest == "" {
		return 0, 0, errMissing
	}
	lines, rest, ok := parseUint32(skipSpace(rest))
	switch {
	case !ok:
		return 0, 0, errBadLines
	case rest != "":
		return 0, 0, errExtra
	}
	return n, int32(lines), ""
}
