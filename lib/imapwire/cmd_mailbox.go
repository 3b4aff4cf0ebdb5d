package imapwire

// SELECT/EXAMINE, LIST/XLIST and STATUS.

import "math"

// SELECT/EXAMINE mailbox [SP "(" select-param ... ")"] (RFC 9051 6.3.2,
// RFC 4466 2.1, RFC 7162 3.1.8 and 3.2.5; Cyrus cmd_select).
func parseSelect(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	name, c := p.astring()
	if c < 0 {
		return nil, p.missingArgs(c)
	}
	s := &Select{Mailbox: name}
	s.Options.ReadOnly = p.display == "Examine"
	cmd := p.display
	badList := func(c int) error { return p.fail(c, newBAD(p.tag, TextSelectBadList, cmd)) }
	if c == ' ' {
		if c = p.getc(); c != '(' {
			return nil, badList(c)
		}
		c = p.getword()
		if len(p.tok) == 0 {
			return nil, badList(c)
		}
		for {
			if !p.item() {
				return nil, p.tooMany(c)
			}
			switch mod := upperASCII(p.tok); {
			case mod == "CONDSTORE":
				s.Options.CondStore = true
			case mod == "QRESYNC" && p.isEnabled("QRESYNC"):
				var q *QResyncParam
				if q, c = p.qresync(c); c < 0 || q == nil {
					return nil, p.fail(c, newBAD(p.tag, TextSelectBadQResync, cmd))
				}
				s.QResync = q
			case mod == "ANNOTATE":
				s.Annotate = true
			case mod == "VENDOR.CMU-INCLUDE-EXPUNGED":
				s.IncludeExpunged = true
			default:
				return nil, p.fail(c, newBAD(p.tag, TextSelectBadMod, cmd, mod))
			}
			if c != ' ' {
				break
			}
			c = p.getword()
		}
		if c != ')' {
			return nil, p.fail(c, newBAD(p.tag, TextSelectNoClose, cmd))
		}
		c = p.getc()
	}
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return s, nil
}

// qresync parses "(" uidvalidity SP modseq [SP known-uids]
// [SP "(" seq-set SP uid-set ")"] ")" after the QRESYNC keyword. A nil
// result with c >= 0 is a syntax error at c.
func (p *Parser) qresync(c int) (*QResyncParam, int) {
	if c != ' ' {
		return nil, c
	}
	if c = p.getc(); c != '(' {
		return nil, c
	}
	v, c, ok := p.getnumber(math.MaxUint32)
	if !ok || c != ' ' || v == 0 {
		return nil, c
	}
	q := &QResyncParam{UIDValidity: uint32(v)}
	if q.ModSeq, c = p.getmodseq(); c < 0 {
		return nil, c
	}
	if c == ' ' {
		if c = p.getc(); c != '(' {
			p.ungetc(c)
			c = p.getword()
			set, ok := p.numSet(p.tok, true)
			if !ok {
				return nil, c
			}
			q.KnownUIDs = set
			if c == ' ' {
				if c = p.getc(); c != '(' {
					return nil, c
				}
			}
		}
		if c == '(' {
			c = p.getword()
			seqs, ok := p.numSet(p.tok, false)
			if !ok || c != ' ' {
				return nil, c
			}
			c = p.getword()
			uids, ok := p.numSet(p.tok, true)
			if !ok || c != ')' {
				return nil, c
			}
			q.SeqMatch = &QResyncSeqMatch{SeqNums: seqs, UIDs: uids}
			c = p.getc()
		}
	}
	if c != ')' {
		return nil, c
	}
	return q, p.getc()
}

