package main

import (
	"bytes"
	"encoding/hex"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"

	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
)

// The search evaluation swap point. evaluateSearch is the ONE call that
// decides which messages of the selected mailbox match a search program;
// SEARCH, SORT, THREAD and the SEARCH of SCAN all go through it. The
// built-in evaluator below handles what needs no body or charset
// machinery exactly as Cyrus does (flags, sequence sets, UIDs, dates,
// sizes, MODSEQ, object ids) and header and body text approximately
// (decoded UTF-8, case-insensitive substring); lib/search, with Cyrus's
// charset normalisation and the squatter index, replaces it by
// assigning evaluateSearch.

// searchQuery is what an evaluator needs: the program, the mailbox as
// the session sees it, and the per-user state the index does not hold.
type searchQuery struct {
	Program   *imapwire.SearchKey
	Charset   string // CHARSET of the command ("" = US-ASCII/UTF-8)
	View      *mailbox.View
	Mailbox   *mailbox.Mailbox
	Seen      func(seq uint32) bool // per-user \Seen
	Recent    func(seq uint32) bool // this session's \Recent
	SearchRes []uint32              // "$" (RFC 5182), UIDs
	Now       time.Time             // for OLDER/YOUNGER
	MsgOpts   message.Options
}

// evaluateSearch returns the matching sequence numbers, ascending.
var evaluateSearch func(q *searchQuery) ([]uint32, error) = builtinSearch

func builtinSearch(q *searchQuery) ([]uint32, error) {
	var out []uint32
	ev := &evaluator{q: q}
	for seq := uint32(1); seq <= q.View.Len(); seq++ {
		m := q.View.Msg(seq)
		if m.Expunged() {
			continue
		}
		ev.reset(seq, m)
		if ev.match(q.Program) {
			out = append(out, seq)
		}
		ev.done()
	}
	return out, nil
}

// evaluator holds one message's lazily loaded data.
type evaluator struct {
	q       *searchQuery
	seq     uint32
	m       *mailbox.Msg
	rec     *index.Record
	cache   *index.CacheEntry
	file    *os.File
	fileErr bool
	recb    index.Record
	cb      index.CacheEntry
}

func (e *evaluator) reset(seq uint32, m *mailbox.Msg) {
	e.seq, e.m, e.rec, e.cache, e.fileErr = seq, m, nil, nil, false
}

func (e *evaluator) done() {
	if e.file != nil {
		e.file.Close()
		e.file = nil
	}
}

func (e *evaluator) record() *index.Record {
	if e.rec == nil {
		r, err := e.q.View.Record(e.seq)
		if err != nil {
			return nil
		}
		e.recb = r
		e.rec = &e.recb
	}
	return e.rec
}

func (e *evaluator) cacheEntry() *index.CacheEntry {
	if e.cache == nil {
		r := e.record()
		if r == nil {
			return nil
		}
		c, err := e.q.View.CacheOf(r)
		if err != nil {
			return nil
		}
		e.cb = c
		e.cache = &e.cb
	}
	return e.cache
}

func (e *evaluator) openFile() *os.File {
	if e.file == nil && !e.fileErr {
		f, err := e.q.View.OpenMessage(e.seq)
		if err != nil {
			e.fileErr = true
			return nil
		}
		e.file = f
	}
	return e.file
}

// localDay is midnight of the key's calendar day in the server's time
// zone (Cyrus get_search_date uses mktime).
func localDay(t time.Time) (start, end int64) {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.Local)
	return d.Unix(), d.AddDate(0, 0, 1).Unix()
}

