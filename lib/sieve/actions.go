package sieve

import "strings"

// Actions (RFC 5228 4 and the extensions' sections), as sieve.y builds
// them. Each returns the command; the ';' after it is the caller's.

// mailboxTags are the tags fileinto, vacation :fcc, notify :fcc and
// snooze share (RFC 5490 3.2 :create, RFC 5232 :flags, RFC 8579
// :specialuse, mailboxid :mailboxid).
type mailboxTags struct {
	create     int32
	flags      []string
	hasFlags   bool
	specialUse *string
	mailboxID  *string
	folder     *string // :fcc, or snooze's :mailbox
}

func (p *parser) flagsTag(m *mailboxTags) {
	l := p.strList()
	if m.hasFlags {
		p.errorf(errDuplicateTag, ":flags")
	} else if !p.has(capImap4flags) {
		p.errorf(errMissingRequire, "imap4flags")
	}
	m.flags, m.hasFlags = l, true
}

// mailboxTag reads one of :create, :specialuse, :mailboxid, and :flags
// if flags is set.
func (p *parser) mailboxTag(m *mailboxTags, flags bool) bool {
	switch {
	case p.isWord(":create"):
		p.take()
		m.create++
		if m.create > 1 {
			p.errorf(errDuplicateTag, ":create")
		} else if !p.has(capMailbox) {
			p.errorf(errMissingRequire, "mailbox")
		}
	case flags && p.isWord(":flags"):
		p.take()
		p.flagsTag(m)
	case p.isWord(":specialuse"):
		p.take()
		s := p.str()
		switch {
		case m.specialUse != nil:
			p.errorf(errDuplicateTag, ":specialuse")
		case !p.has(capSpecialUse):
			p.errorf(errMissingRequire, "special-use")
		case m.mailboxID != nil:
			p.errorf(errConflictingTags, ":specialuse", ":mailboxid")
		}
		m.specialUse = &s
	case p.isWord(":mailboxid"):
		p.take()
		s := p.str()
		switch {
		case m.mailboxID != nil:
			p.errorf(errDuplicateTag, ":mailboxid")
		case !p.has(capMailboxid):
			p.errorf(errMissingRequire, "mailboxid")
		case m.specialUse != nil:
			p.errorf(errConflictingTags, ":mailboxid", ":specialuse")
		}
		m.mailboxID = &s
	default:
		return false
	}
	return true
}

// fccTag reads :fcc or a mailbox tag (vacation and notify).
func (p *parser) fccTag(m *mailboxTags) bool {
	if p.isWord(":fcc") {
		p.take()
		s := p.str()
		if m.folder != nil {
			p.errorf(errDuplicateTag, ":fcc")
		} else if !p.has(capFcc) {
			p.errorf(errMissingRequire, "fcc")
		}
		m.folder = &s
		return true
	}
	return p.mailboxTag(m, true)
}

// copyTag reads :copy (RFC 3894).
func (p *parser) copyTag(copy *int32) bool {
	if !p.isWord(":copy") {
		return false
	}
	p.take()
	*copy++
	if *copy > 1 {
		p.errorf(errDuplicateTag, ":copy")
	} else if !p.has(capCopy) {
		p.errorf(errMissingRequire, "copy")
	}
	return true
}

func (p *parser) flagArg(m *mailboxTags) argList {
	if !m.hasFlags {
		return nil
	}
	return argList(p.flagList(m.flags))
}

