package sieve

// Tests (RFC 5228 5 and the extensions' sections), as sieve.y builds
// them.

// compTag reads one comparator tag into c if the next token is one the
// test takes (list: :list; index: :index/:last with the index require;
// plainIndex: the same without it, as deleteheader has). It reports
// whether it read one.
func (p *parser) compTag(c *comp, list, index, plainIndex bool) bool {
	t := p.peek()
	if t.kind != tWord {
		return false
	}
	switch t.text {
	case ":is", ":contains", ":matches", ":regex":
		p.take()
		m := map[string]int32{":is": bIs, ":contains": bContains, ":matches": bMatches, ":regex": bRegex}[t.text]
		if m == bRegex {
			p.need(capRegex, "regex")
		}
		if c.match != -1 {
			p.errorf(errMultipleTags, "match-type")
		}
		c.match = m
	case ":count", ":value":
		p.take()
		v := p.take()
		if v.kind != tValue {
			p.syntax(v)
		}
		m := int32(bCount)
		if t.text == ":value" {
			m = bValue
		}
		if c.match != bCount && c.match != bValue && !p.has(capRelational) {
			p.errorf(errMissingRequire, "relational")
		}
		if c.match != -1 {
			p.errorf(errMultipleTags, "match-type")
		}
		c.match = m
		c.relation = map[string]int32{"gt": bGT, "ge": bGE, "lt": bLT, "le": bLE, "eq": bEQ, "ne": bNE}[v.text]
	case ":list":
		if !list {
			return false
		}
		p.take()
		if c.match != bList && !p.has(capExtlists) {
			p.errorf(errMissingRequire, "extlists")
		}
		if c.match != -1 {
			p.errorf(errMultipleTags, "match-type")
		}
		c.match = bList
	case ":comparator":
		p.take()
		v := p.take()
		if v.kind != tValue {
			p.syntax(v)
		}
		coll := map[string]int32{"i;octet": bOctet, "i;ascii-casemap": bASCIICasemap, "i;ascii-numeric": bASCIINumeric}[v.text]
		if coll == bASCIINumeric {
			p.need(capCompNumeric, "comparator-i;ascii-numeric")
		}
		if c.collation != -1 {
			p.errorf(errDuplicateTag, ":comparator")
		}
		c.collation = coll
	case ":index", ":last":
		if !index && !plainIndex {
			return false
		}
		p.take()
		if t.text == ":index" {
			n := p.number()
			switch {
			case c.index == indexLastFirst:
				c.index = int32(-n)
			case c.index != 0:
				p.errorf(errDuplicateTag, ":index")
			default:
				c.index = int32(n)
			}
		} else {
			switch {
			case c.index > 0:
				c.index = -c.index
			case c.index < 0:
				p.errorf(errDuplicateTag, ":last")
			default:
				c.index = indexLastFirst
			}
		}
		if index && c.index != 0 && !p.has(capIndex) {
			p.errorf(errMissingRequire, "index")
		}
	default:
		return false
	}
	return true
}

// addrPart reads :all/:localpart/:domain/:user/:detail.
func (p *parser) addrPart(part *int32) bool {
	t := p.peek()
	if t.kind != tWord {
		return false
	}
	v, ok := map[string]int32{":all": bAll, ":localpart": bLocalpart, ":domain": bDomain, ":user": bUser, ":detail": bDetail}[t.text]
	if !ok {
		return false
	}
	p.take()
	if v == bUser || v == bDetail {
		p.need(capSubaddress, "subaddress")
	}
	if *part != -1 {
		p.errorf(errMultipleTags, "address-part")
	}
	*part = v
	return true
}

func (p *parser) startsList() bool {
	t := p.peek()
	return t.kind == tString || t.kind == tChar && t.ch == '['
}

// listTest reads a test of anyof/allof; false after an ignored syntax
// error in it.
func (p *parser) listTest() (t *test, ok bool) {
	depth := p.depth
	defer func() {
		if r := recover(); r != nil {
			if _, is := r.(syntaxBail); !is {
				panic(r)
			}
			p.depth = depth
			t, ok = nil, false
		}
	}()
	return p.test(), true
}