func (e *evaluator) match(k *imapwire.SearchKey) bool {
	q := e.q
	m := e.m
	sf := m.Flags
	switch k.Op {
	case imapwire.SearchAnd:
		for _, c := range k.Keys {
			if !e.match(c) {
				return false
			}
		}
		return true
	case imapwire.SearchOr:
		return e.match(k.Keys[0]) || e.match(k.Keys[1])
	case imapwire.SearchNot:
		return !e.match(k.Keys[0])
	case imapwire.SearchFuzzy:
		return e.match(k.Keys[0])
	case imapwire.SearchAll:
		return true
	case imapwire.SearchSeq:
		if imap.IsSearchRes(k.Set) {
			return containsUID(q.SearchRes, m.UID)
		}
		return setContains(k.Set, e.seq, q.View.Len())
	case imapwire.SearchUID:
		if imap.IsSearchRes(k.Set) {
			return containsUID(q.SearchRes, m.UID)
		}
		return setContains(k.Set, m.UID, q.View.Header().LastUID)
	case imapwire.SearchAnswered:
		return sf&index.FlagAnswered != 0
	case imapwire.SearchUnanswered:
		return sf&index.FlagAnswered == 0
	case imapwire.SearchDeleted:
		return sf&index.FlagDeleted != 0
	case imapwire.SearchUndeleted:
		return sf&index.FlagDeleted == 0
	case imapwire.SearchDraft:
		return sf&index.FlagDraft != 0
	case imapwire.SearchUndraft:
		return sf&index.FlagDraft == 0
	case imapwire.SearchFlagged:
		return sf&index.FlagFlagged != 0
	case imapwire.SearchUnflagged:
		return sf&index.FlagFlagged == 0
	case imapwire.SearchSeen:
		return q.Seen(e.seq)
	case imapwire.SearchUnseen:
		return !q.Seen(e.seq)
	case imapwire.SearchRecent:
		return q.Recent(e.seq)
	case imapwire.SearchOld:
		return !q.Recent(e.seq)
	case imapwire.SearchNew:
		return q.Recent(e.seq) && !q.Seen(e.seq)
	case imapwire.SearchKeyword, imapwire.SearchUnkeyword:
		has := e.hasKeyword(string(k.Flag))
		if k.Op == imapwire.SearchKeyword {
			return has
		}
		return !has
	case imapwire.SearchLarger, imapwire.SearchSmaller:
		r := e.record()
		if r == nil {
			return false
		}
		if k.Op == imapwire.SearchLarger {
			return uint64(r.Size) > k.Num
		}
		return uint64(r.Size) < k.Num
	case imapwire.SearchBefore, imapwire.SearchOn, imapwire.SearchSince,
		imapwire.SearchSentBefore, imapwire.SearchSentOn, imapwire.SearchSentSince,
		imapwire.SearchSavedBefore, imapwire.SearchSavedOn, imapwire.SearchSavedSince:
		r := e.record()
		if r == nil {
			return false
		}
		var v int64
		switch k.Op {
		case imapwire.SearchBefore, imapwire.SearchOn, imapwire.SearchSince:
			v = int64(r.InternalDate)
		case imapwire.SearchSentBefore, imapwire.SearchSentOn, imapwire.SearchSentSince:
			v = int64(r.SentDate)
		default:
			v = int64(r.SaveDate)
			if v == 0 {
				v = int64(r.InternalDate)
			}
		}
		start, end := localDay(k.Date)
		switch k.Op {
		case imapwire.SearchBefore, imapwire.SearchSentBefore, imapwire.SearchSavedBefore:
			return v < start
		case imapwire.SearchOn, imapwire.SearchSentOn, imapwire.SearchSavedOn:
			return v >= start && v < end
		default:
			return v >= start
		}
	case imapwire.SearchSaveDateSupported:
		return true
	case imapwire.SearchOlder, imapwire.SearchYounger:
		r := e.record()
		if r == nil {
			return false
		}
		limit := q.Now.Unix() - int64(k.Num)
		if k.Op == imapwire.SearchOlder {
			return int64(r.InternalDate) <= limit
		}
		return int64(r.InternalDate) >= limit
	case imapwire.SearchModSeq:
		return m.ModSeq >= k.Num
	case imapwire.SearchEmailID:
		r := e.record()
		return r != nil && strings.EqualFold(k.Text, "M"+hex.EncodeToString(r.GUID[:])[:24])
	case imapwire.SearchThreadID:
		r := e.record()
		return r != nil && r.CID != 0 && strings.EqualFold(k.Text, "T"+hexCID(r.CID))
	case imapwire.SearchSubject:
		c := e.cacheEntry()
		if c == nil {
			return false
		}
		subj, ok, _ := message.DecodedSubject(c.Item(index.CacheSubject))
		return ok && textContains(subj, k.Text)
	case imapwire.SearchFrom, imapwire.SearchTo, imapwire.SearchCc, imapwire.SearchBcc:
		c := e.cacheEntry()
		if c == nil {
			return false
		}
		item := map[imapwire.SearchOp]int{imapwire.SearchFrom: index.CacheFrom, imapwire.SearchTo: index.CacheTo,
			imapwire.SearchCc: index.CacheCc, imapwire.SearchBcc: index.CacheBcc}[k.Op]
		// Cyrus matches the cached search form of the addresses
		// ("Name" <mailbox@domain>, groups as "group:...;")
		raw := c.Item(item)
		if len(raw) == 0 || string(raw) == "NIL" {
			return false
		}
		return textContains(string(raw), k.Text)
	case imapwire.SearchHeader:
		return e.headerContains(k.Field, k.Text)
	case imapwire.SearchBody:
		return e.bodyContains(k.Text, false)
	case imapwire.SearchText:
		return e.bodyContains(k.Text, true)
	case imapwire.SearchDeliveredTo:
		return e.headerContains("Delivered-To", k.Text) || e.headerContains("X-Delivered-To", k.Text) ||
			e.headerContains("X-Original-Delivered-To", k.Text)
	case imapwire.SearchListID:
		return e.headerContains("List-Id", k.Text) || e.headerContains("Mailing-List", k.Text)
	case imapwire.SearchContentType:
		return e.contentTypeContains(k.Text)
	case imapwire.SearchAttachmentName:
		return e.attachmentNameContains(k.Text)
	case imapwire.SearchFolder:
		return true // one mailbox: the selected one
	case imapwire.SearchAnnotation:
		return e.annotationMatches(k)
	}
	// keys that need conversations or a search engine (CID, SPAMABOVE,
	// SPAMBELOW, XATTACHMENTBODY) match nothing without them
	return false
}

