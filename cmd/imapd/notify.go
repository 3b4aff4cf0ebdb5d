package main

import (
	"bytes"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"

	"gyrus/lib/acl"
	"gyrus/lib/fileio"
	"gyrus/lib/idle"
	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/mboxlist"
)

// NOTIFY (RFC 5465), which Cyrus 3.6.1 lacks (later Cyrus releases have
// it). A session that has not sent NOTIFY SET has s.notify == nil and
// pays nothing. With it:
//
//   - each watched mailbox other than the selected one (the filters
//     "inboxes", "personal", "subscribed", "subtree" and "mailboxes",
//     resolved by eachFilterMailbox, multisearch.go) with MessageNew or
//     FlagChange gets a lib/idle Subscription; its wake-ups are fanned
//     into one channel (notifyState.wake) that IDLE waits on. The last
//     status told is kept; a change of MESSAGES, UIDNEXT or UIDVALIDITY
//     (or, with FlagChange, of UNSEEN or HIGHESTMODSEQ) is told as
//     "* STATUS name (MESSAGES UIDNEXT UIDVALIDITY [UNSEEN
//     HIGHESTMODSEQ])" (sections 5.2-5.4; the last two with
//     FlagChange); the mailbox needs the 'l' and 'r' rights;
//   - MailboxName (5.4): the set of watched names (with their unique
//     ids) is compared with the last one: a new name is "* LIST ()", a
//     gone one "* LIST (\NonExistent)", a unique id under a new name
//     "* LIST () ... (OLDNAME (old))";
//   - SubscriptionChange (5.5): the user's subscriptions are compared:
//     "* LIST (\Subscribed)" for a new one, "* LIST ()" for a removed one;
//   - MailboxMetadataChange (5.7) and ServerMetadataChange (5.8): the
//     shared and the user's private entries stored in annotations.db of
//     the watched mailboxes (and of the server) are compared with the
//     last values, read again when annotations.db changed: "* METADATA
//     name entry..." names the changed ones (RFC 5464 4.4.2);
//   - the selected mailbox keeps IMAP's usual updates; "selected" with
//     MessageNew (fetch-atts) adds the FETCH of each new message (5.2),
//     "selected NONE" holds back IDLE's unsolicited updates.
//
// The name and subscription lists and the metadata cannot be watched
// with lib/idle (no cyrus.index), so while a session with such events
// idles they are re-read every notifyPoll. Checks run at the end of every command
// (notifyEndCommand) and on every wake-up during IDLE.

// notifyPoll is how often an idling session with MailboxName,
// SubscriptionChange or a metadata event re-reads the mailbox list,
// subscriptions and metadata.
var notifyPoll = 500 * time.Millisecond

type notifyState struct {
	groups []notifyGroup
	// the selected mailbox's filter: selEvents, selFetch (nil: no
	// fetch-atts); selSet: a selected filter was given
	selSet    bool
	selEvents notifyEvent
	selFetch  *imapwire.Fetch
	selUID    uint32 // the highest UID whose MessageNew FETCH was sent
	selName   string

	wake   chan struct{}
	mboxes map[string]*notifyMbox // watched mailboxes by internal name
	names  map[string]notifyName  // last MailboxName snapshot
	subs   map[string]bool        // last subscriptions (nil: not watched)
	poll   bool                   // names or subscriptions need polling

	// MailboxMetadataChange and ServerMetadataChange: the last values
	// of the watched entries (by internal name, "" for the server) and
	// the annotations.db signature they were read at
	meta    map[string]map[string]string
	metaSig fileio.Sig
}

type notifyMbox struct {
	sub    *idle.Subscription
	stop   chan struct{}
	dirty  atomic.Bool // set by fanIn: the status must be read again
	events notifyEvent
	st     statusData
	known  bool
}

type notifyName struct {
	id     string
	events notifyEvent
	entry  *mboxlist.Entry
}

// cmdNotify runs NOTIFY NONE and NOTIFY SET.
func (s *Session) cmdNotify(tag string, n *notifyArgs) {
	if n.None {
		s.notifyStop()
		s.ok(tag)
		return
	}
	if st, code, text := checkNotify(n); st != "" {
		s.wr().StatusResponse(tag, st, code, text)
		return
	}
	ns := &notifyState{groups: n.Groups, wake: make(chan struct{}, 1), mboxes: map[string]*notifyMbox{}}
	for _, g := range n.Groups {
		switch g.filter.Kind {
		case "selected", "selected-delayed":
			ns.selSet = true
			ns.selEvents |= g.events
			if g.fetchAtts != "" {
				f, err := s.notifyFetch(g.fetchAtts)
				if err != nil {
					s.bad(tag, "Invalid fetch attributes")
					return
				}
				ns.selFetch = f
			}
		default:
			if g.events&(evMailboxName|evSubscriptionChange|evMailboxMetadataChange) != 0 {
				ns.poll = true
			}
		}
	}
	for _, g := range n.Groups {
		if g.events&evServerMetadataChange != 0 {
			ns.poll = true
		}
	}
	s.notifyStop()
	s.notify = ns
	if s.sel != nil {
		s.tellChanges(false)
		ns.selName = s.sel.name
		ns.selUID = s.sel.view.Header().LastUID
	}
	// the first pass only records the state; SET STATUS also tells it
	s.notifyCheck(n.Status, true)
	s.ok(tag)
}

