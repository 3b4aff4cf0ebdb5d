package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"gyrus/lib/acl"
	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
)

// LIST, XLIST, LSUB and SUBSCRIBE/UNSUBSCRIBE (RFC 9051 6.3.9, RFC 5258
// LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154 SPECIAL-USE, RFC 8440
// LIST-MYRIGHTS, RFC 3348 CHILDREN), modelled on Cyrus's list_data,
// list_cb, subscribed_cb, perform_output and list_response: mailboxes
// are visited in mailbox order, a pattern matches a name fully or, with
// '%', a prefix of it (which reports the prefix), and the attributes of
// a name are settled when the next name comes.

// Mailbox name attributes, in Cyrus's print order.
const (
	attrNoInferiors uint32 = 1 << iota
	attrNoSelect
	attrMarked
	attrUnmarked
	attrNonExistent
	attrSubscribed
	attrRemote
	attrHasChildren
	attrHasNoChildren
	attrChildInfoSubscribed
)

var attrNames = []struct {
	bit  uint32
	name string
}{
	{attrNoInferiors, `\Noinferiors`}, {attrNoSelect, `\Noselect`}, {attrMarked, `\Marked`},
	{attrUnmarked, `\Unmarked`}, {attrNonExistent, `\NonExistent`}, {attrSubscribed, `\Subscribed`},
	{attrRemote, `\Remote`}, {attrHasChildren, `\HasChildren`}, {attrHasNoChildren, `\HasNoChildren`},
}

// listArgs is one LIST-like command.
type listArgs struct {
	cmd        string // LIST, XLIST, LSUB
	extended   bool
	patterns   []string
	sel        imapwire.List
	retSubs    bool
	retChild   bool
	retSpecial bool
	retStatus  *imapwire.StatusItems
	retRights  bool
	retMeta    []string
	scan       string
}

// listState is Cyrus's list_rock.
type listState struct {
	s         *Session
	a         *listArgs
	lastName  string
	lastEntry *mboxlist.Entry
	lastAttrs uint32
	started   bool
	calls     int
	subs      map[string]bool // internal names (RETURN SUBSCRIBED)
}

func (s *Session) cmdList(tag, cmd string, l *imapwire.List) {
	start := time.Now()
	a := &listArgs{cmd: cmd, extended: l.Extended, sel: *l}
	a.patterns = append(a.patterns, l.Patterns...)
	o := l.Options
	// Cyrus: LIST always returns CHILDREN, XLIST also SPECIAL-USE, and
	// the SUBSCRIBED selection implies RETURN (SUBSCRIBED).
	a.retSubs = o.ReturnSubscribed || o.SelectSubscribed
	a.retChild = true
	a.retSpecial = o.ReturnSpecialUse || cmd == "XLIST"
	if l.ReturnStatus != nil {
		a.retStatus = l.ReturnStatus
	}
	a.retRights = l.ReturnMyRights
	if l.HasReturnMetadata {
		a.retMeta = l.ReturnMetadata
	}
	s.runList(tag, a, l.Reference, start)
}

func (s *Session) cmdLsub(tag string, l *imapwire.Lsub) {
	a := &listArgs{cmd: "LSUB", patterns: []string{l.Pattern}}
	a.sel.Options.SelectSubscribed = true
	s.runList(tag, a, l.Reference, time.Now())
}

func (s *Session) cmdScan(tag string, l *imapwire.Scan) {
	a := &listArgs{cmd: "LIST", patterns: []string{l.Pattern}, scan: l.Text}
	s.runList(tag, a, l.Reference, time.Now())
}

