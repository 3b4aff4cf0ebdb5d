package sieve

// parseAddress checks an address the way Cyrus's small address grammar
// (sieve/addr.y) does for redirect and vacation:
//
//	address  = addrspec / phrase "<" addrspec ">"
//	addrspec = word *("." word) "@" sub *("." sub)
//	sub      = atom / "[" dtext "]"
//	phrase   = 1*word
//	word     = atom / quoted-string (not empty)
//
// with (nested) comments skipped. It returns "" or what is wrong, in
// Cyrus's words ("syntax error" from its bison, or its scanner's).
func parseAddress(s string) string {
	toks, msg := addrTokens(s)
	if msg != "" {
		return msg
	}
	i := 0
	peek := func() byte {
		if i < len(toks) {
			return toks[i]
		}
		return 0
	}
	// word: 'a' (atom) or 'q' (quoted string)
	isWord := func() bool { return peek() == 'a' || peek() == 'q' }
	addrspec := func() bool {
		if !isWord() {
			return false
		}
		i++
		for peek() == '.' {
			i++
			if !isWord() {
				return false
			}
			i++
		}
		if peek() != '@' {
			return false
		}
		i++
		for {
			switch peek() {
			case 'a', 'd':
				i++
			default:
				return false
			}
			if peek() != '.' {
				return true
			}
			i++
		}
	}
	// a phrase is words then '<'; otherwise the whole is an addrspec
	j := 0
	for j < len(toks) && (toks[j] == 'a' || toks[j] == 'q') {
		j++
	}
	if j > 0 && j < len(toks) && toks[j] == '<' {
		i = j + 1
		if !addrspec() || peek() != '>' {
			return "syntax error"
		}
		i++
	} else if !addrspec() {
		return "syntax error"
	}
	if i != len(toks) {
		return "syntax error"
	}
	return ""
}

// addrTokens splits an address into one byte per token: 'a' atom,
// 'q' quoted string, 'd' domain literal, or the special character. Where
// Cyrus's scanner gives up (an unbalanced ')', an unterminated comment,
// string or domain literal), the tokens end there; its message is then
// overwritten by the parser's, so the grammar alone decides.
func addrTokens(s string) ([]byte, string) {
	var toks []byte
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' && s[j] != '\n' && s[j] != '\r' {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				j++
			}
			if j >= len(s) || s[j] != '"' {
				// the scanner gives up: '"' and the end
				return append(toks, '"'), ""
			}
			if j == i+1 {
				return nil, "syntax error"
			}
			toks = append(toks, 'q')
			i = j + 1
		case c == '[':
			j := i + 1
			for j < len(s) && s[j] != '[' && s[j] != ']' && s[j] != '\n' && s[j] != '\r' {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				j++
			}
			if j >= len(s) || s[j] != ']' {
				return append(toks, '['), ""
			}
			if j == i+1 {
				return nil, "syntax error"
			}
			toks = append(toks, 'd')
			i = j + 1
		case c == '(':
			depth := 1
			j := i + 1
			for j < len(s) && depth > 0 {
				switch s[j] {
				case '\\':
					j++
				case '(':
					depth++
				case ')':
					depth--
				}
				j++
			}
			if depth > 0 {
				// the scanner gives up: the address ends here
				return toks, ""
			}
			i = j
		case c == ')':
			return toks, ""
		case c == ' ' || c == '\n' || c == '\r':
			i++
		case isAddrSpecial(c):
			toks = append(toks, c)
			i++
		default:
			for i < len(s) && !isAddrSpecial(s[i]) && s[i] != '(' && s[i] != ')' && s[i] != '"' &&
				s[i] != '[' && s[i] != ' ' && s[i] != '\n' && s[i] != '\r' {
				i++
			}
			toks = append(toks, 'a')
		}
	}
	return toks, ""
}

func isAddrSpecial(c byte) bool {
	switch c {
	case '<', '>', '@', ',', ';', ':', '\\', '.', ']':
		return true
	}
	return false
}
