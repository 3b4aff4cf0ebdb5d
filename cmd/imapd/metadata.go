package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gyrus/lib/acl"
	"gyrus/lib/annotate"
	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
)

// METADATA (RFC 5464) over Cyrus's annotation definitions
// (imap/annotate.c): entries are defined (undefined ones are refused
// unless annotation_allow_undefined), each allows shared and/or private
// values, some are stored in annotations.db and some are computed from
// the mailbox (size, uniqueid, partition...). GETMETADATA answers the
// matching entries in reverse definition order followed by the asked
// entry itself, as Cyrus 3.6.1 does.

type metaKind int

const (
	metaDB      metaKind = iota // annotations.db
	metaVirtual                 // computed, read-only
	metaOption                  // a cyrus.index option bit
	metaFile                    // a file in {configdirectory}/msg (server)
)

type metaEntry struct {
	name    string
	shared  bool
	priv    bool
	rights  acl.Rights // extra rights to store a shared value
	kind    metaKind
	typ     string // "string", "boolean", "uint"
	setter  bool
	get     func(s *Session, e *mboxlist.Entry, mb *mailbox.Mailbox) ([]byte, bool)
	option  uint32
	special bool // /specialuse validation
	// proxyOnly entries exist only in a murder (never fetched here);
	// noACL ones are fetched without the l and r rights.
	proxyOnly bool
	noACL     bool
}

const vendor = "/vendor/cmu/cyrus-imapd/"

func dateBytes(t uint32) ([]byte, bool) {
	if t == 0 {
		return nil, false
	}
	return []byte(time.Unix(int64(t), 0).Format("02-Jan-2006 15:04:05 -0700")), true
}

// mailboxEntries in Cyrus's definition order.
var mailboxEntries = []metaEntry{
	{name: "/check", shared: true, priv: true, kind: metaDB, typ: "boolean", setter: true},
	{name: "/checkperiod", shared: true, priv: true, kind: metaDB, typ: "uint", setter: true},
	{name: "/comment", shared: true, priv: true, kind: metaDB, typ: "string", setter: true},
	{name: "/sort", shared: true, priv: true, kind: metaDB, typ: "string", setter: true},
	{name: "/specialuse", priv: true, kind: metaDB, typ: "string", setter: true, special: true},
	{name: "/thread", shared: true, priv: true, kind: metaDB, typ: "string", setter: true},
	{name: vendor + "annotsize", shared: true, kind: metaVirtual,
		get: func(_ *Session, _ *mboxlist.Entry, mb *mailbox.Mailbox) ([]byte, bool) {
			return []byte(strconv.FormatUint(uint64(mb.Header().QuotaAnnotUsed), 10)), true
		}},
	{name: vendor + "archive", shared: true, rights: acl.Admin, kind: metaDB, typ: "uint", setter: true},
	{name: vendor + "delete", shared: true, rights: acl.Admin, kind: metaDB, typ: "uint", setter: true},
	{name: vendor + "duplicatedeliver", shared: true, kind: metaOption, option: index.OptDupDeliver, typ: "boolean", setter: true},
	{name: vendor + "expire", shared: true, rights: acl.Admin, kind: metaDB, typ: "uint", setter: true},
	{name: vendor + "lastpop", shared: true, kind: metaVirtual,
		get: func(_ *Session, _ *mboxlist.Entry, mb *mailbox.Mailbox) ([]byte, bool) {
			return dateBytes(mb.Header().POP3LastLogin)
		}},
	{name: vendor + "hasalarms", shared: true, kind: metaOption, option: index.OptHasAlarms, typ: "boolean"},
	{name: vendor + "foldermodseq", shared: true, kind: metaVirtual,
		get: func(_ *Session, e *mboxlist.Entry, _ *mailbox.Mailbox) ([]byte, bool) {
			return []byte(strconv.FormatUint(e.FolderModSeq, 10)), true
		}},
	{name: vendor + "lastupdate", shared: true, kind: metaVirtual,
		get: func(_ *Session, _ *mboxlist.Entry, mb *mailbox.Mailbox) ([]byte, bool) {
			loc := mb.Location()
			st, err := os.Stat(loc.IndexPath())
			if err != nil {
				return nil, false
			}
			return []byte(st.ModTime().Format("02-Jan-2006 15:04:05 -0700")), true
		}},
	{name: vendor + "news2mail", shared: true, rights: acl.Admin, kind: metaDB, typ: "string", setter: true},
	{name: vendor + "partition", shared: true, kind: metaVirtual, noACL: true,
		get: func(_ *Session, e *mboxlist.Entry, _ *mailbox.Mailbox) ([]byte, bool) {
			return []byte(e.Partition), true
		}},
	{name: vendor + "pop3newuidl", shared: true, kind: metaOption, option: index.OptPOP3NewUIDL, typ: "boolean", setter: true},
	{name: vendor + "pop3showafter", shared: true, kind: metaVirtual,
		get: func(_ *Session, _ *mboxlist.Entry, mb *mailbox.Mailbox) ([]byte, bool) {
			return dateBytes(mb.Header().POP3ShowAfter)
		}},
	{name: vendor + "search-fuzzy-always", shared: true, kind: metaDB, typ: "string", setter: true},
	{name: vendor + "server", shared: true, kind: metaVirtual, proxyOnly: true, noACL: true},
	{name: vendor + "sharedseen", shared: true, kind: metaOption, option: index.OptSharedSeen, typ: "boolean", setter: true},
	{name: vendor + "sieve", shared: true, rights: acl.Admin, kind: metaDB, typ: "string", setter: true},
	{name: vendor + "size", shared: true, kind: metaVirtual,
		get: func(_ *Session, _ *mboxlist.Entry, mb *mailbox.Mailbox) ([]byte, bool) {
			return []byte(strconv.FormatUint(mb.Header().QuotaMailboxUsed, 10)), true
		}},
	{name: vendor + "sortorder", priv: true, kind: metaDB, typ: "uint", setter: true},
	{name: vendor + "squat", shared: true, rights: acl.Admin, kind: metaDB, typ: "boolean", setter: true},
	{name: vendor + "synccrcs", shared: true, kind: metaVirtual,
		get: func(_ *Session, _ *mboxlist.Entry, mb *mailbox.Mailbox) ([]byte, bool) {
			h := mb.Header()
			return []byte(fmt.Sprintf("%d %d", h.SyncCRCBasic, h.SyncCRCAnnot)), true
		}},
	{name: vendor + "uniqueid", shared: true, kind: metaVirtual,
		get: func(_ *Session, e *mboxlist.Entry, _ *mailbox.Mailbox) ([]byte, bool) {
			return []byte(e.UniqueID), true
		}},
}