func (s *Session) runList(tag string, a *listArgs, ref string, start time.Time) {
	sep := s.srv.ns.Sep()
	ls := &listState{s: s, a: a}
	if len(a.patterns) > 0 && a.patterns[0] == "" && a.cmd != "LSUB" {
		// the hierarchy separator query (RFC 9051 6.3.9)
		s.wr().RawString(fmt.Sprintf("* %s (\\Noselect) \"%c\" \"\"\r\n", a.cmd, sep))
	} else {
		for i, p := range a.patterns {
			a.patterns[i] = canonicalPattern(ref, p, sep, s.srv.cfg.Ignorereference())
		}
		if !a.extended && len(a.patterns) > 0 && a.patterns[0] == "*" && s.srv.cfg.Foolstupidclients() {
			a.patterns[0] = "INBOX*"
		}
		switch {
		case a.sel.Options.SelectRecursiveMatch:
			ls.recursiveMatch()
		case a.sel.Options.SelectSubscribed:
			ls.subscribed()
		default:
			if a.retSubs {
				ls.subs = s.subscriptions()
			}
			ls.all()
		}
	}
	s.tellChanges(false)
	text := fmt.Sprintf("Completed (%.3f secs", time.Since(start).Seconds())
	if ls.calls > 0 {
		text += fmt.Sprintf(" %d calls", ls.calls)
	}
	s.okText(tag, text+")")
}

// canonicalPattern joins reference and pattern as Cyrus's
// canonical_list_pattern does (one separator between them).
func canonicalPattern(ref, pat string, sep byte, ignoreRef bool) string {
	if ignoreRef && (pat == "" || pat[0] != sep) {
		return pat
	}
	if ref != "" && ref[len(ref)-1] == sep && pat != "" && pat[0] == sep {
		ref = ref[:len(ref)-1]
	}
	return ref + pat
}

// globLen is Cyrus's glob_test over several LIST patterns: the length of
// the longest leading part of ext that a pattern matches and that ends
// at a hierarchy boundary (the whole name, or a prefix followed by the
// separator), or -1. Matching is case-sensitive, INBOX included; '*'
// matches anything, '%' anything but the separator.
func globLen(patterns []string, ext string, sep byte) int {
	best := -1
	for _, p := range patterns {
		if n := globTest(p, ext, sep); n > best {
			best = n
		}
	}
	return best
}

// globTest is globLen for one pattern: one pass of the usual wildcard
// table gives every prefix of ext that the pattern matches.
func globTest(pattern, ext string, sep byte) int {
	// row[j]: pattern[:i] matches ext[:j]
	var buf [2][129]bool
	var row, next []bool
	if len(ext) < 128 {
		row, next = buf[0][:len(ext)+1], buf[1][:len(ext)+1]
	} else {
		row, next = make([]bool, len(ext)+1), make([]bool, len(ext)+1)
	}
	row[0] = true
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch c {
		case '*':
			next[0] = row[0]
			for j := 1; j <= len(ext); j++ {
				next[j] = row[j] || next[j-1]
			}
		case '%':
			next[0] = row[0]
			for j := 1; j <= len(ext); j++ {
				next[j] = row[j] || (next[j-1] && ext[j-1] != sep)
			}
		default:
			next[0] = false
			for j := 1; j <= len(ext); j++ {
				next[j] = row[j-1] && ext[j-1] == c
			}
		}
		row, next = next, row
	}
	if row[len(ext)] {
		return len(ext)
	}
	for j := len(ext) - 1; j > 0; j-- {
		if ext[j] == sep && row[j] {
			return j
		}
	}
	return -1
}

// singlePercent is Cyrus's rock->singlepercent: one pattern whose part
// after the common literal prefix is "*%" makes LIST report every
// matching ancestor of a name as well.
func singlePercent(patterns []string) bool {
	if len(patterns) != 1 {
		return false
	}
	p := patterns[0]
	i := strings.IndexAny(p, "*%?")
	return i >= 0 && p[i:] == "*%"
}

// visible reports whether the session may see a mailbox in listings.
func (s *Session) visible(e *mboxlist.Entry) bool {
	if s.isAdmin {
		return true
	}
	if s.srv.ns.ParseInternal(e.Name).Deleted != 0 {
		return false
	}
	return s.aclRights(e).Has(acl.Lookup)
}