func (p *parser) action(t token) *command {
	switch t.text {
	case "keep":
		var m mailboxTags
		for p.isWord(":flags") {
			p.take()
			p.flagsTag(&m)
		}
		p.peek()
		return &command{op: opKeep, args: []arg{p.flagArg(&m)}}
	case "fileinto":
		p.need(capFileinto, "fileinto")
		var m mailboxTags
		var copy int32
		for p.copyTag(&copy) || p.mailboxTag(&m, true) {
		}
		folder := p.str()
		flags := p.flagArg(&m)
		p.checkMailbox(folder)
		return &command{op: opFileinto, args: []arg{optStr(m.mailboxID), optStr(m.specialUse), argInt(m.create), flags, argInt(copy), str(folder)}}
	case "redirect":
		return p.redirect()
	case "discard":
		return &command{op: opDiscard}
	case "set":
		return p.set()
	case "vacation":
		return p.vacation()
	case "setflag", "addflag", "removeflag":
		return p.flagAction(t.text)
	case "mark", "unmark":
		p.need(capImap4flags, "imap4flags")
		op := int32(opAddflag)
		if t.text == "unmark" {
			op = opRemoveflag
		}
		return &command{op: op, args: []arg{str(""), argList(p.flagList([]string{"\\Flagged"}))}}
	case "addheader":
		p.need(capEditheader, "editheader")
		index := int32(0)
		for p.isWord(":last") {
			p.take()
			if index < 0 {
				p.errorf(errDuplicateTag, ":last")
			}
			index = -1
		}
		name, value := p.str(), p.str()
		p.checkHeader(name)
		p.checkUTF8(value)
		if index == 0 {
			index = 1
		}
		return &command{op: opAddheader, args: []arg{argInt(index), str(name), str(value)}}
	case "deleteheader":
		p.need(capEditheader, "editheader")
		c := newComp()
		for p.compTag(&c, true, false, true) {
		}
		name := p.str()
		values := []string{}
		if p.startsList() {
			values = p.strList()
		}
		if strings.EqualFold(name, "Received") || strings.EqualFold(name, "Auto-Submitted") {
			p.errorf("MUST NOT delete Received or Auto-Submitted headers")
		} else if c.index == indexLastFirst {
			p.errorf(errMissingTag, ":index")
		}
		p.checkHeader(name)
		p.checkPatterns(values, &c, p.checkUTF8)
		return &command{op: opDelheader, args: append(append([]arg{argInt(c.index)}, c.args()...), str(name), argList(values))}
	case "reject", "ereject":
		msg := p.str()
		p.checkUTF8(msg)
		if t.text == "reject" {
			p.need(capReject, "reject")
			return &command{op: opReject, args: []arg{str(msg)}}
		}
		p.need(capEreject, "ereject")
		return &command{op: opEreject, args: []arg{str(msg)}}
	case "notify":
		return p.notify()
	case "denotify":
		return p.denotify()
	case "log":
		msg := p.str()
		p.checkUTF8(msg)
		p.need(capLog, "vnd.cyrus.log")
		return &command{op: opLog, args: []arg{str(msg)}}
	case "snooze":
		return p.snooze()
	case "processimip":
		return p.processImip()
	}
	p.syntax(t)
	return nil
}