func containsUID(uids []uint32, u uint32) bool {
	for _, x := range uids {
		if x == u {
			return true
		}
	}
	return false
}

func hexCID(cid uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[cid&15]
		cid >>= 4
	}
	return string(b[:])
}

func (e *evaluator) hasKeyword(name string) bool {
	names := e.q.View.UserFlags()
	for i, n := range names {
		if n != "" && index.EqualFold(n, name) {
			return e.m.UserFlags[i/32]&(1<<(i%32)) != 0
		}
	}
	return false
}

// textContains is the built-in string match: case-insensitive substring
// of UTF-8 text (Cyrus additionally normalises with its search
// canonicalisation; lib/search does that).
func textContains(hay, needle string) bool {
	if needle == "" {
		return true
	}
	return strings.Contains(foldCase(hay), foldCase(needle))
}

func foldCase(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ToLower(s)
}

// headerBlock returns the message's top-level header block.
func (e *evaluator) headerBlock() []byte {
	r := e.record()
	f := e.openFile()
	if r == nil || f == nil {
		return nil
	}
	return readAt(f, 0, int64(r.HeaderSize), int64(r.Size))
}

// headerContains is HEADER field string (RFC 3501: an empty string
// matches every message that has the field).
func (e *evaluator) headerContains(field, needle string) bool {
	hdr := e.headerBlock()
	found := false
	for _, v := range headerValues(hdr, field) {
		found = true
		if needle == "" || textContains(decodeHeaderText(v), needle) {
			return true
		}
	}
	_ = found
	return false
}

// headerValues returns the unfolded values of field in a header block.
func headerValues(hdr []byte, field string) []string {
	var out []string
	lines := bytes.Split(hdr, []byte("\n"))
	for i := 0; i < len(lines); i++ {
		l := bytes.TrimRight(lines[i], "\r")
		if len(l) == 0 {
			break
		}
		colon := bytes.IndexByte(l, ':')
		if colon < 0 || l[0] == ' ' || l[0] == '\t' {
			continue
		}
		if !strings.EqualFold(strings.TrimSpace(string(l[:colon])), field) {
			continue
		}
		v := strings.TrimSpace(string(l[colon+1:]))
		for i+1 < len(lines) && len(lines[i+1]) > 0 && (lines[i+1][0] == ' ' || lines[i+1][0] == '\t') {
			i++
			v += " " + strings.TrimSpace(string(bytes.TrimRight(lines[i], "\r")))
		}
		out = append(out, v)
	}
	return out
}