// all is list_data's findall walk with list_cb.
func (ls *listState) all() {
	s := ls.s
	sep := s.srv.ns.Sep()
	v := s.viewer()
	single := singlePercent(ls.a.patterns)
	group := -1
	type match struct {
		ext   string
		m     int
		e     *mboxlist.Entry
		group int
		alt   bool
	}
	// Cyrus walks the DELETED hierarchy last; FindAll gives it in
	// mailbox order
	var deleted []match
	emit := func(x match) {
		if x.group != group {
			if group >= 0 {
				ls.end()
			}
			group = x.group
		}
		ls.matched(x.ext, x.m, x.e, single, x.alt, ls.listCB)
	}
	s.srv.list.FindAll([]string{"*"}, v, mboxlist.WithIntermediates, func(f mboxlist.Found) error {
		e := f.Entry
		n := s.srv.ns.ParseInternal(e.Name)
		if e.Type&mboxlist.Intermediate != 0 {
			// only admins and the owner see intermediates
			if !s.isAdmin && n.UserID() != s.userid {
				return nil
			}
		} else if !s.visible(e) {
			return nil
		}
		ext := f.External
		if s.utf8 {
			if u, ok := s.externalName(e.Name); ok {
				ext = u
			}
		}
		m := globLen(ls.a.patterns, ext, sep)
		if m <= 0 {
			return nil
		}
		cat := s.srv.ns.Category(n, v)
		x := match{ext, m, e, s.listGroup(cat), cat == mboxname.CatAltInbox}
		if x.group >= 5 {
			deleted = append(deleted, x)
			return nil
		}
		emit(x)
		return nil
	})
	sort.SliceStable(deleted, func(i, j int) bool { return deleted[i].group < deleted[j].group })
	for _, x := range deleted {
		emit(x)
	}
	ls.end()
}

// matched is Cyrus's find_cb: the name cut to the matched length, after
// its matching ancestors when the pattern asks for them (singlepercent).
func (ls *listState) matched(ext string, m int, e *mboxlist.Entry, single, altInbox bool,
	cb func(name string, e *mboxlist.Entry, exact, altInbox bool)) {
	sep := ls.s.srv.ns.Sep()
	name := ext[:m]
	if single {
		for i := 1; i < len(name); i++ {
			if name[i] == sep && globLen(ls.a.patterns, name[:i], sep) == i {
				cb(name[:i], nil, false, altInbox)
			}
		}
	}
	exact := m == len(ext)
	if !exact {
		e = nil
	}
	cb(name, e, exact, altInbox)
}

// listGroup numbers the parts of Cyrus's mboxlist_do_find walk between
// which the name buffer is flushed.
func (s *Session) listGroup(c mboxname.Category) int {
	alt := s.srv.ns.AltNamespace
	switch c {
	case mboxname.CatInbox, mboxname.CatInboxSub:
		return 0
	case mboxname.CatOwner:
		if alt {
			return 1
		}
		return 0
	case mboxname.CatAltInbox, mboxname.CatAltPrefix:
		return 2
	case mboxname.CatOtherUser:
		return 3
	case mboxname.CatShared:
		return 4
	case mboxname.CatOwnerDeleted:
		return 5
	}
	return 6
}

// isAltInbox: in the alternate namespace a folder named INBOX below the
// user's INBOX has no inferiors (Cyrus MBNAME_ALTINBOX).
func (s *Session) isAltInbox(e *mboxlist.Entry, ext string) bool {
	if !s.srv.ns.AltNamespace || s.isAdmin {
		return false
	}
	return s.srv.ns.Category(s.srv.ns.ParseInternal(e.Name), s.viewer()) == mboxname.CatAltInbox
}

func (ls *listState) isAncestor(name string) bool {
	sep := ls.s.srv.ns.Sep()
	return ls.started && len(name) > len(ls.lastName) && name[len(ls.lastName)] == sep && strings.HasPrefix(name, ls.lastName)
}

// listCB is Cyrus's list_cb for one match.
func (ls *listState) listCB(name string, e *mboxlist.Entry, exact, altInbox bool) {
	ls.calls++
	if ls.isAncestor(name) || (ls.started && !exact && ls.lastName == name) {
		ls.lastAttrs |= attrHasChildren
	} else if ls.lastAttrs&attrHasChildren == 0 {
		ls.lastAttrs |= attrHasNoChildren
	}
	if !ls.performOutput(name, e, true) {
		return
	}
	if !exact {
		ls.lastAttrs |= attrHasChildren | attrNonExistent
	} else if altInbox {
		ls.lastAttrs |= attrNoInferiors
	}
}