func (p *parser) redirect() *command {
	var copy, list, trace int32
	var bytime, bymode, notify, ret *string
	for {
		if p.copyTag(&copy) {
			continue
		}
		t := p.peek()
		if t.kind != tWord {
			break
		}
		switch t.text {
		case ":list":
			p.take()
			list++
			if list > 1 {
				p.errorf(errDuplicateTag, ":list")
			} else if !p.has(capExtlists) {
				p.errorf(errMissingRequire, "extlists")
			}
			continue
		case ":bytimerelative", ":bytimeabsolute", ":bymode", ":bytrace":
			p.take()
			switch t.text {
			case ":bytimerelative":
				n := p.number()
				if bytime != nil {
					if len(*bytime) > 0 && isDigit((*bytime)[0]) {
						p.errorf(errConflictingTags, ":bytimerelative", ":bytimeabsolute")
					} else {
						p.errorf(errDuplicateTag, ":bytimerelative")
					}
				}
				s := "+" + itoa(n)
				bytime = &s
			case ":bytimeabsolute":
				s := p.str()
				if bytime != nil {
					if len(*bytime) > 0 && isDigit((*bytime)[0]) {
						p.errorf(errDuplicateTag, ":bytimeabsolute")
					} else {
						p.errorf(errConflictingTags, ":bytimeabsolute", ":bytimerelative")
					}
				}
				bytime = &s
			case ":bymode":
				s := p.str()
				if bymode != nil {
					p.errorf(errDuplicateTag, ":bymode")
				}
				bymode = &s
			default:
				if trace != 0 {
					p.errorf(errDuplicateTag, ":bytrace")
				}
				trace = 1
			}
			p.need(capRedirDelby, "redirect-deliverby")
			continue
		case ":notify", ":ret":
			p.take()
			s := p.str()
			if t.text == ":notify" {
				if notify != nil {
					p.errorf(errDuplicateTag, ":notify")
				}
				notify = &s
			} else {
				if ret != nil {
					p.errorf(errDuplicateTag, ":ret")
				}
				ret = &s
			}
			p.need(capRedirDsn, "redirect-dsn")
			continue
		}
		break
	}
	addr := p.str()
	if list != 0 {
		// Cyrus asks the interpreter's list validator here, which in
		// sievec and timsieved is a stub that kills the process; a
		// list is refused instead
		p.errorf("list '%s': is not valid/supported", addr)
	} else {
		p.checkAddress(addr)
	}
	if bytime != nil {
		if !p.has(capVariables) {
			if (len(*bytime) == 0 || (*bytime)[0] != '+') && !isISO8601(*bytime) {
				p.errorf("string '%s': not a valid DELIVERBY time value", *bytime)
			}
			if bymode != nil && !strings.EqualFold(*bymode, "NOTIFY") && !strings.EqualFold(*bymode, "RETURN") {
				p.errorf("string '%s': not a valid DELIVERBY mode value", *bymode)
			}
		}
	} else if bymode != nil || trace != 0 {
		p.errorf(errMissingTag, ":bytimerelative OR :bytimeabsolute")
	}
	if notify != nil && !p.has(capVariables) {
		never := false
		for _, tok := range strings.Split(*notify, ",") {
			tok = strings.TrimFunc(tok, func(r rune) bool { return r < 0x80 && isCSpace(byte(r)) })
			if tok == "" {
				continue
			}
			if strings.EqualFold(tok, "NEVER") {
				never = true
			} else if never {
				p.errorf("DSN NOTIFY value 'NEVER' MUST be used by itself")
				break
			} else if !strings.EqualFold(tok, "SUCCESS") && !strings.EqualFold(tok, "FAILURE") && !strings.EqualFold(tok, "DELAY") {
				p.errorf("string '%s': not a valid DSN NOTIFY value", tok)
				break
			}
		}
	}
	if ret != nil && !p.has(capVariables) && !strings.EqualFold(*ret, "FULL") && !strings.EqualFold(*ret, "HDRS") {
		p.errorf("string '%s': not a valid DSN RET value", *ret)
	}
	return &command{op: opRedirect, args: []arg{optStr(bytime), optStr(bymode), argInt(trace), optStr(notify), optStr(ret), argInt(list), argInt(copy), str(addr)}}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// Modifiers of set (RFC 5229 4.1), as bits, grouped by precedence.
var setModifiers = map[string]struct {
	bit, group int32
	prec       string
}{
	":lower": {1, 3, "40"}, ":upper": {2, 3, "40"},
	":lowerfirst": {4, 12, "30"}, ":upperfirst": {8, 12, "30"},
	":quotewildcard": {16, 144, "20"}, ":quoteregex": {128, 144, "20"},
	":encodeurl": {32, 32, "15"},
	":length":    {64, 64, "10"},
}

func (p *parser) set() *command {
	p.need(capVariables, "variables")
	var mods int32
	for {
		t := p.peek()
		m, ok := setModifiers[t.text]
		if t.kind != tWord || !ok {
			break
		}
		p.take()
		switch t.text {
		case ":quoteregex":
			p.need(capRegex, "regex")
		case ":encodeurl":
			p.need(capEnotify, "enotify")
		}
		if mods&m.group != 0 {
			p.errorf(errMultipleTags, "precedence "+m.prec+" modifier")
		}
		mods |= m.bit
	}
	name, value := p.str(), p.str()
	p.checkIdentifier(name)
	p.checkUTF8(value)
	return &command{op: opSet, args: []arg{argInt(mods), str(name), str(value)}}
}

func (p *parser) vacation() *command {
	p.need(capVacation, "vacation")
	seconds, mime := int32(-1), int32(-1)
	var subject, from, handle *string
	var addresses []string
	hasAddresses := false
	var m mailboxTags
	for {
		t := p.peek()
		if t.kind != tWord {
			break
		}
		switch t.text {
		case ":days", ":seconds":
			p.take()
			n := p.number()
			if t.text == ":seconds" {
				p.need(capVacationSec, "vacation-seconds")
			}
			if seconds != -1 {
				p.errorf(errDuplicateTag, t.text)
			}
			if t.text == ":days" {
				seconds = int32(n) * dayToSec // wraps as Cyrus's int does
			} else {
				seconds = int32(n)
			}
			continue
		case ":subject", ":from", ":handle":
			p.take()
			s := p.str()
			dst := map[string]**string{":subject": &subject, ":from": &from, ":handle": &handle}[t.text]
			if *dst != nil {
				p.errorf(errDuplicateTag, t.text)
			}
			*dst = &s
			continue
		case ":addresses":
			p.take()
			l := p.strList()
			if hasAddresses {
				p.errorf(errDuplicateTag, ":addresses")
			}
			addresses, hasAddresses = l, true
			continue
		case ":mime":
			p.take()
			if mime != -1 {
				p.errorf(errDuplicateTag, ":mime")
			}
			mime = 1
			continue
		}
		if p.fccTag(&m) {
			continue
		}
		break
	}
	msg := p.str()
	if handle != nil {
		p.checkUTF8(*handle)
	}
	if subject != nil {
		p.checkUTF8(*subject)
	}
	if from != nil {
		p.checkAddress(*from)
	}
	if hasAddresses {
		p.checkList(addresses, p.checkAddress)
	}
	if mime == -1 {
		p.checkUTF8(msg)
		mime = 0
	}
	var flags argList
	if m.folder != nil {
		p.checkMailbox(*m.folder)
		flags = p.flagArg(&m)
	} else if m.create != 0 || m.hasFlags || m.specialUse != nil || m.mailboxID != nil {
		p.errorf(errMissingTag, ":fcc")
	}
	if seconds == -1 {
		seconds = 7 * dayToSec
	}
	if lo := p.o.vacationMin(); seconds < lo {
		seconds = lo
	}
	if hi := p.o.vacationMax(); seconds > hi {
		seconds = hi
	}
	args := []arg{argList(addresses), optStr(subject), str(msg), argInt(seconds), argInt(mime), optStr(from), optStr(handle), optStr(m.folder)}
	if m.folder != nil {
		args = append(args, argInt(m.create), flags, optStr(m.specialUse), optStr(m.mailboxID))
	}
	return &command{op: opVacation, args: args}
}

// flagAction is setflag/addflag/removeflag [variable] flags (RFC 5232 3).
func (p *parser) flagAction(name string) *command {
	p.need(capImap4flags, "imap4flags")
	op := map[string]int32{"setflag": opSetflag, "addflag": opAddflag, "removeflag": opRemoveflag}[name]
	var variable *string
	var flags []string
	for {
		if p.peek().kind != tString {
			flags = p.strList()
			break
		}
		s := p.str()
		if p.isChar(';') {
			flags = []string{s}
			break
		}
		// a string followed by another list is the variable name (and
		// so is one followed by anything but ';': bison's default
		// reduction there, before it sees the syntax error)
		if variable != nil {
			p.errorf(errDuplicateArg, "variablename")
		} else if !p.has(capImap4flags) {
			p.errorf(errMissingRequire, "imap4flags")
		}
		variable = &s
	}
	flags = p.flagList(flags)
	if variable == nil {
		v := ""
		variable = &v
	} else if !isIdentifier(*variable) {
		p.errorf(errInvalidValue, "variablename")
	}
	return &command{op: op, args: []arg{optStr(variable), argList(flags)}}
}

var priorities = map[string]int32{":low": bLow, ":normal": bNormal, ":high": bHigh}

// notify is RFC 5435 notify with a method, or the legacy notify of
// draft-martin-sieve-notify-01 without one; both share the tags.
func (p *parser) notify() *command {
	priority := int32(-1)
	var from, id, method, message *string
	var options []string
	var m mailboxTags
	for {
		t := p.peek()
		if t.kind != tWord {
			break
		}
		if pr, ok := priorities[t.text]; ok {
			p.take()
			if priority != -1 {
				p.errorf(errMultipleTags, "priority")
			}
			priority = pr
			continue
		}
		switch t.text {
		case ":from", ":id", ":method", ":message":
			p.take()
			s := p.str()
			dst := map[string]**string{":from": &from, ":id": &id, ":method": &method, ":message": &message}[t.text]
			if *dst != nil {
				p.errorf(errDuplicateTag, t.text)
			}
			*dst = &s
			continue
		case ":importance":
			p.take()
			v := p.take()
			if v.kind != tValue {
				p.syntax(v)
			}
			if priority != -1 {
				p.errorf(errDuplicateTag, ":importance")
			}
			priority = map[string]int32{"1": bHigh, "2": bNormal, "3": bLow}[v.text]
			continue
		case ":options":
			p.take()
			l := p.strList()
			if options != nil {
				p.errorf(errDuplicateTag, ":options")
			}
			options = l
			continue
		}
		if p.fccTag(&m) {
			continue
		}
		break
	}
	op := int32(opNotify)
	second := id
	if p.peek().kind == tString {
		op = opEnotify
		uri := p.str()
		p.need(capEnotify, "enotify")
		if id != nil {
			p.errorf(errUnexpectedTag, ":id")
		}
		if method != nil {
			p.errorf(errUnexpectedTag, ":method")
		}
		if m.folder != nil {
			p.checkMailbox(*m.folder)
			if m.hasFlags {
				p.flagList(m.flags)
			}
		} else if m.create != 0 || m.hasFlags || m.specialUse != nil || m.mailboxID != nil {
			p.errorf(errMissingTag, ":fcc")
		}
		method = &uri
		second = from
	} else {
		p.need(capNotify, "notify")
		if from != nil {
			p.errorf(errUnexpectedTag, ":from")
		}
		if m.folder != nil {
			p.errorf(errUnexpectedTag, ":fcc")
		}
		if m.create != 0 {
			p.errorf(errUnexpectedTag, ":create")
		}
		if m.hasFlags {
			p.errorf(errUnexpectedTag, ":flags")
		}
		if m.specialUse != nil {
			p.errorf(errUnexpectedTag, ":specialuse")
		}
		if method == nil {
			d := "default"
			method = &d
		}
	}
	if priority == -1 {
		priority = bNormal
	}
	if message == nil {
		d := "$from$: $subject$"
		message = &d
	}
	return &command{op: op, args: []arg{optStr(method), optStr(second), argList(options), argInt(priority), optStr(message)}}
}

func (p *parser) denotify() *command {
	p.need(capNotify, "notify")
	c := newComp()
	c.collation = bASCIICasemap
	priority := int32(-1)
	var pattern *string
	for {
		t := p.peek()
		if pr, ok := priorities[t.text]; ok && t.kind == tWord {
			p.take()
			if priority != -1 {
				p.errorf(errMultipleTags, "priority")
			}
			priority = pr
			continue
		}
		if t.kind == tWord && (t.text == ":is" || t.text == ":contains" || t.text == ":matches" || t.text == ":regex" || t.text == ":count" || t.text == ":value") {
			p.compTag(&c, false, false, false)
			s := p.str()
			pattern = &s
			continue
		}
		break
	}
	p.canon(&c)
	if priority == -1 {
		priority = bAny
	}
	if pattern != nil {
		p.checkPatterns([]string{*pattern}, &c, nil)
	}
	return &command{op: opDenotify, args: []arg{argInt(priority), argInt(c.match), argInt(c.relation), optStr(pattern)}}
}

func (p *parser) snooze() *command {
	p.need(capSnooze, "vnd.cyrus.snooze")
	var m mailboxTags
	var add, remove []string
	hasAdd, hasRemove := false, false
	var days int32
	var tzid *string
	for {
		t := p.peek()
		if t.kind != tWord {
			break
		}
		switch t.text {
		case ":mailbox", ":tzid":
			p.take()
			s := p.str()
			dst := &m.folder
			if t.text == ":tzid" {
				dst = &tzid
			}
			if *dst != nil {
				p.errorf(errDuplicateTag, t.text)
			}
			*dst = &s
			continue
		case ":addflags", ":removeflags":
			p.take()
			l := p.strList()
			has, dst := &hasAdd, &add
			if t.text == ":removeflags" {
				has, dst = &hasRemove, &remove
			}
			if *has {
				p.errorf(errDuplicateTag, t.text)
			} else if !p.has(capImap4flags) {
				p.errorf(errMissingRequire, "imap4flags")
			}
			*has, *dst = true, l
			continue
		case ":weekdays":
			p.take()
			d := p.weekdays()
			if days != 0 {
				p.errorf(errDuplicateTag, ":weekdays")
			}
			days = d
			continue
		}
		if p.mailboxTag(&m, false) {
			continue
		}
		break
	}
	times := p.times()
	if m.folder != nil {
		p.checkMailbox(*m.folder)
	}
	var addArg, removeArg argList
	if hasAdd {
		addArg = argList(p.flagList(add))
	}
	if hasRemove {
		removeArg = argList(p.flagList(remove))
	}
	if days == 0 {
		days = 0x7f
	}
	sortVals(times)
	return &command{op: opSnooze, args: []arg{optStr(m.folder), optStr(m.mailboxID), optStr(m.specialUse), argInt(m.create), addArg, removeArg, argInt(days), optStr(tzid), argVals(times)}}
}

// rawString is a string token used as it is (snooze's weekdays and times
// skip the match-variable check).
func (p *parser) rawString() string {
	t := p.take()
	if t.kind != tString {
		p.syntax(t)
	}
	return t.text
}

func (p *parser) weekday() int32 {
	s := p.rawString()
	if len(s) == 1 && s[0] >= '0' && s[0] <= '6' {
		return 1 << (s[0] - '0')
	}
	p.errorf("'%s': not a valid weekday for snooze", s)
	return 0
}

func (p *parser) weekdays() int32 {
	if !p.isChar('[') {
		return p.weekday() & 0xff
	}
	p.take()
	d := p.weekday()
	for p.isChar(',') {
		p.take()
		d |= p.weekday()
	}
	p.expectChar(']')
	return d & 0xff
}

func (p *parser) time() int32 {
	s := p.rawString()
	v, ok := snoozeTime(s)
	if !ok {
		p.errorf("'%s': not a valid time for snooze", s)
	}
	return v
}

func (p *parser) times() []int32 {
	if !p.isChar('[') {
		return []int32{p.time()}
	}
	p.take()
	return listItems(p, p.time, "time")
}

func (p *parser) processImip() *command {
	p.need(capImip, "vnd.cyrus.imip")
	var invites, updates, deleteCanceled bool
	var calendar, outcome, errstr *string
	for {
		t := p.peek()
		if t.kind != tWord {
			break
		}
		switch t.text {
		case ":invitesonly":
			p.take()
			switch {
			case invites:
				p.errorf(errDuplicateTag, ":invitesonly")
			case updates:
				p.errorf(errConflictingTags, ":invitesonly", ":updatesonly")
			case deleteCanceled:
				p.errorf(errConflictingTags, ":invitesonly", ":deletecanceled")
			}
			invites = true
			continue
		case ":updatesonly":
			p.take()
			switch {
			case updates:
				p.errorf(errDuplicateTag, ":updatesonly")
			case invites:
				p.errorf(errConflictingTags, ":invitesonly", ":updatesonly")
			case calendar != nil:
				p.errorf(errConflictingTags, ":updatesonly", ":calendarid")
			}
			updates = true
			continue
		case ":deletecanceled":
			p.take()
			switch {
			case deleteCanceled:
				p.errorf(errDuplicateTag, ":deletecanceled")
			case invites:
				p.errorf(errConflictingTags, ":invitesonly", ":deletecanceled")
			}
			deleteCanceled = true
			continue
		case ":calendarid":
			p.take()
			s := p.str()
			if calendar != nil {
				p.errorf(errDuplicateTag, ":calendarid")
			} else if updates {
				p.errorf(errConflictingTags, ":updatesonly", ":calendarid")
			}
			calendar = &s
			continue
		case ":outcome", ":errstr":
			p.take()
			s := p.str()
			dst := &outcome
			if t.text == ":errstr" {
				dst = &errstr
			}
			if *dst != nil {
				p.errorf(errDuplicateTag, t.text)
			} else if !p.has(capVariables) {
				p.errorf(errMissingRequire, "variables")
			}
			*dst = &s
			continue
		}
		break
	}
	var flags int32
	if invites {
		flags |= 4
	}
	if updates {
		flags |= 1
	}
	if deleteCanceled {
		flags |= 2
	}
	if outcome != nil {
		p.checkIdentifier(*outcome)
	}
	if errstr != nil {
		p.checkIdentifier(*errstr)
	}
	return &command{op: opProcessimip, args: []arg{argInt(flags), optStr(calendar), optStr(outcome), optStr(errstr)}}
}