// serverEntries in Cyrus's definition order.
var serverEntries = []metaEntry{
	{name: "/admin", shared: true, rights: acl.Admin, kind: metaDB, typ: "string", setter: true},
	{name: "/comment", shared: true, priv: true, rights: acl.Admin, kind: metaDB, typ: "string", setter: true},
	{name: "/motd", shared: true, kind: metaFile, typ: "string", setter: true},
	{name: vendor + "expire", shared: true, rights: acl.Admin, kind: metaDB, typ: "uint", setter: true},
	{name: vendor + "shutdown", shared: true, kind: metaFile, typ: "string", setter: true},
	{name: vendor + "squat", shared: true, rights: acl.Admin, kind: metaDB, typ: "boolean", setter: true},
}

// metaName splits "/private/comment" into (private, "/comment").
func metaName(full string) (priv bool, entry string, ok bool) {
	switch {
	case strings.HasPrefix(strings.ToLower(full), "/private"):
		return true, full[len("/private"):], true
	case strings.HasPrefix(strings.ToLower(full), "/shared"):
		return false, full[len("/shared"):], true
	}
	return false, "", false
}

// metaMatch tells whether a defined entry name lies under the asked one
// within depth ("0", "1", "infinity").
func metaMatch(asked, name, depth string) bool {
	if strings.EqualFold(asked, name) {
		return true
	}
	if depth == "" || depth == "0" {
		return false
	}
	prefix := asked
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if prefix == "/" {
		prefix = "/"
	}
	if !strings.HasPrefix(strings.ToLower(name), strings.ToLower(prefix)) {
		return false
	}
	if depth == "1" {
		return !strings.Contains(name[len(prefix):], "/")
	}
	return true
}