func (p *parser) test() *test {
	p.enter()
	defer p.leave()
	t := p.take()
	if t.kind != tWord {
		p.syntax(t)
	}
	switch t.text {
	case "anyof", "allof":
		return p.anyAll(t.text == "anyof")
	case "not":
		sub := p.test()
		if sub.ignoreErr != 0 {
			sub.ignoreErr--
			p.ignoreErr = sub.ignoreErr
		}
		return &test{op: tcNot, args: []arg{argTest{sub}}}
	case "false":
		return &test{op: tcFalse}
	case "true":
		return &test{op: tcTrue}
	case "exists":
		return &test{op: tcExists, args: []arg{argList(p.strList())}}
	case "size":
		tag := p.take()
		var v int32
		switch {
		case tag.kind == tWord && tag.text == ":over":
			v = bOver
		case tag.kind == tWord && tag.text == ":under":
			v = bUnder
		default:
			p.syntax(tag)
		}
		return &test{op: tcSize, args: []arg{argInt(v), argInt(p.number())}}
	case "header":
		c := newComp()
		for p.compTag(&c, true, true, false) {
		}
		sl, pl := p.strList(), p.strList()
		if c.index == indexLastFirst {
			p.errorf(errMissingTag, ":index")
		}
		p.checkList(sl, p.checkHeader)
		p.checkPatterns(pl, &c, p.checkUTF8)
		return &test{op: tcHeader, args: append(append([]arg{argInt(c.index)}, c.args()...), argList(sl), argList(pl))}
	case "address", "envelope":
		isEnv := t.text == "envelope"
		if isEnv {
			p.need(capEnvelope, "envelope")
		}
		c := newComp()
		part := int32(-1)
		for p.compTag(&c, true, !isEnv, false) || p.addrPart(&part) {
		}
		sl, pl := p.strList(), p.strList()
		var head []arg
		if isEnv {
			for i := range sl {
				if !p.checkEnvelope(&sl[i]) {
					break
				}
			}
		} else {
			if c.index == indexLastFirst {
				p.errorf(errMissingTag, ":index")
			}
			for i := range sl {
				if !p.checkAddrHeader(&sl[i]) {
					break
				}
			}
			head = []arg{argInt(c.index)}
		}
		p.checkPatterns(pl, &c, nil)
		if part == -1 {
			part = bAll
		}
		op := int32(tcAddress)
		if isEnv {
			op = tcEnvelope
		}
		return &test{op: op, args: append(append(head, c.args()...), argInt(part), argList(sl), argList(pl))}
	case "body":
		p.need(capBody, "body")
		c := newComp()
		transform := int32(-1)
		var types []string
		for {
			if p.compTag(&c, false, false, false) {
				continue
			}
			if p.isWord(":raw") || p.isWord(":text") || p.isWord(":content") {
				w := p.take().text
				if w == ":content" {
					types = p.strList()
				}
				if transform != -1 {
					p.errorf(errMultipleTags, "transform")
				}
				transform = map[string]int32{":raw": bRaw, ":text": bText, ":content": bContent}[w]
				continue
			}
			break
		}
		pl := p.strList()
		p.checkPatterns(pl, &c, p.checkUTF8)
		if transform == -1 {
			transform = bText
		}
		if types == nil {
			types = []string{"text"}
			if transform == bRaw {
				types = []string{""}
			}
		}
		return &test{op: tcBody, args: append(c.args(), argInt(transform), argInt(0), argList(types), argList(pl))}
	case "environment":
		p.need(capEnvironment, "environment")
		c := newComp()
		for p.compTag(&c, false, false, false) {
		}
		name := p.str()
		kl := p.strList()
		p.canon(&c)
		return &test{op: tcEnvironment, args: append(c.args(), str(name), argList(kl))}
	case "string":
		p.need(capVariables, "variables")
		c := newComp()
		for p.compTag(&c, true, false, false) {
		}
		sl, pl := p.strList(), p.strList()
		p.checkList(sl, p.checkUTF8)
		p.checkPatterns(pl, &c, p.checkUTF8)
		return &test{op: tcString, args: append(c.args(), argList(sl), argList(pl))}
	case "hasflag":
		p.need(capImap4flags, "imap4flags")
		c := newComp()
		for p.compTag(&c, false, false, false) {
		}
		var vars []string
		pl := p.strList()
		if p.startsList() {
			vars, pl = pl, p.strList()
		}
		if vars != nil {
			p.need(capVariables, "variables")
			p.checkList(vars, p.checkIdentifier)
		}
		p.checkPatterns(pl, &c, p.checkUTF8)
		return &test{op: tcHasflag, args: append(c.args(), argList(vars), argList(pl))}
	case "date", "currentdate":
		return p.date(t.text == "date")
	case "valid_notify_method":
		l := p.strList()
		p.need(capEnotify, "enotify")
		return &test{op: tcValidnotifymethod, args: []arg{argList(l)}}
	case "notify_method_capability":
		p.need(capEnotify, "enotify")
		c := newComp()
		for p.compTag(&c, false, false, false) {
		}
		uri, capName := p.str(), p.str()
		kl := p.strList()
		p.canon(&c)
		return &test{op: tcNotifymethodcapa, args: append(c.args(), str(uri), str(capName), argList(kl))}
	case "ihave":
		return p.ihave(p.strList())
	case "mailboxexists", "servermetadataexists", "mailboxidexists":
		l := p.strList()
		op := map[string]int32{"mailboxexists": tcMailboxexists, "servermetadataexists": tcServermetaexists, "mailboxidexists": tcMailboxidexists}[t.text]
		switch op {
		case tcMailboxexists:
			p.need(capMailbox, "mailbox")
		case tcServermetaexists:
			p.need(capServermeta, "servermetadata")
		default:
			p.need(capMailboxid, "mailboxid")
		}
		return &test{op: op, args: []arg{argList(l)}}
	case "metadata", "servermetadata":
		server := t.text == "servermetadata"
		if server {
			p.need(capServermeta, "servermetadata")
		} else {
			p.need(capMboxmeta, "mboxmetadata")
		}
		c := newComp()
		for p.compTag(&c, false, false, false) {
		}
		var mbox string
		if !server {
			mbox = p.str()
		}
		ann := p.str()
		kl := p.strList()
		p.canon(&c)
		if server {
			return &test{op: tcServermetadata, args: append(c.args(), str(ann), argList(kl))}
		}
		return &test{op: tcMetadata, args: append(c.args(), str(mbox), str(ann), argList(kl))}
	case "metadataexists":
		mbox := p.str()
		l := p.strList()
		p.need(capMboxmeta, "mboxmetadata")
		return &test{op: tcMetadataexists, args: []arg{str(mbox), argList(l)}}
	case "valid_ext_list":
		l := p.strList()
		p.need(capExtlists, "extlists")
		return &test{op: 22, args: []arg{argList(l)}}
	case "duplicate":
		return p.duplicate()
	case "specialuse_exists":
		mbox := nilStr
		var l []string
		if p.peek().kind == tString {
			s := p.str()
			if p.startsList() {
				mbox, l = str(s), p.strList()
			} else {
				l = []string{s}
			}
		} else {
			l = p.strList()
		}
		p.need(capSpecialUse, "special-use")
		return &test{op: tcSpecialuseexists, args: []arg{mbox, argList(l)}}
	}
	if t.text == "jmapquery" {
		return p.jmapQuery()
	}
	p.syntax(t)
	return nil
}

