package sieve

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"strconv"
	"strings"
)

// checkRegex refuses what is not a regular expression for Cyrus (PCRE
// through its POSIX layer, without capturing groups, so that no
// backreference is valid) and returns the message Cyrus prints for it.
// The check is RE2's, which refuses more than PCRE: lookarounds and
// other (?...) groups, PCRE-only escapes, possessive quantifiers and
// repetition counts past 1000 are let through rather than refuse a
// script Cyrus takes. The message is PCRE's POSIX one where pcreMessage
// can tell it, else Go's.
func checkRegex(s string) string {
	_, err := syntax.Parse(s, syntax.Perl)
	var se *syntax.Error
	if !errors.As(err, &se) {
		if err != nil {
			return err.Error()
		}
		return ""
	}
	at := func(msg string, off int) string { return fmt.Sprintf("%s at offset %-6d", msg, off) }
	where := max(strings.Index(s, se.Expr), 0)
	switch se.Code {
	case syntax.ErrLarge, syntax.ErrNestingDepth, syntax.ErrInvalidUTF8:
		return ""
	case syntax.ErrInvalidPerlOp:
		for _, g := range []string{"(?=", "(?!", "(?<=", "(?<!", "(?>", "(?#", "(?|", "(?(", "(?&", "(?R", "(?+", "(?-", "(?'", "(?C", "(?P>", "(?P="} {
			if strings.HasPrefix(se.Expr, g) {
				return ""
			}
		}
		return at("pattern error", where+2)
	case syntax.ErrInvalidEscape:
		if len(se.Expr) < 2 || !strings.ContainsRune("123456789gk", rune(se.Expr[1])) {
			return ""
		}
		if se.Expr[1] >= '1' && se.Expr[1] <= '9' {
			return at("bad back reference", where+len(se.Expr))
		}
		// \k<name>, \g{name}: a reference to a group there is not
		if rest := s[where+2:]; len(rest) > 1 && strings.IndexByte("<{'", rest[0]) >= 0 {
			if end := strings.IndexAny(rest[1:], ">}'"); end >= 0 {
				return at("bad back reference", where+2+1+end)
			}
		}
		return at("pattern error", where+1)
	case syntax.ErrInvalidNamedCapture:
		if strings.HasPrefix(se.Expr, "(?<=") || strings.HasPrefix(se.Expr, "(?<!") {
			return "" // a lookbehind
		}
		return at("pattern error", len(s))
	case syntax.ErrInvalidRepeatOp:
		if strings.HasSuffix(se.Expr, "+") {
			return ""
		}
	case syntax.ErrInvalidRepeatSize:
		lo, hi, ok := strings.Cut(strings.Trim(se.Expr, "{}"), ",")
		n, err1 := strconv.Atoi(lo)
		m, err2 := strconv.Atoi(hi)
		if !ok {
			m, err2 = n, err1
		} else if hi == "" {
			m, err2 = n, nil
		}
		if err1 == nil && err2 == nil && n <= m && m <= 65535 {
			return ""
		}
	}
	if msg := pcreMessage(s); msg != "" {
		return msg
	}
	return se.Code.String() + ": `" + se.Expr + "`"
}

// pcreMessage finds the first of the common mistakes in a pattern as
// PCRE would (left to right, unclosed groups at the end) and words it
// as Cyrus prints it: the POSIX message and " at offset %-6d". It
// returns "" when the mistake is not one it knows.
func pcreMessage(s string) string {
	at := func(msg string, off int) string { return fmt.Sprintf("%s at offset %-6d", msg, off) }
	var open []int
	// canRepeat: something a quantifier may follow; quantified: the
	// last item was quantified, modified: and its ? or + modifier read
	canRepeat, quantified, modified := false, false, false
	quantifier := func(i int) string {
		switch {
		case quantified && !modified:
			modified = true
			return ""
		case !canRepeat || quantified:
			return at("? * + invalid", i)
		}
		quantified = true
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 >= len(s) {
				return at("bad escape sequence", len(s))
			}
			i++
			canRepeat, quantified, modified = true, false, false
		case '(':
			open = append(open, i)
			if i+1 < len(s) && s[i+1] == '?' {
				i++ // a group with options: not a quantifier
			}
			canRepeat, quantified, modified = false, false, false
		case ')':
			if len(open) == 0 {
				return at("unbalanced ()", i)
			}
			open = open[:len(open)-1]
			canRepeat, quantified, modified = true, false, false
		case '|':
			canRepeat, quantified, modified = false, false, false
		case '*', '+', '?':
			if c == '*' && quantified && !modified {
				return at("? * + invalid", i)
			}
			if msg := quantifier(i); msg != "" {
				return msg
			}
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				canRepeat, quantified, modified = true, false, false
				continue
			}
			lo, hi, comma := strings.Cut(s[i+1:i+end], ",")
			n, err1 := strconv.Atoi(lo)
			m, err2 := strconv.Atoi(hi)
			if err1 != nil || comma && hi != "" && err2 != nil || strings.ContainsAny(lo+hi, "+- ") {
				// not a quantifier: literal text
				canRepeat, quantified, modified = true, false, false
				continue
			}
			if comma && hi != "" && m < n {
				return at("invalid repeat counts in {}", i+end)
			}
			if msg := quantifier(i); msg != "" {
				return msg
			}
			i += end
		case '[':
			j := i + 1
			if j < len(s) && s[j] == '^' {
				j++
			}
			if j < len(s) && s[j] == ']' {
				j++ // a leading ']' is literal
			}
			prev := -1 // the last single character, for ranges
			closed := false
			for ; j < len(s); j++ {
				d := s[j]
				if d == ']' {
					closed = true
					break
				}
				if d == '\\' {
					j++
					prev = -1
					continue
				}
				if d == '[' && j+1 < len(s) && s[j+1] == ':' {
					if k := strings.Index(s[j+2:], ":]"); k >= 0 {
						name := s[j+2 : j+2+k]
						if !posixClasses[strings.TrimPrefix(name, "^")] {
							return at("bad class", j+2)
						}
						j += k + 3
						prev = -1
						continue
					}
				}
				if d == '-' && prev >= 0 && j+1 < len(s) && s[j+1] != ']' {
					hi := s[j+1]
					if hi != '\\' && hi != '[' && int(hi) < prev {
						return at("bad range inside []", j+1)
					}
					j++
					prev = -1
					continue
				}
				prev = int(d)
			}
			if !closed {
				return at("unbalanced []", len(s))
			}
			i = j
			canRepeat, quantified, modified = true, false, false
		default:
			canRepeat, quantified, modified = true, false, false
		}
	}
	if len(open) > 0 {
		return at("unbalanced ()", len(s))
	}
	return ""
}

var posixClasses = map[string]bool{
	"alpha": true, "lower": true, "upper": true, "alnum": true, "ascii": true, "blank": true,
	"cntrl": true, "digit": true, "graph": true, "print": true, "punct": true, "space": true,
	"word": true, "xdigit": true,
}
