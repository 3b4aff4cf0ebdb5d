package cyrusconf

import (
	"bytes"
	"fmt"
	"strings"
)

// maxArgs is the most key=value pairs one entry may have (masterconf.c
// MAXARGS).
const maxArgs = 64

// fgetsSize is the buffer Cyrus reads each line into.
const fgetsSize = 4096

// Arg is one key=value pair of an entry, as written.
type Arg struct {
	Key   string
	Value string
}

// Entry is one line of a section: a name and its arguments in file order.
type Entry struct {
	Name string
	Line int
	Args []Arg
}

// Error is a problem in cyrus.conf, located by file and line. Its text is
// "file:line: message", e.g. "cyrus.conf:7: bad character '-' in name".
type Error struct {
	File string
	Line int // 0 when the problem has no line (e.g. the file is missing)
	Msg  string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// line is one logical line as masterconf.c sees it: the text fgets
// returned, cut at a NUL, without the final newline.
type line struct {
	no   int
	text string
}

// splitLines cuts data the way a loop of fgets(buf, 4096, f) would.
func splitLines(data []byte) []line {
	var out []line
	no := 0
	for len(data) > 0 {
		n := len(data)
		if n > fgetsSize-1 {
			n = fgetsSize - 1
		}
		if i := bytes.IndexByte(data[:n], '\n'); i >= 0 {
			n = i + 1
		}
		chunk := data[:n]
		data = data[n:]
		no++
		if i := bytes.IndexByte(chunk, 0); i >= 0 {
			chunk = chunk[:i]
		}
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			chunk = chunk[:len(chunk)-1]
		}
		out = append(out, line{no: no, text: string(chunk)})
	}
	return out
}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// isAlnum is C's isalnum in the C locale: ASCII only.
func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// clean removes leading white space and the comment, as both scanning
// loops of masterconf.c do.
func clean(s string) string {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	s = s[i:]
	if j := strings.IndexByte(s, '#'); j >= 0 {
		s = s[:j]
	}
	return s
}

// quoteChar renders the offending character of an error message.
func quoteChar(s string, i int) string {
	if i >= len(s) {
		return "end of line"
	}
	c := s[i]
	if c < ' ' || c >= 0x7f {
		return fmt.Sprintf("'\\x%02x'", c)
	}
	return "'" + string(c) + "'"
}

// section returns the entries of the first occurrence of the named
// section (masterconf_getsection).
func section(file string, lines []line, name string) ([]Entry, error) {
	level := 0
	for i := 0; i < len(lines); i++ {
		p := clean(lines[i].text)
		if p == "" {
			continue
		}
		if level == 0 && p[0] == name[0] && len(p) >= len(name) &&
			strings.EqualFold(p[:len(name)], name) &&
			(len(p) == len(name) || !isAlnum(p[len(name)])) {
			level += braces(p[len(name):])
			if level == 1 {
				return entries(file, lines[i+1:])
			}
			continue
		}
		level += braces(p)
	}
	return nil, nil
}

func braces(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			n++
		case '}':
			n--
		}
	}
	return n
}

// entries reads the body of a section up to its closing '}' or the end of
// the file (process_section).
func entries(file string, lines []line) ([]Entry, error) {
	var out []Entry
	for _, l := range lines {
		p := clean(l.text)
		if p == "" {
			continue
		}
		if p[0] == '}' {
			break
		}
		q := 0
		for q < len(p) && isAlnum(p[q]) {
			q++
		}
		name, rest := p[:q], ""
		if q < len(p) {
			if q > 0 && !isSpace(p[q]) {
				return nil, &Error{file, l.no, "bad character " + quoteChar(p, q) + " in name"}
			}
			rest = p[q+1:]
		}
		args, err := splitArgs(rest)
		if err != nil {
			return nil, &Error{file, l.no, err.Error()}
		}
		out = append(out, Entry{Name: name, Line: l.no, Args: args})
	}
	return out, nil
}

// splitArgs parses `key=value ...` (masterconf.c split_args).
func splitArgs(s string) ([]Arg, error) {
	var args []Arg
	p := 0
	for {
		for p < len(s) && isSpace(s[p]) {
			p++
		}
		if p >= len(s) {
			return args, nil
		}
		q := p
		for q < len(s) && isAlnum(s[q]) {
			q++
		}
		if q >= len(s) || s[q] != '=' {
			return nil, fmt.Errorf("bad character %s in argument", quoteChar(s, q))
		}
		key := s[p:q]
		q++
		var value string
		if q < len(s) && s[q] == '"' {
			end := strings.IndexByte(s[q+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf(`missing " in value of %q`, key)
			}
			value = s[q+1 : q+1+end]
			q = q + 1 + end + 1
		} else {
			start := q
			for q < len(s) && !isSpace(s[q]) {
				q++
			}
			value = s[start:q]
			if q < len(s) {
				q++
			}
		}
		if len(args) == maxArgs {
			return nil, fmt.Errorf("too many arguments (more than %d)", maxArgs)
		}
		args = append(args, Arg{Key: key, Value: value})
		p = q
	}
}
