package imapwire

// Commands with simple arguments, in the order of Cyrus's cmdloop. Each
// handler starts with c, the byte that ended the command name.

import "strings"

var handlers map[string]handler

var uidHandlers map[string]handler

func init() {
	none := func(p *Parser, c int, _ bool) (any, error) {
		if !p.isEOL(&c) {
			return nil, p.extraArgs(c)
		}
		return nil, nil
	}
	handlers = map[string]handler{
		// RFC 9051 6.1, any state.
		"CAPABILITY": none,
		"NOOP":       none,
		"LOGOUT":     none,
		// RFC 9051 6.2, not authenticated.
		"STARTTLS":     none,
		"AUTHENTICATE": parseAuthenticate,
		"LOGIN":        parseLogin,
		// RFC 9051 6.3, authenticated.
		"ENABLE":         parseEnable,
		"SELECT":         parseSelect,
		"EXAMINE":        parseSelect,
		"CREATE":         parseCreate,
		"DELETE":         parseMailboxArg,
		"RENAME":         parseRename,
		"SUBSCRIBE":      parseSubscribe,
		"UNSUBSCRIBE":    parseSubscribe,
		"LIST":           parseList,
		"XLIST":          parseList, // Cyrus: LIST with SPECIAL-USE returned, "* XLIST"
		"LSUB":           parseLsub,
		"NAMESPACE":      none, // RFC 2342
		"STATUS":         parseStatus,
		"APPEND":         parseAppend,
		"IDLE":           none,          // RFC 2177; DONE is read with ReadIdleDone
		"ID":             parseID,       // RFC 2971
		"COMPRESS":       parseCompress, // RFC 4978
		"UNAUTHENTICATE": none,          // RFC 8437
		"SCAN":           parseScan,     // Cyrus
		// RFC 9051 6.4, selected.
		"CHECK":    none,
		"CLOSE":    none,
		"UNSELECT": none, // RFC 3691
		"EXPUNGE":  none,
		"SEARCH":   parseSearch,
		"ESEARCH":  parseESearch, // RFC 7377, with ExtMultiSearch
		"FETCH":    parseFetch,
		"STORE":    parseStore,
		"COPY":     parseCopy,
		"MOVE":     parseCopy,   // RFC 6851
		"XMOVE":    parseCopy,   // Cyrus's old name of MOVE
		"SORT":     parseSort,   // RFC 5256
		"THREAD":   parseThread, // RFC 5256
		"UID":      nil,         // see Parser.readUID
		// RFC 4314 ACL.
		"GETACL":     parseMailboxArg,
		"SETACL":     parseSetACL,
		"DELETEACL":  parseACLIdentifier,
		"LISTRIGHTS": parseListRights,
		"MYRIGHTS":   parseMailboxArg,
		// RFC 9208 QUOTA.
		"GETQUOTA":     parseMailboxArg,
		"GETQUOTAROOT": parseMailboxArg,
		"SETQUOTA":     parseSetQuota,
		// RFC 5464 METADATA.
		"GETMETADATA": parseGetMetadata,
		"SETMETADATA": parseSetMetadata,
	}
	uidHandlers = map[string]handler{
		"FETCH":   parseFetch,
		"STORE":   parseStore,
		"SEARCH":  parseSearch,
		"SORT":    parseSort,
		"THREAD":  parseThread,
		"COPY":    parseCopy,
		"MOVE":    parseCopy,
		"XMOVE":   parseCopy,
		"EXPUNGE": parseUIDExpunge,
	}
	for name := range handlers {
		knownNames[name] = [2]string{name, displayName(name)}
	}
}

// AUTHENTICATE mechanism [SP initial-response] (RFC 9051 6.2.2, RFC 4959).
func parseAuthenticate(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	c = p.getword()
	if !isAtom(p.tok) {
		return nil, p.fail(c, newBAD(p.tag, TextBadMechanism))
	}
	a := &Authenticate{Mechanism: upperASCII(p.tok)}
	if c == ' ' {
		c = p.getword()
		if c < 0 {
			return nil, p.missingArgs(c)
		}
		a.InitialResponse = string(p.tok)
		a.HasInitialResponse = true
	}
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return a, nil
}

// LOGIN userid password (RFC 9051 6.2.3).
func parseLogin(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	user, c := p.astring()
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	pass, c := p.astring()
	if c == cTooBig {
		return nil, p.literalTooBig("LOGIN")
	}
	if !p.isEOL(&c) {
		return nil, p.fail(c, newBAD(p.tag, TextExtraArgsLogin))
	}
	return &Login{Username: user, Password: pass}, nil
}

// COMPRESS algorithm (RFC 4978).
func parseCompress(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	c = p.getword()
	if c < 0 {
		return nil, p.missingArgs(c)
	}
	alg := string(p.tok)
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return &Compress{Algorithm: alg}, nil
}