// end flushes the last name (Cyrus's callback with no data).
func (ls *listState) end() {
	if ls.lastAttrs&attrHasChildren == 0 {
		ls.lastAttrs |= attrHasNoChildren
	}
	ls.performOutput("", nil, false)
}

// performOutput is Cyrus's perform_output: skip repeats, print the
// previous name, remember the new one.
func (ls *listState) performOutput(name string, e *mboxlist.Entry, have bool) bool {
	sep := ls.s.srv.ns.Sep()
	if ls.started {
		if have {
			if ls.lastName == name {
				return false
			}
			if len(name) < len(ls.lastName) && ls.lastName[len(name)] == sep && strings.HasPrefix(ls.lastName, name) {
				return false
			}
		}
		ls.addSubs()
		if !ls.a.sel.Options.SelectSubscribed || ls.lastAttrs&(attrSubscribed|attrChildInfoSubscribed) != 0 {
			ls.response(ls.lastName, ls.lastEntry, ls.lastAttrs)
		}
		ls.started = false
		ls.lastEntry = nil
	}
	if have {
		ls.lastName = name
		ls.lastEntry = e
		ls.started = true
	}
	ls.lastAttrs = 0
	return true
}

// addSubs is Cyrus's _addsubs: \Subscribed (and CHILDINFO) from the
// subscription list for RETURN (SUBSCRIBED).
func (ls *listState) addSubs() {
	if ls.subs == nil || ls.lastEntry == nil {
		return
	}
	last := ls.lastEntry.Name
	for name := range ls.subs {
		switch {
		case name == last:
			if ls.lastAttrs&attrNonExistent != 0 {
				ls.lastAttrs |= attrChildInfoSubscribed
			} else {
				ls.lastAttrs |= attrSubscribed
			}
		case strings.HasPrefix(name, last+"."):
			ls.lastAttrs |= attrChildInfoSubscribed
		}
	}
}

// subscribed is the SUBSCRIBED selection (and LSUB): subscribed_cb over
// the user's subscriptions.
func (ls *listState) subscribed() {
	s := ls.s
	sep := s.srv.ns.Sep()
	v := s.viewer()
	single := singlePercent(ls.a.patterns)
	type sub struct {
		in, ext string
		m       int
		cat     mboxname.Category
		group   int
	}
	var found []sub
	for _, in := range s.subscriptionList() {
		ext, ok := s.externalName(in)
		if !ok {
			continue
		}
		m := globLen(ls.a.patterns, ext, sep)
		if m <= 0 {
			continue
		}
		cat := s.srv.ns.Category(s.srv.ns.ParseInternal(in), v)
		found = append(found, sub{in, ext, m, cat, s.listGroup(cat)})
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].group < found[j].group })
	group := -1
	for _, f := range found {
		if f.group != group {
			if group >= 0 {
				ls.performOutput("", nil, false)
			}
			group = f.group
		}
		in := f.in
		ls.matched(f.ext, f.m, nil, single, f.cat == mboxname.CatAltInbox, func(name string, _ *mboxlist.Entry, exact, _ bool) {
			ls.subscribedCB(name, in, exact)
		})
	}
	ls.performOutput("", nil, false)
}

func (ls *listState) subscribedCB(name, intname string, exact bool) {
	s := ls.s
	ls.calls++
	if ls.isAncestor(name) || (ls.started && !exact && ls.lastName == name) {
		ls.lastAttrs |= attrHasChildren
	}
	if exact {
		e, err := s.srv.list.Lookup(intname)
		if err != nil {
			e = nil
		}
		ls.performOutput(name, e, true)
		ls.lastAttrs |= attrSubscribed
		if e == nil {
			ls.lastAttrs |= attrNonExistent
		}
		if e != nil && s.isAltInbox(e, name) {
			ls.lastAttrs |= attrNoInferiors
		}
	} else if ls.a.cmd == "LSUB" {
		var e *mboxlist.Entry
		if in, err := s.internalName(name); err == nil {
			e, _ = s.srv.list.Lookup(in)
		}
		ls.performOutput(name, e, true)
		ls.lastAttrs |= attrChildInfoSubscribed
	}
}