func (s *Session) cmdGetMetadata(tag string, a *imapwire.GetMetadata) {
	q, ok := newMetaQuery(a.Entries, a.Depth)
	if !ok {
		s.bad(tag, "entry must begin with /shared or /private")
		return
	}
	var maxSize uint64
	if a.MaxSize != nil {
		maxSize = *a.MaxSize + 1
	}
	longest := uint64(0)
	for _, name := range a.Mailboxes {
		var e *mboxlist.Entry
		var mb *mailbox.Mailbox
		if name != "" {
			var err error
			// no rights check here: Cyrus (apply_mailbox_array) only
			// looks the mailbox up and fetchMetadata leaves out the
			// entries that need "lr" (_annotate_may_fetch), so a
			// mailbox without them answers OK with nothing
			e, _, err = s.lookup(name)
			if err == nil {
				mb, err = s.srv.openMailbox(e, mailbox.ReadOnly)
			}
			if err != nil {
				s.no(tag, err)
				return
			}
		}
		out := s.fetchMetadata(q, e, mb, maxSize, &longest)
		if mb != nil {
			mb.Close()
		}
		if len(out) > 0 {
			shown := name // "" for the server
			if e != nil {
				// the mailbox's own external name ("inbox" shows as
				// INBOX), as Cyrus's getmetadata_response
				shown = s.extOrSame(e.Name, name)
			}
			s.wr().Metadata(shown, out)
		}
	}
	s.tellChanges(false)
	// maxSize is MAXSIZE+1 and a value is left out from MAXSIZE+1 octets,
	// but LONGENTRIES is told only from MAXSIZE+2 (Cyrus cmd_getmetadata
	// compares the longest with its MAXSIZE+1)
	if maxSize > 0 && longest > maxSize {
		s.okCode(tag, imapwire.Code(fmt.Sprintf("METADATA LONGENTRIES %d", longest)), "Completed")
		return
	}
	s.ok(tag)
}

// metaQuery is a GETMETADATA request turned into Cyrus's annotation
// fetch (imapd _metadata_to_annotate): entry patterns without the
// /shared or /private prefix (lower-cased; DEPTH adds "/%" or "/*"
// patterns) and which of the two values are wanted.
type metaQuery struct {
	entries      []string
	priv, shared bool
}

func newMetaQuery(asked []string, depth string) (*metaQuery, bool) {
	q := &metaQuery{}
	for _, ent := range asked {
		ent = strings.ToLower(ent)
		var entry string
		switch {
		case strings.HasPrefix(ent, "/private") && (len(ent) == 8 || ent[8] == '/'):
			entry, q.priv = ent[8:], true
		case strings.HasPrefix(ent, "/shared") && (len(ent) == 7 || ent[7] == '/'):
			entry, q.shared = ent[7:], true
		default:
			return nil, false
		}
		q.entries = append(q.entries, entry)
		switch strings.ToLower(depth) {
		case "1":
			q.entries = append(q.entries, entry+"/%")
		case "infinity":
			q.entries = append(q.entries, entry+"/*")
		}
	}
	return q, true
}

// metaFetch is Cyrus's annotate_state during one mailbox's fetch: the
// values in output order, what was already returned, what one stored
// entry yielded.
type metaFetch struct {
	q        *metaQuery
	out      []imapwire.MetadataEntry
	returned map[string]bool
	found    uint8 // 1 shared, 2 private
	maxSize  uint64
	longest  *uint64
}

// output is Cyrus's output_entryatt plus getmetadata_response's size
// check: each (entry, shared/private) at most once.
func (f *metaFetch) output(entry, userid string, v []byte) {
	key := entry + "\x00" + userid
	if f.returned[key] {
		return
	}
	f.returned[key] = true
	name := "/shared" + entry
	if userid == "" {
		if !f.q.shared {
			return
		}
		f.found |= 1
	} else {
		if !f.q.priv {
			return
		}
		f.found |= 2
		name = "/private" + entry
	}
	if f.maxSize > 0 && uint64(len(v)) >= f.maxSize {
		if uint64(len(v)) > *f.longest {
			*f.longest = uint64(len(v))
		}
		return
	}
	if len(v) == 0 {
		v = nil
	}
	f.out = append(f.out, imapwire.MetadataEntry{Name: name, Value: v})
}