// ENABLE capability... (RFC 5161).
func parseEnable(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	e := &Enable{}
	for {
		c = p.getword()
		if len(p.tok) == 0 {
			return nil, p.fail(c, newBAD(p.tag, TextEnableMissing))
		}
		if !p.item() {
			return nil, p.tooMany(c)
		}
		e.Caps = append(e.Caps, string(p.tok))
		if c != ' ' {
			break
		}
	}
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return e, nil
}

// ID ("(" field value ... ")" / NIL) (RFC 2971, Cyrus cmd_id).
func parseID(p *Parser, c int, _ bool) (any, error) {
	const maxField, maxValue, maxPairs = 30, 1024, 30
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	c = p.getword()
	if !equalFold(p.tok, "NIL") && c != '(' {
		return nil, p.fail(c, newBAD(p.tag, TextIDBadList))
	}
	id := &ID{}
	if c == '(' {
		for c != ')' {
			_, c = p.getxstring(gxString)
			field := string(p.tok)
			var value *string
			if c == ' ' {
				var isNil bool
				isNil, c = p.getxstring(gxNString)
				if !isNil && c >= 0 {
					v := string(p.tok)
					value = &v
				}
				if c >= 0 && c != ' ' && c != ')' {
					return nil, p.fail(c, newBAD(p.tag, TextIDBadPair))
				}
			} else if c >= 0 {
				return nil, p.fail(c, newBAD(p.tag, TextIDBadPair))
			}
			if c < 0 {
				if c == cTooBig {
					return nil, p.literalTooBig("Id")
				}
				return nil, p.fail(c, newBAD(p.tag, TextIDBadPair))
			}
			if len(field) > maxField {
				return nil, p.fail(c, newBAD(p.tag, TextIDField, maxField))
			}
			if value != nil && len(*value) > maxValue {
				return nil, p.fail(c, newBAD(p.tag, TextIDValue, maxValue))
			}
			if len(id.Params)+1 > maxPairs {
				return nil, p.fail(c, newBAD(p.tag, TextIDTooMany, maxPairs))
			}
			id.Params = append(id.Params, IDParam{Field: field, Value: value})
		}
		c = p.getc()
	}
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return id, nil
}

// CREATE mailbox [SP create-params] (RFC 4466 2.2; Cyrus parsecreateargs,
// which also takes a bare partition name).
func parseCreate(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	name, c := p.astring()
	if c < 0 {
		return nil, p.missingArgs(c)
	}
	cr := &Create{Mailbox: name}
	if c == ' ' {
		c = p.createArgs(cr)
		if c < 0 {
			return nil, p.badPartition(c)
		}
	}
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return cr, nil
}

func (p *Parser) createArgs(cr *Create) int {
	c := p.getc()
	if c != '(' {
		p.ungetc(c)
		c = p.getword()
		if c < 0 {
			return cEOF
		}
		cr.Legacy = true
		if server, part, ok := strings.Cut(string(p.tok), "!"); ok {
			cr.Server, cr.Partition = server, part
		} else {
			cr.Partition = string(p.tok)
		}
		return c
	}
	for {
		c = p.getword()
		name := upperASCII(p.tok)
		if c != ' ' || !p.item() {
			p.ungetc(c)
			return cEOF
		}
		param := CreateParam{Name: name}
		c = p.getc()
		if c == '(' {
			param.List = true
			for {
				c = p.getword()
				if !p.item() {
					p.ungetc(c)
					return cEOF
				}
				if len(p.tok) > 0 || c != ')' || len(param.Values) > 0 {
					param.Values = append(param.Values, string(p.tok))
				}
				if c != ' ' {
					break
				}
			}
			if c != ')' {
				p.ungetc(c)
				return cEOF
			}
			c = p.getc()
		} else {
			p.ungetc(c)
			c = p.getword()
			param.Values = []string{string(p.tok)}
		}
		cr.Params = append(cr.Params, param)
		if c != ' ' {
			break
		}
	}
	if c != ')' {
		p.ungetc(c)
		return cEOF
	}
	return p.getc()
}

// Single mailbox argument: DELETE, GETACL, MYRIGHTS, GETQUOTA, GETQUOTAROOT.
func parseMailboxArg(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	name, c := p.astring()
	if c < 0 {
		return nil, p.missingArgs(c)
	}
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return &MailboxArg{Mailbox: name}, nil
}

// RENAME from to [partition] (RFC 9051 6.3.6; partition is Cyrus's).
func parseRename(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	from, c := p.astring()
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	to, c := p.astring()
	if c < 0 {
		return nil, p.missingArgs(c)
	}
	r := &Rename{From: from, To: to}
	if c == ' ' {
		c = p.getword()
		if !isAtom(p.tok) {
			return nil, p.badPartition(c)
		}
		r.Partition = string(p.tok)
	}
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return r, nil
}