// jmapQuery is vnd.cyrus.jmapquery's test: a JMAP filter, checked and
// stored in jansson's compact form (jmap.go).
func (p *parser) jmapQuery() *test {
	q := p.str()
	p.need(capJmapquery, "vnd.cyrus.jmapquery")
	v, ok := parseJSON(q)
	if !ok {
		p.errorf("invalid jmapquery format")
		return &test{op: tcJmapquery, args: []arg{nilStr}}
	}
	var f filterCheck
	f.filter(v)
	if f.invalid {
		p.errorf("invalid jmapquery argument: '%s'", f.joined())
	}
	return &test{op: tcJmapquery, args: []arg{str(compact(v))}}
}

func (p *parser) anyAll(any bool) *test {
	p.expectChar('(')
	var tl []*test
	for {
		if t, ok := p.listTest(); ok {
			tl = append(tl, t)
		} else {
			// bison recovers in the state after '(' (not after ','):
			// the tests read so far are dropped, a false test stands
			// for them all
			tl = []*test{{op: tcFalse}}
			p.skipUntil(func(t token) bool { return t.kind == tChar && (t.ch == ',' || t.ch == ')') })
		}
		if len(tl) > MaxListLen {
			p.probs = append(p.probs, Problem{Line: p.lex.line, Msg: "test list too long"})
			panic(bail{})
		}
		if !p.isChar(',') {
			break
		}
		p.take()
	}
	p.expectChar(')')
	if len(tl) == 1 {
		return tl[0]
	}
	t := &test{op: tcAllof, args: []arg{argTests(tl)}}
	if any {
		t.op = tcAnyof
		// Cyrus looks at the first test only
		if tl[0].ignoreErr != 0 {
			t.ignoreErr = tl[0].ignoreErr
			p.ignoreErr = t.ignoreErr
		}
		return t
	}
	for _, s := range tl {
		if s.ignoreErr != 0 {
			t.ignoreErr = s.ignoreErr
			p.ignoreErr = t.ignoreErr
			break
		}
	}
	return t
}