// LIST [SP "(" selection-options ")"] SP reference SP (pattern / "("
// patterns ")") [SP RETURN "(" return-options ")"] (RFC 9051 6.3.9, RFC
// 5258, RFC 5819 LIST-STATUS, RFC 6154, RFC 8440; Cyrus getlistargs).
func parseList(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	l := &List{}
	if c = p.getc(); c == '(' {
		l.Extended = true
		if c = p.listSelectOptions(l); c < 0 {
			return nil, p.listErr
		}
	} else {
		p.ungetc(c)
	}
	var ref string
	ref, c = p.astring()
	if c == cTooBig {
		return nil, p.literalTooBig("List")
	}
	if c < 0 && ref == "" {
		return nil, p.fail(c, newBAD(p.tag, TextListMissingRef))
	}
	l.Reference = ref
	if c != ' ' {
		return nil, p.fail(c, newBAD(p.tag, TextListMissingPattern))
	}
	if c = p.getc(); c == '(' {
		l.Extended = true
		for {
			var pat string
			pat, c = p.astring()
			if c == cTooBig {
				return nil, p.literalTooBig("List")
			}
			if !p.item() {
				return nil, p.tooMany(c)
			}
			if pat != "" {
				l.Patterns = append(l.Patterns, pat)
			}
			if c != ' ' {
				break
			}
		}
		if c != ')' {
			return nil, p.fail(c, newBAD(p.tag, TextListSyntax))
		}
		c = p.getc()
	} else {
		p.ungetc(c)
		var pat string
		pat, c = p.astring()
		if c == cTooBig {
			return nil, p.literalTooBig("List")
		}
		if c < 0 {
			return nil, p.fail(c, newBAD(p.tag, TextListMissingPattern))
		}
		l.Patterns = append(l.Patterns, pat)
	}
	if c == ' ' {
		l.Extended = true
		if c = p.listReturnOptions(l); c < 0 {
			return nil, p.listErr
		}
	}
	if !p.isEOL(&c) {
		return nil, p.fail(c, newBAD(p.tag, TextExtraArgs, "List"))
	}
	return l, nil
}

// listSelectOptions parses the selection options after "(" (Cyrus
// getlistselopts). On error it sets p.listErr and returns a negative c.
func (p *Parser) listSelectOptions(l *List) int {
	bad := func(c int, e *Error) int {
		p.listErr = p.fail(c, e)
		return cEOF
	}
	c := p.getc()
	if c == ')' {
		return p.getc()
	}
	p.ungetc(c)
	for {
		c = p.getword()
		if len(p.tok) == 0 {
			return bad(c, newBAD(p.tag, TextListSyntax))
		}
		if !p.item() {
			p.listErr = p.tooMany(c)
			return cEOF
		}
		switch opt := lowerASCII(p.tok); opt {
		case "subscribed":
			l.Options.SelectSubscribed = true
			l.Options.ReturnSubscribed = true
		case "vendor.cmu-dav":
			l.SelectDAV = true
		case "vendor.cmu-include-deleted":
			l.SelectDeleted = true
		case "vendor.fm-include-nonexistent":
			l.SelectIntermediates = true
		case "remote":
			l.Options.SelectRemote = true
		case "recursivematch":
			l.Options.SelectRecursiveMatch = true
		case "special-use":
			l.Options.SelectSpecialUse = true
			l.Options.ReturnSpecialUse = true
		case "metadata":
			l.SelectMetadata = true
			l.HasReturnMetadata = true
			var entries []string
			if entries, _, c = p.metadataStringOrList(); c < 0 {
				p.listErr = p.metaErr(c)
				return cEOF
			}
			l.MetadataOptions = entries
		default:
			return bad(c, newBAD(p.tag, TextListBadSelOpt, opt))
		}
		if c != ' ' {
			break
		}
	}
	if c != ')' {
		return bad(c, newBAD(p.tag, TextListSelNoClose))
	}
	if l.Options.SelectRecursiveMatch && !l.Options.SelectSubscribed {
		return bad(c, newBAD(p.tag, TextListSelCombination))
	}
	return p.getc()
}

