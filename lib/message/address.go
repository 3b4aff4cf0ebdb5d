package message

// RFC 822 address lists parsed the way Cyrus 3.6.1 lib/parseaddr.c does.
// That parser is lenient and has its own conventions, which the ENVELOPE
// and the FROM/TO/CC/BCC cache items reflect:
//   - "phrase" with no '@' becomes mailbox=phrase, domain
//     "unspecified-domain";
//   - "addr (comment)" takes the comment as the display name;
//   - a group "name: a, b;" is a start marker (mailbox=name, no domain),
//     its members, and an end marker (no mailbox, no domain); a group left
//     open is closed at the end;
//   - a quoted string that is not closed discards the rest of the field.

// Address is one element of an address list as Cyrus parses it.
type Address struct {
	Name    string // display name; "" is NIL
	Route   string // source route (at-domain-list); "" is NIL
	Mailbox string
	Domain  string
	// HasMailbox and HasDomain are false where Cyrus has NULL: a group
	// start has a mailbox (the group name) and no domain, a group end has
	// neither.
	HasMailbox bool
	HasDomain  bool
}

// IsGroupStart and IsGroupEnd tell the RFC 3501 group markers.
func (a *Address) IsGroupStart() bool { return !a.HasDomain && a.HasMailbox }
func (a *Address) IsGroupEnd() bool   { return !a.HasDomain && !a.HasMailbox }

const unspecifiedDomain = "unspecified-domain"

// addrParser works in place on a NUL-terminated copy of the field, like
// the C code, so that the same bytes come out.
type addrParser struct {
	b []byte // field bytes plus a terminating 0
}

func (p *addrParser) c(i int) byte {
	if i < 0 || i >= len(p.b) {
		return 0
	}
	return p.b[i]
}

// str returns the NUL-terminated string starting at i.
func (p *addrParser) str(i int) string {
	j := i
	for j < len(p.b) && p.b[j] != 0 {
		j++
	}
	if i > len(p.b) {
		return ""
	}
	return string(p.b[i:j])
}

func (p *addrParser) set(i int, c byte) {
	if i >= 0 && i < len(p.b) {
		p.b[i] = c
	}
}

// skipWhite is SKIPWHITESPACE: blanks and (nested) comments.
func (p *addrParser) skipWhite(s int) int {
	for {
		c := p.c(s)
		if c == 0 {
			return s
		}
		if c == '(' {
			comment := 1
			s++
			for comment > 0 {
				c = p.c(s)
				if c == 0 {
					break
				}
				s++
				if c == '\\' && p.c(s) != 0 {
					s++
				} else if c == '(' {
					comment++
				} else if c == ')' {
					comment--
				}
			}
			s--
		} else if !isSpace(c) {
			return s
		}
		s++
	}
}

func isCntrl(c byte) bool { return c < 0x20 || c == 0x7f }

func isAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func containsByte(set string, c byte) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == c {
			return true
		}
	}
	return false
}

// phrase is parseaddr_phrase: returns the token that ended it, the new
// position and the phrase (empty on failure, with token 0).
func (p *addrParser) phrase(in int, specials string) (tok byte, next int, phrase string) {
	src := p.skipWhite(in)
	start := src
	dst := src
	for {
		c := p.c(src)
		src++
		switch {
		case c == '"':
			closed := false
			for {
				c = p.c(src)
				if c == 0 {
					break
				}
				src++
				if c == '\\' && p.c(src) == '\r' && p.c(src+1) == '\n' {
					c = p.c(src)
					src++
				}
				if c == '\r' && p.c(src) == '\n' {
					src++
					if p.c(src) == ' ' || p.c(src) == '\t' {
						continue
					}
					return 0, src, ""
				} else if isCntrl(c) {
					if c == '\r' || c == '\n' {
						c = ' '
					} else if c != '\t' {
						continue
					}
				}
				if c == '"' {
					closed = true
					break
				}
				if c == '\\' {
					c = p.c(src)
					if c == 0 {
						return 0, src, ""
					}
					src++
				}
				p.set(dst, c)
				dst++
			}
			if !closed {
				return 0, src, ""
			}
		case isSpace(c) || c == '(':
			src = p.skipWhite(src - 1)
			p.set(dst, ' ')
			dst++
		case c == 0 || containsByte(specials, c):
			if dst > start && p.c(dst-1) == ' ' {
				dst--
			}
			p.set(dst, 0)
			return c, src, string(p.b[start:max(start, dst)])
		default:
			p.set(dst, c)
			dst++
		}
	}
}