// fetchMetadata answers a query for one mailbox (e nil: the server) as
// Cyrus's annotate_state_fetch does: the entry list is built by
// prepending, for each asked pattern, the matching defined entries in
// definition order and then (unless one matched exactly) the pattern as
// a database entry; the list is walked from its head.
func (s *Session) fetchMetadata(q *metaQuery, e *mboxlist.Entry, mb *mailbox.Mailbox, maxSize uint64, longest *uint64) []imapwire.MetadataEntry {
	table := serverEntries
	if e != nil {
		table = mailboxEntries
	}
	type item struct {
		name string
		d    *metaEntry // nil: the database entry
	}
	var list []item
	for _, pat := range q.entries {
		exact := false
		for i := range table {
			d := &table[i]
			if metaGlob(pat, d.name) && !d.proxyOnly {
				list = append(list, item{d.name, d})
			}
			if pat == d.name {
				exact = true
				break
			}
		}
		if !exact {
			list = append(list, item{pat, nil})
		}
	}
	f := &metaFetch{q: q, returned: map[string]bool{}, maxSize: maxSize, longest: longest}
	var stored []annotate.Annotation
	loaded := false
	mayRead := e == nil || s.isAdmin || s.isProxyAdmin || s.pureRights(e).Has(acl.Lookup|acl.Read)
	for i := len(list) - 1; i >= 0; i-- {
		it := list[i]
		d := it.d
		if !mayRead && (d == nil || !d.noACL) {
			continue
		}
		if d != nil && d.kind != metaDB {
			var v []byte
			switch d.kind {
			case metaVirtual:
				v, _ = d.get(s, e, mb)
			default:
				v, _ = s.metaValue(d, false, e, mb)
			}
			f.output(d.name, "", v)
			continue
		}
		// annotation_get_fromdb
		if !loaded {
			stored = s.storedAnnotations(e)
			loaded = true
		}
		f.found = 0
		for _, a := range stored {
			if (a.UserID == "" || a.UserID == s.userid) && metaGlob(it.name, a.Entry) {
				f.output(a.Entry, a.UserID, a.Value)
			}
		}
		want := uint8(0)
		if q.shared {
			want |= 1
		}
		if q.priv {
			want |= 2
		}
		if f.found != want && !strings.ContainsAny(it.name, "%*") {
			if q.priv && f.found&2 == 0 {
				f.output(it.name, s.userid, nil)
			}
			if q.shared && f.found&1 == 0 {
				f.output(it.name, "", nil)
			}
		}
	}
	return f.out
}

// storedAnnotations are the annotations.db values of a mailbox (nil: of
// the server) in key order: by entry, the shared value first.
func (s *Session) storedAnnotations(e *mboxlist.Entry) []annotate.Annotation {
	t := annotate.Server
	if e != nil {
		t = s.srv.annotTarget(e)
	}
	l, err := s.srv.annot.List(t)
	if err != nil {
		return nil
	}
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].Entry != l[j].Entry {
			return l[i].Entry < l[j].Entry
		}
		return l[i].UserID < l[j].UserID
	})
	return l
}

// metaGlob is Cyrus's glob with '/' as the separator over a whole name.
func metaGlob(pattern, name string) bool {
	return globTest(pattern, name, '/') == len(name)
}

// metaValue reads one defined entry.
func (s *Session) metaValue(d *metaEntry, priv bool, e *mboxlist.Entry, mb *mailbox.Mailbox) ([]byte, bool) {
	switch d.kind {
	case metaVirtual:
		if mb == nil {
			return nil, false
		}
		return d.get(s, e, mb)
	case metaOption:
		if mb == nil {
			return nil, false
		}
		if mb.Header().Options&d.option != 0 {
			return []byte("true"), true
		}
		return []byte("false"), true
	case metaFile:
		file := "motd"
		if d.name == vendor+"shutdown" {
			file = "shutdown"
		}
		b, err := os.ReadFile(filepath.Join(s.srv.cfg.Configdirectory(), "msg", file))
		if err != nil {
			return nil, false
		}
		if i := strings.IndexAny(string(b), "\r\n"); i >= 0 {
			b = b[:i]
		}
		return b, true
	}
	return s.metaStored(d.name, priv, e)
}

func (s *Session) metaStored(entry string, priv bool, e *mboxlist.Entry) ([]byte, bool) {
	userid := ""
	if priv {
		userid = s.userid
	}
	t := annotate.Server
	if e != nil {
		t = s.srv.annotTarget(e)
	}
	v, ok, err := s.srv.annot.Get(t, entry, userid)
	if err != nil || !ok {
		return nil, false
	}
	return v, true
}