// notifyFetch checks fetch-atts by reading them as FETCH's; like
// Cyrus, a NOTIFY FETCH never sets \Seen (it is not called).
func (s *Session) notifyFetch(atts string) (*imapwire.Fetch, error) {
	b := bytes.NewBufferString("n FETCH 1 (" + atts + ")\r\n")
	p := imapwire.NewParser(b, imapwire.Options{Limits: s.srv.limits, KnownCharset: knownCharset})
	cmd, err := p.ReadCommand()
	if err != nil {
		return nil, err
	}
	f, ok := cmd.Args.(*imapwire.Fetch)
	if !ok {
		return nil, fmt.Errorf("notify: fetch-atts")
	}
	return f, nil
}

// notifyStop forgets NOTIFY's state (NOTIFY NONE, LOGOUT, a new SET).
func (s *Session) notifyStop() {
	ns := s.notify
	if ns == nil {
		return
	}
	for _, m := range ns.mboxes {
		m.close()
	}
	s.notify = nil
}

func (m *notifyMbox) close() {
	if m.sub != nil {
		close(m.stop)
		m.sub.Close()
	}
}

// notifyEndCommand tells what changed, after a command.
func (s *Session) notifyEndCommand() {
	if s.notify == nil {
		return
	}
	if !s.authed() {
		s.notifyStop() // UNAUTHENTICATE: nothing more of that user's
		return
	}
	if !s.closing {
		s.notifyCheck(false, false)
	}
}