// recursiveMatch is list_data_recursivematch: subscribed names and the
// parents of subscribed names, sorted by name.
func (ls *listState) recursiveMatch() {
	s := ls.s
	sep := s.srv.ns.Sep()
	type entry struct {
		ext   string
		e     *mboxlist.Entry
		attrs uint32
	}
	table := map[string]*entry{}
	for _, in := range s.subscriptionList() {
		ext, ok := s.externalName(in)
		if !ok {
			continue
		}
		if m := globLen(ls.a.patterns, ext, sep); m > 0 {
			name, exact := ext[:m], m == len(ext)
			ls.calls++
			en := table[name]
			if en == nil {
				en = &entry{ext: name, attrs: attrNonExistent}
				table[name] = en
			}
			if exact {
				en.attrs |= attrSubscribed
				if e, err := s.srv.list.Lookup(in); err == nil {
					en.e = e
					en.attrs &^= attrNonExistent
				}
			} else {
				en.attrs |= attrChildInfoSubscribed | attrHasChildren
			}
		}
	}
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		en := table[n]
		if en.e == nil && en.attrs&attrNonExistent == 0 {
			continue
		}
		ls.response(en.ext, en.e, en.attrs)
	}
}

// response is Cyrus's list_response: settle the attributes and print.
func (ls *listState) response(ext string, e *mboxlist.Entry, attrs uint32) {
	s := ls.s
	a := ls.a
	if e != nil && e.Type&mboxlist.Intermediate != 0 {
		attrs |= attrNonExistent
	}
	// with IMAP4rev2, LIST-EXTENDED's attributes are the base LIST's
	extAttrs := a.extended || s.rev2
	if attrs&attrNonExistent != 0 {
		if !extAttrs {
			attrs |= attrNoSelect
			attrs &^= attrNonExistent
		}
	} else if a.scan != "" && e != nil {
		if !s.scanMailbox(e, a.scan) {
			return
		}
	}
	if a.retChild && attrs&(attrHasChildren|attrHasNoChildren) == 0 {
		if !(s.srv.ns.AltNamespace && ext == "INBOX") {
			in := ""
			if e != nil {
				in = e.Name
			} else if n, err := s.internalName(ext); err == nil {
				in = n
			}
			if in != "" {
				s.srv.list.Tree(in, mboxlist.SkipRoot, func(*mboxlist.Entry) error {
					ls.calls++
					attrs |= attrHasChildren
					return mboxlist.ErrStop
				})
			}
		}
		if attrs&attrHasChildren == 0 {
			attrs |= attrHasNoChildren
		}
	}
	if attrs&(attrNonExistent|attrNoSelect) != 0 {
		keep := a.extended
		if a.cmd == "LSUB" {
			if attrs&attrChildInfoSubscribed != 0 {
				keep = true
			}
		} else if attrs&attrHasChildren != 0 {
			keep = true
		}
		if !keep {
			return
		}
	}
	if a.cmd == "LSUB" {
		if attrs&attrSubscribed == 0 && attrs&attrChildInfoSubscribed != 0 {
			attrs |= attrNoSelect | attrHasChildren
		}
		attrs &^= attrSubscribed
	}
	if !a.sel.Options.SelectRecursiveMatch {
		attrs &^= attrChildInfoSubscribed
	}
	if attrs&attrNoInferiors != 0 {
		attrs &^= attrHasChildren
	}
	if attrs&attrHasChildren != 0 {
		attrs &^= attrHasNoChildren
	}
	if extAttrs {
		if attrs&attrNoInferiors != 0 {
			attrs &^= attrHasNoChildren
		}
		if attrs&attrNonExistent != 0 {
			attrs &^= attrNoSelect
		}
	}
	special := ""
	if s.srv.cfg.Specialusealways() || a.cmd == "XLIST" || a.retSpecial {
		special = s.specialUseFlags(e, a.cmd == "XLIST")
	}
	if a.sel.Options.SelectSpecialUse && special == "" {
		return
	}
	var st *statusData
	if a.retStatus != nil && e != nil {
		var err error
		st, err = s.statusDataOf(e, a.retStatus, false)
		if err != nil {
			attrs |= attrNoSelect
		}
	}
	lr := &imapwire.ListResponse{Command: a.cmd, Delim: s.srv.ns.Sep(), Mailbox: ext}
	for _, an := range attrNames {
		if attrs&an.bit != 0 {
			lr.Attrs = append(lr.Attrs, an.name)
		}
	}
	if special != "" {
		lr.Attrs = append(lr.Attrs, special)
	}
	if attrs&attrChildInfoSubscribed != 0 {
		lr.ChildInfo = []string{"SUBSCRIBED"}
	}
	s.wr().List(lr)
	if attrs&attrNoSelect != 0 || e == nil {
		return
	}
	if st != nil {
		s.writeStatus(ext, a.retStatus, st)
	}
	if a.retRights {
		if r, err := s.srv.policy.MyRights(s.identity(), mustACL(e.ACL), s.srv.ns.UserOf(e.Name)); err == nil {
			s.wr().MyRights(ext, r)
		}
	}
	if a.retMeta != nil {
		s.printMetadata(ext, e, a.retMeta)
	}
}