// SUBSCRIBE/UNSUBSCRIBE [namespace] mailbox.
func parseSubscribe(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	s := &Subscribe{}
	s.Mailbox, c = p.astring()
	if c == ' ' {
		s.Namespace, s.HasNS = s.Mailbox, true
		s.Mailbox, c = p.astring()
	}
	if c < 0 {
		return nil, p.missingArgs(c)
	}
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return s, nil
}

// LSUB reference pattern. Like Cyrus, the space after the command name is
// not checked separately.
func parseLsub(p *Parser, c int, _ bool) (any, error) {
	ref, c := p.astring()
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	pat, c := p.astring()
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return &Lsub{Reference: ref, Pattern: pat}, nil
}

// SCAN reference pattern text (Cyrus).
func parseScan(p *Parser, c int, _ bool) (any, error) {
	ref, c := p.astring()
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	pat, c := p.astring()
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	text, c := p.astring()
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return &Scan{Reference: ref, Pattern: pat, Text: text}, nil
}

// SETACL mailbox identifier rights (RFC 4314 3.1).
func parseSetACL(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	mbox, c := p.astring()
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	id, c := p.astring()
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	rights, c := p.astring()
	if c < 0 {
		return nil, p.missingArgs(c)
	}
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return &SetACL{Mailbox: mbox, Identifier: id, Rights: rights}, nil
}

// DELETEACL mailbox identifier (RFC 4314 3.2).
func parseACLIdentifier(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	return p.aclIdentifier(true)
}

// LISTRIGHTS mailbox identifier (RFC 4314 3.4); Cyrus does not check the
// space after the command name.
func parseListRights(p *Parser, c int, _ bool) (any, error) {
	return p.aclIdentifier(false)
}

// aclIdentifier reads "mailbox identifier"; DELETEACL (needID) reports a
// missing identifier as Cyrus does, LISTRIGHTS lets the end-of-line check
// report it.
func (p *Parser) aclIdentifier(needID bool) (any, error) {
	mbox, c := p.astring()
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	id, c := p.astring()
	if c == cEOF && needID {
		return nil, p.missingArgs(c)
	}
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return &ACLIdentifier{Mailbox: mbox, Identifier: id}, nil
}

// COPY/MOVE sequence-set mailbox (RFC 9051 6.4.7, RFC 6851).
func parseCopy(p *Parser, c int, uid bool) (any, error) {
	if !uid && c != ' ' {
		return nil, p.missingArgs(c)
	}
	c = p.getword()
	if c == '\r' {
		return nil, p.missingArgs(c)
	}
	set, ok := p.numSet(p.tok, uid)
	if c != ' ' || !ok {
		return nil, p.badSequence(c)
	}
	mbox, c := p.astring()
	if c < 0 {
		return nil, p.missingArgs(c)
	}
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return &Copy{Set: set, Mailbox: mbox}, nil
}

// UID EXPUNGE sequence-set (RFC 4315 2.1).
func parseUIDExpunge(p *Parser, c int, _ bool) (any, error) {
	c = p.getword()
	set, ok := p.numSet(p.tok, true)
	if !ok {
		return nil, p.badSequence(c)
	}
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return &UIDExpunge{UIDs: set}, nil
}

// SETQUOTA root (resource limit ...) (RFC 9208 4.1.3; Cyrus cmd_setquota).
func parseSetQuota(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	root, c := p.astring()
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	sq := &SetQuota{Root: root}
	if strings.HasPrefix(root, "+") {
		sq.Force, sq.Root = true, root[1:]
	}
	badList := func(c int) error { return p.fail(c, newBAD(p.tag, TextQuotaBadList)) }
	if c = p.getc(); c != '(' {
		return nil, badList(c)
	}
	for {
		c = p.getword()
		if c == ')' && len(p.tok) == 0 {
			break
		}
		if c != ' ' {
			return nil, badList(c)
		}
		if !p.item() {
			return nil, p.tooMany(c)
		}
		res := string(p.tok)
		// Cyrus reads a signed 32-bit number and accepts -1 for "no limit".
		neg := false
		if c = p.getc(); c == '-' || c == '+' {
			neg = c == '-'
		} else {
			p.ungetc(c)
		}
		n, c2, ok := p.getnumber(math32)
		c = c2
		if !ok || (neg && n > 1) {
			return nil, badList(c)
		}
		limit := int64(n)
		if neg {
			limit = -limit
		}
		sq.Limits = append(sq.Limits, QuotaLimit{Resource: res, Limit: limit})
		if c == ')' {
			break
		}
		if c != ' ' {
			return nil, badList(c)
		}
	}
	c = p.getc()
	if !p.isEOL(&c) {
		return nil, p.fail(c, newBAD(p.tag, TextQuotaExtraArgs))
	}
	return sq, nil
}

const math32 = 1<<31 - 1