// notifyCheck resolves the watched mailboxes and tells the changes since
// the last check; with first, it records the state and tells nothing
// unless all (SET STATUS: a STATUS for every watched mailbox).
func (s *Session) notifyCheck(all, first bool) {
	ns := s.notify
	if ns == nil {
		return
	}
	s.notifySelected()
	seen := map[string]notifyName{}
	selName := ""
	if s.sel != nil {
		selName = s.sel.name
	}
	for _, g := range ns.groups {
		if g.events == 0 || g.filter.Kind == "selected" || g.filter.Kind == "selected-delayed" {
			continue
		}
		ev := g.events
		s.eachFilterMailbox([]imapwire.MailboxFilter{g.filter}, func(e *mboxlist.Entry) error {
			if e.Type.Kind() != mboxlist.TypeEmail {
				return nil
			}
			if !s.isAdmin && !s.entryRights(e).Has(acl.Lookup) {
				return nil
			}
			nn := seen[e.Name]
			nn.id, nn.events, nn.entry = e.UniqueID, nn.events|ev, e
			seen[e.Name] = nn
			return nil
		})
	}
	// mailbox names (5.4)
	if !first {
		s.notifyNames(ns.names, seen)
	}
	ns.names = seen
	// subscriptions (5.5)
	subEv := false
	for _, g := range ns.groups {
		if g.events&evSubscriptionChange != 0 {
			subEv = true
		}
	}
	if subEv {
		cur := s.subscriptions()
		if !first {
			s.notifySubs(ns.subs, cur)
		}
		ns.subs = cur
	}
	// message events of the non-selected mailboxes (5.2, 5.3)
	for name, m := range ns.mboxes {
		if nn, ok := seen[name]; !ok || nn.events&(evMessageNew|evFlagChange) == 0 || name == selName {
			m.close()
			delete(ns.mboxes, name)
		}
	}
	names := make([]string, 0, len(seen))
	for name, nn := range seen {
		if nn.events&(evMessageNew|evFlagChange) != 0 && name != selName {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		s.notifyMailbox(name, seen[name].events, all, first)
	}
	s.notifyMetadata(seen, first)
}

// notifyMetadata tells MailboxMetadataChange (5.7) and
// ServerMetadataChange (5.8): for each watched mailbox (and the server)
// whose entries changed since the last check, an unsolicited METADATA
// naming them (RFC 5464 4.4.2). The entries watched are those stored in
// annotations.db that the user can read there: the shared ones and the
// user's private ones. They are read again only when annotations.db
// changed (its signature) or the watched mailboxes did.
func (s *Session) notifyMetadata(seen map[string]notifyName, first bool) {
	ns := s.notify
	watch := map[string]*mboxlist.Entry{}
	for _, g := range ns.groups {
		if g.events&evServerMetadataChange != 0 {
			watch[""] = nil
		}
	}
	for name, nn := range seen {
		if nn.events&evMailboxMetadataChange != 0 {
			watch[name] = nn.entry
		}
	}
	if len(watch) == 0 {
		ns.meta = nil
		return
	}
	sig, sigOK := fileio.StatSig(s.srv.annot.Path())
	same := sigOK && sig == ns.metaSig && len(watch) == len(ns.meta)
	for name := range watch {
		if _, ok := ns.meta[name]; !ok {
			same = false
		}
	}
	if same {
		return
	}
	cur := make(map[string]map[string]string, len(watch))
	for name, e := range watch {
		vals := map[string]string{}
		for _, a := range s.storedAnnotations(e) {
			switch a.UserID {
			case "":
				vals["/shared"+a.Entry] = string(a.Value)
			case s.userid:
				vals["/private"+a.Entry] = string(a.Value)
			}
		}
		cur[name] = vals
	}
	if !first {
		names := make([]string, 0, len(cur))
		for name := range cur {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			old, ok := ns.meta[name]
			if !ok {
				continue // newly watched: nothing to compare with
			}
			var changed []string
			for k, v := range cur[name] {
				if ov, ok := old[k]; !ok || ov != v {
					changed = append(changed, k)
				}
			}
			for k := range old {
				if _, ok := cur[name][k]; !ok {
					changed = append(changed, k)
				}
			}
			if len(changed) == 0 {
				continue
			}
			sort.Strings(changed)
			ext := ""
			if name != "" {
				var ok bool
				if ext, ok = s.externalName(name); !ok {
					continue
				}
			}
			w := s.wr().RawString("* METADATA ").AString(ext)
			for _, k := range changed {
				w.SP().AString(k)
			}
			w.CRLF()
		}
	}
	ns.meta, ns.metaSig = cur, sig
}

// notifyMailbox reads one watched mailbox's status and tells a change.
func (s *Session) notifyMailbox(name string, ev notifyEvent, all, first bool) {
	ns := s.notify
	m := ns.mboxes[name]
	if m == nil {
		m = &notifyMbox{}
		e, err := s.srv.list.Lookup(name)
		if err != nil {
			return
		}
		if loc, err := s.srv.settings.Locate(e); err == nil {
			if sub, err := s.srv.watcher.Subscribe(loc.IndexPath()); err == nil {
				m.sub, m.stop = sub, make(chan struct{})
				go fanIn(sub, m.stop, ns.wake, &m.dirty)
			}
		}
		ns.mboxes[name] = m
	}
	// without a change since the last read (the subscription did not
	// fire) the status is not read again: a check costs nothing per
	// quiet mailbox. Without a subscription (none could be made) it is
	// read at every check.
	if m.known && !all && m.events == ev && m.sub != nil && !m.dirty.Swap(false) {
		return
	}
	m.events = ev
	e, err := s.srv.list.Lookup(name)
	if err != nil {
		return
	}
	if r := s.entryRights(e); !s.isAdmin && !r.Has(acl.Read|acl.Lookup) {
		return
	}
	// MessageNew and MessageExpunge: MESSAGES UIDNEXT UIDVALIDITY (5.2,
	// 5.3); FlagChange adds UNSEEN and HIGHESTMODSEQ (5.4), as later
	// Cyrus adds HIGHESTMODSEQ
	flags := ev&evFlagChange != 0
	items := &imapwire.StatusItems{StatusOptions: imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true, NumUnseen: flags, HighestModSeq: flags}}
	st, err := s.statusDataOf(e, items, false)
	if err != nil {
		log.Printf(log.LevelErr, "IOERROR: notify status %s: %v", name, err)
		return
	}
	// a mailbox that joins the watched set (created, subscribed) is
	// only recorded: MailboxName says it exists
	changed := m.known && (st.messages != m.st.messages || st.uidnext != m.st.uidnext || st.uidvalidity != m.st.uidvalidity)
	if m.known && flags && (st.unseen != m.st.unseen || st.highestModSeq != m.st.highestModSeq) {
		changed = true
	}
	if (changed && !first) || all {
		if ext, ok := s.externalName(name); ok {
			s.writeStatus(ext, items, st)
		}
	}
	m.st, m.known = *st, true
}