// specialUseFlags is Cyrus's specialuse_flags: \Inbox for XLIST, and the
// user's /specialuse annotation for folders of their own INBOX.
func (s *Session) specialUseFlags(e *mboxlist.Entry, xlist bool) string {
	if e == nil {
		return ""
	}
	inbox := s.srv.ns.UserInbox(s.userid, "")
	switch {
	case e.Name == inbox:
		if xlist {
			return `\Inbox`
		}
	case strings.HasPrefix(e.Name, inbox+"."):
		v, ok, err := s.srv.annot.Get(s.srv.annotTarget(e), "/specialuse", s.userid)
		if err == nil && ok {
			return string(v)
		}
	}
	return ""
}

// subscriptionList is the user's subscriptions in database order.
func (s *Session) subscriptionList() []string {
	db, err := s.srv.openSubs(s.userid, false)
	if err != nil {
		return nil
	}
	defer db.Close()
	l, err := db.List()
	if err != nil {
		log.Printf(log.LevelErr, "IOERROR: reading subscriptions of %s: %v", s.userid, err)
	}
	return l
}

func (s *Session) subscriptions() map[string]bool {
	m := map[string]bool{}
	for _, n := range s.subscriptionList() {
		m[n] = true
	}
	return m
}

// cmdSubscribe is SUBSCRIBE/UNSUBSCRIBE (Cyrus cmd_changesub): the
// mailbox must exist to be subscribed unless allowallsubscribe.
func (s *Session) cmdSubscribe(tag string, a *imapwire.Subscribe, add bool) {
	what := "Unsubscribe"
	if add {
		what = "Subscribe"
	}
	var err error
	switch ns := strings.ToLower(a.Namespace); {
	case !a.HasNS || ns == "mailbox":
		err = s.changeSub(a.Mailbox, add)
	case ns == "bboard":
		// Cyrus's legacy bboard namespace has nothing to subscribe to
		if add {
			err = errNonexistent
		}
	default:
		s.bad(tag, "Invalid "+what+" subcommand")
		return
	}
	s.tellChanges(false)
	if err != nil {
		_, text := s.errText(err)
		s.wr().StatusResponse(tag, imapwire.StatusNO, "", what+": "+text)
		return
	}
	s.ok(tag)
}

// changeSub is Cyrus's mboxlist_changesub: a new subscription must name
// a mailbox whose ACL lets the user look it up (admin or not), unless
// allowallsubscribe.
func (s *Session) changeSub(name string, add bool) error {
	intname, err := s.internalName(name)
	if err != nil {
		return err
	}
	if add && !s.srv.cfg.Allowallsubscribe() {
		e, err := s.srv.list.Lookup(intname)
		if err != nil {
			return err
		}
		a, _ := acl.Parse(e.ACL)
		if !s.srv.policy.ACLRights(s.identity(), a).Has(acl.Lookup) {
			return errNonexistent
		}
	}
	return s.srv.subscribe(s.userid, intname, add)
}