func (s *Session) cmdSetMetadata(tag string, a *imapwire.SetMetadata) {
	var e *mboxlist.Entry
	if a.Mailbox != "" {
		var err error
		e, _, err = s.lookup(a.Mailbox)
		if err != nil {
			s.no(tag, err)
			return
		}
	}
	for _, m := range a.Entries {
		if err := s.setOneMetadata(e, m); err != nil {
			s.tellChanges(false)
			s.no(tag, err)
			return
		}
	}
	s.tellChanges(false)
	s.ok(tag)
}

func (s *Session) setOneMetadata(e *mboxlist.Entry, m imapwire.MetadataEntry) error {
	priv, entry, ok := metaName(m.Name)
	if !ok {
		return errBadAnnotEntry
	}
	table := serverEntries
	if e != nil {
		table = mailboxEntries
	}
	var d *metaEntry
	for i := range table {
		if strings.EqualFold(table[i].name, entry) {
			d = &table[i]
		}
	}
	admin := s.isAdmin || s.isProxyAdmin
	if d == nil {
		if !s.srv.cfg.AnnotationAllowUndefined() {
			return errPermission
		}
		d = &metaEntry{name: entry, shared: true, priv: true, kind: metaDB, typ: "string", setter: true}
	}
	if !d.setter || (priv && !d.priv) || (!priv && !d.shared) {
		return errPermission
	}
	// Cyrus _annotate_may_store
	if !admin {
		if e == nil {
			if !priv {
				return errPermission
			}
		} else {
			need := acl.Lookup
			if !priv {
				need |= acl.Read | acl.Write | d.rights
			}
			if !s.srv.policy.ACLRights(s.identity(), mustACL(e.ACL)).Has(need) {
				return errPermission
			}
		}
	}
	val := m.Value
	if val != nil {
		switch d.typ {
		case "boolean":
			if !strings.EqualFold(string(val), "true") && !strings.EqualFold(string(val), "false") {
				return errBadAnnotValue
			}
		case "uint":
			if _, err := strconv.ParseUint(string(val), 10, 32); err != nil {
				return errBadAnnotValue
			}
		}
	}
	userid := ""
	if priv {
		userid = s.userid
	}
	switch d.kind {
	case metaOption:
		mb, err := s.srv.openMailbox(e, mailbox.ReadWrite)
		if err != nil {
			return err
		}
		defer mb.Close()
		tx, err := mb.Begin()
		if err != nil {
			return err
		}
		if val != nil && strings.EqualFold(string(val), "true") {
			tx.SetOptions(d.option, 0)
		} else {
			tx.SetOptions(0, d.option)
		}
		return tx.Commit()
	case metaFile:
		if !admin {
			return errPermission
		}
		file := "motd"
		if d.name == vendor+"shutdown" {
			file = "shutdown"
		}
		path := filepath.Join(s.srv.cfg.Configdirectory(), "msg", file)
		if val == nil || len(val) == 0 {
			os.Remove(path)
			return nil
		}
		os.MkdirAll(filepath.Dir(path), 0o755)
		return os.WriteFile(path, append(append([]byte{}, val...), '\n'), 0o644)
	}
	if d.special && val != nil && len(val) > 0 {
		// the uses already taken are looked up for the session's user,
		// not the mailbox owner (Cyrus annotation_set_specialuse passes
		// state->userid)
		norm, err := s.srv.validateSpecialUse(e.Name, s.userid, string(val))
		if err != nil {
			return err
		}
		val = []byte(norm)
	}
	if val == nil {
		val = []byte{}
	}
	if e == nil {
		return s.srv.annot.SetServer(d.name, userid, val)
	}
	return s.srv.setMailboxAnnotation(e, d.name, userid, val)
}

// printMetadata is LIST RETURN (METADATA (...)) (Cyrus printmetadata):
// the same fetch as GETMETADATA with DEPTH 0.
func (s *Session) printMetadata(ext string, e *mboxlist.Entry, entries []string) {
	q, ok := newMetaQuery(entries, "0")
	if !ok {
		return
	}
	mb, err := s.srv.openMailbox(e, mailbox.ReadOnly)
	if err != nil {
		return
	}
	defer mb.Close()
	var longest uint64
	if out := s.fetchMetadata(q, e, mb, 0, &longest); len(out) > 0 {
		s.wr().Metadata(ext, out)
	}
}