// fanIn forwards a subscription's wake-ups into the session's one
// channel (holding at most one pending wake-up).
func fanIn(sub *idle.Subscription, stop <-chan struct{}, wake chan<- struct{}, dirty *atomic.Bool) {
	for {
		select {
		case _, ok := <-sub.C:
			if !ok {
				return
			}
			dirty.Store(true)
			select {
			case wake <- struct{}{}:
			default:
			}
		case <-stop:
			return
		}
	}
}

// notifyNames tells MailboxName changes (5.4).
func (s *Session) notifyNames(old, cur map[string]notifyName) {
	byID := map[string]string{}
	for name, nn := range cur {
		if _, was := old[name]; !was {
			byID[nn.id] = name
		}
	}
	renamedTo := map[string]bool{}
	var gone []string
	for name, nn := range old {
		if _, ok := cur[name]; ok || nn.events&evMailboxName == 0 {
			continue
		}
		gone = append(gone, name)
	}
	sort.Strings(gone)
	for _, name := range gone {
		if to, ok := byID[old[name].id]; ok && old[name].id != "" {
			renamedTo[to] = true
			s.notifyList(to, nil, name)
			continue
		}
		s.notifyList(name, []string{`\NonExistent`}, "")
	}
	var added []string
	for name, nn := range cur {
		if _, was := old[name]; !was && !renamedTo[name] && nn.events&evMailboxName != 0 {
			added = append(added, name)
		}
	}
	sort.Strings(added)
	for _, name := range added {
		s.notifyList(name, nil, "")
	}
}

// notifySubs tells SubscriptionChange (5.5).
func (s *Session) notifySubs(old, cur map[string]bool) {
	var names []string
	for n := range cur {
		if !old[n] {
			names = append(names, n)
		}
	}
	for n := range old {
		if !cur[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		var attrs []string
		if cur[n] {
			attrs = []string{`\Subscribed`}
		}
		s.notifyList(n, attrs, "")
	}
}

// notifyList writes an unsolicited LIST for an internal name.
func (s *Session) notifyList(name string, attrs []string, oldName string) {
	ext, ok := s.externalName(name)
	if !ok {
		return
	}
	l := &imapwire.ListResponse{Attrs: attrs, Delim: s.srv.ns.Sep(), Mailbox: ext}
	if attrs == nil {
		l.Attrs = []string{}
	}
	if oldName != "" {
		if o, ok := s.externalName(oldName); ok {
			l.OldName = o
		}
	}
	s.wr().List(l)
}

// notifySelected sends MessageNew's FETCH of the selected mailbox's new
// messages (5.2), once the client has been told they exist.
func (s *Session) notifySelected() {
	ns := s.notify
	sel := s.sel
	if sel == nil || sel.gone {
		ns.selName = ""
		return
	}
	if ns.selName != sel.name {
		ns.selName = sel.name
		ns.selUID = sel.view.Header().LastUID
		return
	}
	if ns.selFetch == nil || ns.selEvents&evMessageNew == 0 {
		return
	}
	fx := &fetchCtx{s: s, f: ns.selFetch}
	fx.prepare()
	top := ns.selUID
	// the new messages are at the end (UIDs ascend): find the first
	// one from there, so that a check costs nothing per old message
	last := min(sel.oldExists, sel.view.Len())
	first := last + 1
	for first > 1 && sel.view.Msg(first-1).UID > ns.selUID {
		first--
	}
	for seq := first; seq <= last; seq++ {
		m := sel.view.Msg(seq)
		if m.UID <= ns.selUID || m.Expunged() {
			continue
		}
		if err := fx.reply(seq); err != nil {
			log.Printf(log.LevelErr, "IOERROR: notify fetch %s: %v", sel.name, err)
			break
		}
		top = max(top, m.UID)
	}
	ns.selUID = top
}

// notifyIdle gives IDLE the channels that wake it for NOTIFY: the
// watched mailboxes' fan-in and, when names or subscriptions are
// watched, a ticker; nil channels without NOTIFY.
func (s *Session) notifyIdle() (wake <-chan struct{}, tick <-chan time.Time, stop func()) {
	ns := s.notify
	if ns == nil {
		return nil, nil, func() {}
	}
	if !ns.poll {
		return ns.wake, nil, func() {}
	}
	t := time.NewTicker(notifyPoll)
	return ns.wake, t.C, t.Stop
}

// notifySelectedNone reports "selected NONE" (RFC 5465 5.1): the
// selected mailbox's changes are not told during IDLE.
func (s *Session) notifySelectedNone() bool {
	return s.notify != nil && s.notify.selSet && s.notify.selEvents == 0
}