// domain is parseaddr_domain; with wantComment it also returns the
// comment that follows the domain (the display name of "a@b (Name)").
func (p *addrParser) domain(in int, wantComment bool) (tok byte, next int, domain string, comment string, hasComment bool) {
	src := p.skipWhite(in)
	start := src
	dst := src
	for {
		c := p.c(src)
		src++
		switch {
		case isAlnum(c) || c == '-' || c == '[' || c == ']' || c == ':':
			p.set(dst, c)
			dst++
			hasComment = false
		case c == '.':
			if dst > start && p.c(dst-1) != '.' {
				p.set(dst, c)
				dst++
			}
			hasComment = false
		case c == '(':
			if wantComment {
				cstart := src
				cdst := src
				level := 1
				for level > 0 {
					c = p.c(src)
					if c == 0 {
						break
					}
					src++
					if c == '(' {
						level++
					} else if c == ')' {
						level--
					} else if c == '\\' {
						c = p.c(src)
						if c != 0 {
							src++
						}
					}
					if level > 0 {
						p.set(cdst, c)
						cdst++
					}
				}
				p.set(cdst, 0)
				comment = p.str(cstart)
				hasComment = true
			} else {
				src = p.skipWhite(src - 1)
			}
		case c == '@':
			p.set(dst, c)
			dst++
			hasComment = false
		case !isSpace(c):
			if dst > start && p.c(dst-1) == '.' {
				dst--
			}
			p.set(dst, 0)
			if !hasComment {
				comment = ""
			}
			return c, src, string(p.b[start:dst]), comment, hasComment
		}
	}
}

// route is parseaddr_route.
func (p *addrParser) route(in int) (tok byte, next int, route string) {
	src := p.skipWhite(in)
	start := src
	dst := src
	for {
		c := p.c(src)
		src++
		switch {
		case isAlnum(c) || c == '-' || c == '[' || c == ']' || c == ',' || c == '@':
			p.set(dst, c)
			dst++
		case c == '.':
			if dst > start && p.c(dst-1) != '.' {
				p.set(dst, c)
				dst++
			}
		case isSpace(c) || c == '(':
			src = p.skipWhite(src - 1)
		default:
			for dst > start {
				d := p.c(dst - 1)
				if d != '.' && d != ',' && d != '@' {
					break
				}
				dst--
			}
			p.set(dst, 0)
			return c, src, string(p.b[start:dst])
		}
	}
}

// ParseAddressList parses an address header value (after the colon, up to
// the end of the field, folding included) the way Cyrus does.
func ParseAddressList(field string) []Address {
	p := &addrParser{b: append([]byte(field), 0)}
	var list []Address
	add := func(name, route, mailbox string, hasMailbox bool, domain string, hasDomain bool) {
		if hasDomain && domain == "" {
			domain = unspecifiedDomain
		}
		list = append(list, Address{Name: name, Route: route, Mailbox: mailbox,
			Domain: domain, HasMailbox: hasMailbox, HasDomain: hasDomain})
	}
	ingroup := 0
	s := 0
	tok := byte(' ')
	for tok != 0 {
		specials := ",@<:"
		if ingroup > 0 {
			specials = ",@<;"
		}
		var phrase string
		tok, s, phrase = p.phrase(s, specials)
		switch tok {
		case ',', 0, ';':
			if phrase != "" {
				add("", "", phrase, true, "", true)
			}
			if tok == ';' {
				add("", "", "", false, "", false)
				ingroup = 0
			}
		case ':':
			add("", "", phrase, true, "", false)
			ingroup++
		case '@':
			var domain, comment string
			tok, s, domain, comment, _ = p.domain(s, true)
			add(comment, "", phrase, true, domain, true)
			if tok == ';' {
				add("", "", "", false, "", false)
				ingroup = 0
			}
		case '<':
			var mailbox string
			tok, s, mailbox = p.phrase(s, "@>")
			if tok == '@' {
				route := ""
				if mailbox == "" {
					s--
					p.set(s, '@')
					tok, s, route = p.route(s)
					if tok != ':' {
						add(phrase, route, "", true, "", true)
						for tok != 0 && tok != '>' {
							tok = p.c(s)
							s++
						}
						continue
					}
					tok, s, mailbox = p.phrase(s, "@>")
					if tok != '@' {
						add(phrase, route, mailbox, true, "", true)
						continue
					}
				}
				var domain string
				tok, s, domain, _, _ = p.domain(s, false)
				add(phrase, route, mailbox, true, domain, true)
				for tok != 0 && tok != '>' {
					tok = p.c(s)
					s++
				}
				continue
			}
			add(phrase, "", mailbox, true, "", true)
		}
	}
	if ingroup > 0 {
		add("", "", "", false, "", false)
	}
	return list
}