// listReturnOptions parses "RETURN (...)" (Cyrus getlistretopts).
func (p *Parser) listReturnOptions(l *List) int {
	bad := func(c int, e *Error) int {
		p.listErr = p.fail(c, e)
		return cEOF
	}
	c := p.getword()
	if len(p.tok) == 0 {
		return bad(c, newBAD(p.tag, TextListSyntax))
	}
	if !equalFold(p.tok, "RETURN") {
		return bad(c, newBAD(p.tag, TextListExtraArg, lowerASCII(p.tok)))
	}
	if c != ' ' {
		return bad(c, newBAD(p.tag, TextListMissingRet))
	}
	if c = p.getc(); c != '(' {
		return bad(c, newBAD(p.tag, TextListMissingRet))
	}
	if c = p.getc(); c == ')' {
		return p.getc()
	}
	p.ungetc(c)
	for {
		c = p.getword()
		if len(p.tok) == 0 {
			return bad(c, newBAD(p.tag, TextListSyntax))
		}
		if !p.item() {
			p.listErr = p.tooMany(c)
			return cEOF
		}
		switch opt := lowerASCII(p.tok); opt {
		case "subscribed":
			l.Options.ReturnSubscribed = true
		case "children":
			l.Options.ReturnChildren = true
		case "myrights":
			l.ReturnMyRights = true
		case "special-use":
			l.Options.ReturnSpecialUse = true
		case "status":
			var st StatusItems
			var e *Error
			if st, c, e = p.statusItems(); e != nil {
				return bad(c, e)
			}
			l.ReturnStatus = &st
			so := st.StatusOptions
			l.Options.ReturnStatus = &so
		case "metadata":
			var entries []string
			if entries, _, c = p.metadataStringOrList(); c < 0 {
				p.listErr = p.metaErr(c)
				return cEOF
			}
			l.HasReturnMetadata = true
			l.ReturnMetadata = append(l.ReturnMetadata, entries...)
		default:
			return bad(c, newBAD(p.tag, TextListBadRetOpt, opt))
		}
		if c != ' ' {
			break
		}
	}
	if c != ')' {
		return bad(c, newBAD(p.tag, TextListRetNoClose))
	}
	return p.getc()
}

// STATUS mailbox SP "(" status-att ... ")" (RFC 9051 6.3.11; Cyrus
// cmd_status).
func parseStatus(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	name, c := p.astring()
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	items, c, e := p.statusItems()
	if e != nil {
		return nil, p.fail(c, e)
	}
	if !p.isEOL(&c) {
		return nil, p.extraArgs(c)
	}
	return &StatusCmd{Mailbox: name, Items: items}, nil
}

// statusItems parses "(" status-att ... ")" like Cyrus's parse_statusitems.
func (p *Parser) statusItems() (StatusItems, int, *Error) {
	var st StatusItems
	c := p.getc()
	if c != '(' {
		p.ungetc(c)
		return st, cEOF, newBAD(p.tag, TextStatusBad)
	}
	c = p.getword()
	if len(p.tok) == 0 {
		p.ungetc(c)
		return st, cEOF, newBAD(p.tag, TextStatusBad)
	}
	for {
		if !p.item() {
			return st, c, newNO(p.tag, "LIMIT", TextTooManyArgs, p.display)
		}
		att := lowerASCII(p.tok)
		switch att {
		case "messages":
			st.NumMessages = true
		case "recent":
			st.NumRecent = true
		case "uidnext":
			st.UIDNext = true
		case "uidvalidity":
			st.UIDValidity = true
		case "mailboxid": // RFC 8474
			st.MailboxID = true
		case "unseen":
			st.NumUnseen = true
		case "size": // RFC 8438
			st.Size = true
		case "highestmodseq": // RFC 7162
			st.HighestModSeq = true
		case "createdmodseq": // Cyrus
			st.CreatedModSeq = true
		case "deleted", "deleted-storage": // RFC 9051, RFC 9208
			if p.opt.Ext&ExtStatusDeleted == 0 {
				p.ungetc(c)
				return st, cEOF, newBAD(p.tag, TextStatusBadAttr, att)
			}
			if att == "deleted" {
				st.NumDeleted = true
			} else {
				st.DeletedStorage = true
			}
		case "appendlimit": // RFC 7889
			if p.opt.Ext&ExtAppendLimit == 0 {
				p.ungetc(c)
				return st, cEOF, newBAD(p.tag, TextStatusBadAttr, att)
			}
			st.AppendLimit = true
		default:
			p.ungetc(c)
			return st, cEOF, newBAD(p.tag, TextStatusBadAttr, att)
		}
		st.Order = append(st.Order, upperASCII(p.tok))
		if c != ' ' {
			break
		}
		c = p.getword()
	}
	if c != ')' {
		p.ungetc(c)
		return st, cEOF, newBAD(p.tag, TextStatusNoClose)
	}
	return st, p.getc(), nil
}
