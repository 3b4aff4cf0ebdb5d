package imapwire

// RawList reads a parenthesised list and returns its text between the
// outer parentheses, as written (nested lists and quoted strings kept;
// a literal or the end of the line inside is a BAD). It requires the
// separating space first.
//
// Added by the NOTIFY engineer (zz_need): RFC 5465's MessageNew takes
// FETCH's fetch-atts, which cmd/imapd reads again as a FETCH command;
// they may hold lists of their own (BODY[HEADER.FIELDS (From)]).
func (a *Args) RawList() (string, error) {
	if err := a.Space(); err != nil {
		return "", err
	}
	p := a.p
	c := p.getc()
	if c != '(' {
		return "", p.missingArgs(c)
	}
	var b []byte
	depth, quoted := 1, false
	for {
		c = p.getc()
		if c < 0 || c == '\r' || c == '\n' {
			return "", p.missingArgs(c)
		}
		if int64(len(b)) >= p.lim.MaxWord {
			return "", p.tooMany(c)
		}
		switch {
		case quoted && c == '\\':
			b = append(b, byte(c))
			if c = p.getc(); c < 0 || c == '\r' || c == '\n' {
				return "", p.missingArgs(c)
			}
		case quoted && c == '"':
			quoted = false
		case quoted:
		case c == '"':
			quoted = true
		case c == '{':
			return "", p.missingArgs(c)
		case c == '(':
			if depth++; depth > p.lim.MaxDepth {
				return "", p.tooDeep(c)
			}
		case c == ')':
			if depth--; depth == 0 {
				a.c = p.getc()
				return string(b), nil
			}
		}
		b = append(b, byte(c))
	}
}