func (p *parser) date(header bool) *test {
	p.need(capDate, "date")
	c := newComp()
	zoneTag := int32(-1)
	var zone *string
	for {
		if p.compTag(&c, false, header, false) {
			continue
		}
		if p.isWord(":zone") {
			p.take()
			z := p.str()
			if zoneTag != -1 {
				p.errorf(errDuplicateTag, ":zone")
			}
			zoneTag, zone = bTimezone, &z
			continue
		}
		if header && p.isWord(":originalzone") {
			p.take()
			if zoneTag != -1 {
				p.errorf(errDuplicateTag, ":originalzone")
			}
			zoneTag = bOriginalzone
			continue
		}
		break
	}
	var hn string
	if header {
		hn = p.str()
	}
	part := p.str()
	kl := p.strList()
	if header {
		p.checkHeader(hn)
	}
	p.checkPatterns(kl, &c, nil)
	if c.index == 0 {
		c.index = 1
	} else if c.index == indexLastFirst {
		p.errorf(errMissingTag, ":index")
	}
	if zoneTag == -1 {
		zoneTag = bTimezone
	}
	dp := p.datePart(part)
	args := []arg{argInt(zoneTag)}
	if zoneTag == bTimezone {
		args = append(args, optStr(zone))
	}
	args = append(append(args, c.args()...), argInt(dp))
	if header {
		args = append([]arg{argInt(c.index)}, args...)
		args = append(args, str(hn))
		return &test{op: tcDate, args: append(args, argList(kl))}
	}
	return &test{op: tcCurrentdate, args: append(args, argList(kl))}
}

func (p *parser) ihave(l []string) *test {
	p.need(capIhave, "ihave")
	t := &test{op: tcIhave, args: []arg{argList(l)}}
	for _, name := range l {
		c := capNames[name]
		if c == 0 {
			// unknown: its block may use what this parser does not know
			if t.ignoreErr == 0 {
				p.ignoreErr++
				t.ignoreErr = p.ignoreErr
			}
		} else if c&capIhaveIncompat != 0 {
			p.ignoreErr = 0
			p.errorf(errIhaveIncompat, name)
			break
		}
	}
	return t
}

func (p *parser) duplicate() *test {
	p.need(capDuplicate, "duplicate")
	idType, seconds, last := int32(-1), int32(-1), int32(0)
	var idVal, handle *string
	for {
		switch {
		case p.isWord(":header"), p.isWord(":uniqueid"):
			w := p.take().text
			v := p.str()
			if idType != -1 {
				p.errorf(errConflictingTags, ":header", ":uniqueid")
			}
			idType = bHeaderID
			if w == ":uniqueid" {
				idType = bUniqueID
			}
			idVal = &v
			continue
		case p.isWord(":handle"):
			p.take()
			v := p.str()
			if handle != nil {
				p.errorf(errDuplicateTag, ":handle")
			}
			handle = &v
			continue
		case p.isWord(":seconds"):
			p.take()
			n := p.number()
			if seconds != -1 {
				p.errorf(errDuplicateTag, ":seconds")
			}
			seconds = int32(n)
			continue
		case p.isWord(":last"):
			p.take()
			if last != 0 {
				p.errorf(errDuplicateTag, ":last")
			}
			last = 1
			continue
		}
		break
	}
	switch idType {
	case bHeaderID:
		p.checkHeader(*idVal)
	case bUniqueID:
		p.checkUTF8(*idVal)
	default:
		idType = bHeaderID
		v := "Message-ID"
		idVal = &v
	}
	if handle == nil {
		h := ""
		handle = &h
	} else {
		p.checkUTF8(*handle)
	}
	if seconds == -1 {
		seconds = 7 * dayToSec
	}
	return &test{op: tcDuplicate, args: []arg{argInt(idType), optStr(idVal), optStr(handle), argInt(seconds), argInt(last)}}
}