// decodeHeaderText decodes RFC 2047 encoded words for the built-in
// match.
func decodeHeaderText(v string) string {
	if !strings.Contains(v, "=?") {
		return v
	}
	return decodeEncodedWords(v)
}

// bodyContains searches the text parts of the message, transfer
// encoding and charset undone; text also searches the header.
func (e *evaluator) bodyContains(needle string, withHeader bool) bool {
	if withHeader && textContains(decodeHeaderText(string(e.headerBlock())), needle) {
		return true
	}
	c := e.cacheEntry()
	r := e.record()
	f := e.openFile()
	if c == nil || r == nil || f == nil {
		return false
	}
	tree, err := message.DecodeSectionMap(c.Item(index.CacheBodyStructure), c.Item(index.CacheSection), r.Size)
	if err != nil {
		return false
	}
	found := false
	var walk func(p *message.Part)
	walk = func(p *message.Part) {
		if found || p == nil {
			return
		}
		if len(p.Parts) > 0 {
			for _, c := range p.Parts {
				walk(c)
			}
			return
		}
		if p.Sub != nil {
			if withHeader || true {
				hdr := readAt(f, int64(p.Sub.HeaderOffset), int64(p.Sub.HeaderSize), int64(r.Size))
				if textContains(decodeHeaderText(string(hdr)), needle) {
					found = true
					return
				}
			}
			walk(p.Sub)
			return
		}
		if p.Type != "TEXT" && p.Type != "" {
			return
		}
		raw := readAt(f, int64(p.ContentOffset), int64(p.ContentSize), int64(r.Size))
		dec, ok := message.DecodeBody(raw, p.Encoding)
		if !ok {
			dec = raw
		}
		if textContains(toUTF8(dec, p.Charset), needle) {
			found = true
		}
	}
	walk(tree.Root())
	return found
}

// toUTF8 converts text in charset to UTF-8 with lib/message's decoders.
func toUTF8(b []byte, charset string) string {
	if charset == "" {
		charset = "us-ascii"
	}
	d := message.LookupCharset(charset)
	if d == nil || d.IsUTF8() {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		out = d.Put(out, c)
	}
	return string(d.Flush(out))
}

func (e *evaluator) contentTypeContains(needle string) bool {
	c := e.cacheEntry()
	r := e.record()
	if c == nil || r == nil {
		return false
	}
	tree, err := message.DecodeSectionMap(c.Item(index.CacheBodyStructure), c.Item(index.CacheSection), r.Size)
	if err != nil {
		return false
	}
	found := false
	var walk func(p *message.Part)
	walk = func(p *message.Part) {
		if found || p == nil {
			return
		}
		if textContains(p.Type, needle) || textContains(p.Subtype, needle) || textContains(p.Type+"/"+p.Subtype, needle) {
			found = true
			return
		}
		for _, c := range p.Parts {
			walk(c)
		}
		walk(p.Sub)
	}
	walk(tree.Root())
	return found
}

func (e *evaluator) attachmentNameContains(needle string) bool {
	c := e.cacheEntry()
	if c == nil {
		return false
	}
	bs := string(c.Item(index.CacheBodyStructure))
	for _, key := range []string{`"NAME" "`, `"FILENAME" "`} {
		rest := bs
		for {
			i := strings.Index(strings.ToUpper(rest), key)
			if i < 0 {
				break
			}
			rest = rest[i+len(key):]
			j := strings.IndexByte(rest, '"')
			if j < 0 {
				break
			}
			if textContains(decodeHeaderText(rest[:j]), needle) {
				return true
			}
		}
	}
	return false
}

func (e *evaluator) annotationMatches(k *imapwire.SearchKey) bool {
	anns, err := e.q.Mailbox.Annotations(e.m.UID)
	if err != nil {
		return false
	}
	for _, a := range anns {
		if !annotationEntryMatch(k.Field, a.Entry) {
			continue
		}
		if k.Value == nil || bytes.Contains(bytes.ToLower(a.Value), bytes.ToLower(k.Value)) {
			return true
		}
	}
	return false
}
