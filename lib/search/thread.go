package search

// THREAD (RFC 5256) as Cyrus 3.6.1 does it: ORDEREDSUBJECT, REFERENCES
// (jwz's algorithm with Cyrus's choices) and REFS (Cyrus's variant:
// no subject grouping, threads ordered by their newest message).

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
)

// Algorithms lists the THREAD algorithms, in Cyrus's order.
var Algorithms = []string{"ORDEREDSUBJECT", "REFERENCES", "REFS"}

// Thread is one node of a THREAD answer: a message (Seq, UID; both 0 for
// an empty container) and its children.
type Thread struct {
	Seq, UID uint32
	Children []*Thread
}

type container struct {
	md                  *msgData
	parent, child, next *container
}

// Threads threads the matches of a search with algorithm (case
// insensitive) and returns the top-level threads in order.
func Threads(src Source, algorithm string, res *Result, opt *Options) ([]*Thread, error) {
	if opt == nil {
		opt = &Options{}
	}
	var root *container
	switch strings.ToUpper(algorithm) {
	case "ORDEREDSUBJECT":
		root = orderedSubject(src, res, opt)
	case "REFERENCES":
		root = references(src, res, opt, false)
	case "REFS":
		root = references(src, res, opt, true)
	default:
		return nil, fmt.Errorf("search: unknown THREAD algorithm %q", algorithm)
	}
	if root == nil {
		return nil, nil
	}
	return toThreads(root.child), nil
}

func toThreads(c *container) []*Thread {
	var out []*Thread
	for ; c != nil; c = c.next {
		t := &Thread{}
		if c.md != nil {
			t.Seq, t.UID = c.md.seq, c.md.uid
		}
		t.Children = toThreads(c.child)
		out = append(out, t)
	}
	return out
}

// Format writes threads as Cyrus's _index_thread_print does:
// "(1 2 (3)(4))", using UIDs or sequence numbers.
func Format(threads []*Thread, uid bool) string {
	var b strings.Builder
	var one func(t *Thread)
	id := func(t *Thread) uint32 {
		if uid {
			return t.UID
		}
		return t.Seq
	}
	list := func(ts []*Thread) {
		for _, t := range ts {
			one(t)
		}
	}
	one = func(t *Thread) {
		b.WriteByte('(')
		if t.UID != 0 {
			b.WriteString(strconv.FormatUint(uint64(id(t)), 10))
			if len(t.Children) > 0 {
				b.WriteByte(' ')
			}
		}
		kids := t.Children
		for len(kids) > 0 {
			if len(kids) > 1 {
				list(kids)
				break
			}
			c := kids[0]
			b.WriteString(strconv.FormatUint(uint64(id(c)), 10))
			if len(c.Children) > 0 {
				b.WriteByte(' ')
			}
			kids = c.Children
		}
		b.WriteByte(')')
	}
	list(threads)
	return b.String()
}

// sortList sorts a sibling list (lsort) by the keys; an empty container
// is compared by its first child.
func sortList(head *container, keys []sortKey) *container {
	var all []*container
	for c := head; c != nil; c = c.next {
		all = append(all, c)
	}
	if len(all) < 2 {
		return head
	}
	md := func(c *container) *msgData {
		if c.md != nil {
			return c.md
		}
		return c.child.md
	}
	sort.SliceStable(all, func(i, j int) bool { return compareMsg(md(all[i]), md(all[j]), keys) < 0 })
	for i := range all {
		if i+1 < len(all) {
			all[i].next = all[i+1]
		} else {
			all[i].next = nil
		}
	}
	return all[0]
}

// sortTree is index_thread_sort: children first, then the list.
func sortTree(root *container, keys []sortKey) {
	for c := root.child; c != nil; c = c.next {
		if c.child != nil {
			sortTree(c, keys)
		}
	}
	root.child = sortList(root.child, keys)
}

var (
	keysSubjectDate = []sortKey{{key: "subject"}, {key: "date"}, {key: "sequence"}}
	keysDate        = []sortKey{{key: "date"}, {key: "sequence"}}
	keysDateArrival = []sortKey{{key: "date"}, {key: "arrival"}, {key: "sequence"}}
)

// orderedSubject is index_thread_orderedsubj.
func orderedSubject(src Source, res *Result, opt *Options) *container {
	if len(res.Seqs) == 0 {
		return nil
	}
	md := loadData(src, res, keysSubjectDate, opt)
	sort.Slice(md, func(i, j int) bool { return compareMsg(md[i], md[j], keysSubjectDate) < 0 })
	head := &container{}
	parent, cur, last := head, (*container)(nil), (*container)(nil)
	var psubj *string
	for _, m := range md {
		n := &container{md: m}
		if psubj == nil || m.xsubj == *psubj {
			if parent.child == nil {
				parent.child = n
				last = n
				if cur == nil {
					cur = n
					parent = n
				}
			} else {
				last.next = n
				last = n
			}
		} else {
			cur.next = n
			cur = n
			parent = n
		}
		s := m.xsubj
		psubj = &s
	}
	sortTree(head, keysDate)
	return head
}

// messageIDs is index_get_ids: the Message-ID (or "<Empty-ID: seq>") and
// the references (References, else In-Reply-To).
func messageIDs(ce *index.CacheEntry, seq uint32) (string, []string) {
	irt, id, err := message.EnvelopeIDs(ce.Item(index.CacheEnvelope))
	var msgid, inReplyTo string
	if err == nil {
		msgid, _ = findMsgID(id)
		inReplyTo, _ = findMsgID(irt)
	}
	if msgid == "" {
		msgid = fmt.Sprintf("<Empty-ID: %d>", seq)
	}
	var refs []string
	hdr := massageHeader(pruneHeader(ce.Item(index.CacheHeaders), "references", 1000))
	for {
		id, rest := findMsgID(hdr)
		if id == "" {
			break
		}
		refs = append(refs, id)
		hdr = rest
	}
	if len(refs) == 0 && inReplyTo != "" {
		refs = []string{inReplyTo}
	}
	return msgid, refs
}

// massageHeader is massage_header(): white space collapsed, folds
// removed, the text cut at the end of the first field.
func massageHeader(h []byte) string {
	var out []byte
	for i := 0; i < len(h); i++ {
		c := h[i]
		next := byte(0)
		if i+1 < len(h) {
			next = h[i+1]
		}
		switch c {
		case ' ', '\t', '\r':
			if len(out) == 0 || next == '\n' {
				continue
			}
			c = ' '
		case '\n':
			if next == ' ' || next == '\t' {
				continue
			}
			return string(out)
		}
		out = append(out, c)
	}
	return string(out)
}

// findMsgID is find_msgid(): the first "<local@domain>" of s (a quoted
// local part unquoted), and the rest of s after it.
func findMsgID(s string) (string, string) {
	const specials = "<> @\\"
	at := func(i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	special := func(c byte) bool { return c == 0 || strings.IndexByte(specials, c) >= 0 }
	src := 0
	for {
		j := strings.IndexAny(s[src:], "<\r")
		if j < 0 {
			return "", ""
		}
		src += j
		cp := src + 1
		if s[src] == '\r' {
			if at(cp) == '\n' && !(at(cp+1) == ' ' || at(cp+1) == '\t') {
				return "", ""
			}
			src++
			continue
		}
		if at(cp) == '"' {
			for {
				cp++
				k := strings.IndexByte(s[min(cp, len(s)):], '"')
				if k < 0 {
					cp = -1
					break
				}
				cp += k
				if s[cp-1] != '\\' {
					break
				}
			}
			if cp < 0 {
				src++
				continue
			}
		}
		if strings.IndexByte(s[cp:], '>') < 0 {
			return "", ""
		}
		var dst []byte
		dst = append(dst, s[src])
		src++
		if at(src) == '"' {
			src++
			for at(src) != '"' && src < len(s) {
				if s[src] == '\\' {
					src++
				}
				dst = append(dst, at(src))
				src++
			}
			src++
		} else {
			for !special(at(src)) {
				dst = append(dst, s[src])
				src++
			}
		}
		if at(src) != '@' || dst[len(dst)-1] == '<' {
			continue
		}
		dst = append(dst, s[src])
		src++
		for !special(at(src)) {
			dst = append(dst, s[src])
			src++
		}
		if at(src) != '>' || dst[len(dst)-1] == '@' {
			continue
		}
		dst = append(dst, s[src])
		src++
		return string(dst), s[src:]
	}
}

func isDescendant(parent, child *container) bool {
	if parent == child {
		return true
	}
	for k := parent.child; k != nil; k = k.next {
		if isDescendant(k, child) {
			return true
		}
	}
	return false
}

func adopt(parent, child *container) {
	child.parent = parent
	child.next = parent.child
	parent.child = child
}

func orphan(child *container) {
	var prev *container
	cur := child.parent.child
	for cur != child && cur != nil {
		prev, cur = cur, cur.next
	}
	if cur == nil {
		return
	}
	if prev == nil {
		child.parent.child = child.next
	} else {
		prev.next = child.next
	}
	child.parent, child.next = nil, nil
}

// references is _index_thread_ref with Cyrus's REFERENCES steps, or with
// refs its REFS variant.
func references(src Source, res *Result, opt *Options, refs bool) *container {
	if len(res.Seqs) == 0 {
		return nil
	}
	load := []sortKey{{key: "ids"}, {key: "subject"}, {key: "date"}, {key: "sequence"}}
	if refs {
		load = []sortKey{{key: "ids"}, {key: "date"}, {key: "arrival"}, {key: "sequence"}}
	}
	md := loadData(src, res, load, opt)
	ids := make(map[string]*container)
	var order []*container // containers in creation order (for the root set)
	newc := func(m *msgData) *container {
		c := &container{md: m}
		order = append(order, c)
		return c
	}
	dup := 0
	// Step 1: link messages by Message-ID and references.
	for _, m := range md {
		cur := ids[m.msgid]
		if cur != nil {
			if cur.md != nil {
				m.msgid = fmt.Sprintf("%s-dup%d", m.msgid, dup)
				dup++
				cur = nil
			} else {
				cur.md = m
			}
		}
		if cur == nil {
			cur = newc(m)
			ids[m.msgid] = cur
		}
		var parent *container
		for _, r := range m.refs {
			ref := ids[r]
			if ref == nil {
				ref = newc(nil)
				ids[r] = ref
			}
			if ref.parent == nil && parent != nil && !isDescendant(ref, parent) {
				adopt(parent, ref)
			}
			parent = ref
		}
		if cur.parent != nil {
			orphan(cur)
		}
		if parent != nil && !isDescendant(cur, parent) {
			adopt(parent, cur)
		}
	}
	// Step 2: the root set.
	root := &container{}
	nroot := 0
	for _, c := range order {
		if c.parent == nil && c.next == nil {
			c.next = root.child
			root.child = c
			nroot++
		}
	}
	// Step 3: prune empty containers.
	pruneTree(root)
	if refs {
		refsProc(root)
	} else {
		root.child = sortRoot(root.child)
		groupSubjects(root)
	}
	keys := keysDate
	if refs {
		keys = keysDateArrival
	}
	sortTree(root, keys)
	return root
}

// pruneTree is ref_prune_tree.
func pruneTree(parent *container) {
	var prev *container
	cur := parent.child
	for cur != nil {
		next := cur.next
		switch {
		case cur.md == nil && cur.child == nil:
			if prev == nil {
				parent.child = cur.next
			} else {
				prev.next = cur.next
			}
			cur = next
			continue
		case cur.md == nil && cur.child != nil && (cur.parent != nil || cur.child.next == nil):
			if prev == nil {
				parent.child = cur.child
			} else {
				prev.next = cur.child
			}
			child := cur.child
			for {
				child.parent = cur.parent
				if child.next == nil {
					break
				}
				child = child.next
			}
			child.next = cur.next
			next = cur.child
			cur.child, cur.next = nil, nil
			cur = next
			continue
		case cur.child != nil:
			pruneTree(cur)
			if cur.md == nil && cur.child == nil {
				continue // look at it again: now empty
			}
		}
		prev = cur
		cur = next
	}
}

// sortRoot is ref_sort_root: children of empty roots, then the roots, by
// date.
func sortRoot(head *container) *container {
	for c := head; c != nil; c = c.next {
		if c.md == nil {
			c.child = sortList(c.child, keysDate)
		}
	}
	return sortList(head, keysDate)
}

func subjectOf(c *container) string {
	if c.md != nil {
		return c.md.xsubj
	}
	return c.child.md.xsubj
}

// groupSubjects is ref_group_subjects (RFC 5256 REFERENCES step 5).
func groupSubjects(root *container) {
	table := make(map[string]*container)
	for cur := root.child; cur != nil; cur = cur.next {
		subj := subjectOf(cur)
		if subj == "" {
			continue
		}
		old := table[subj]
		if old == nil || (cur.md == nil && old.md != nil) ||
			(old.md != nil && old.md.refwd != 0 && cur.md != nil && cur.md.refwd == 0) {
			table[subj] = cur
		}
	}
	var prev *container
	cur := root.child
	for cur != nil {
		next := cur.next
		subj := subjectOf(cur)
		old := table[subj]
		if subj == "" || old == nil || old == cur {
			prev, cur = cur, next
			continue
		}
		if prev == nil {
			root.child = cur.next
		} else {
			prev.next = cur.next
		}
		cur.next = nil
		switch {
		case old.md == nil && cur.md == nil:
			child := old.child
			for child.next != nil {
				child = child.next
			}
			child.next = cur.child
			for child = cur.child; child != nil; child = child.next {
				child.parent = old
			}
			cur.child = nil
		case old.md == nil || (cur.md != nil && cur.md.refwd != 0 && old.md.refwd == 0):
			adopt(old, cur)
		default:
			n := &container{md: old.md, child: old.child}
			for child := n.child; child != nil; child = child.next {
				child.parent = n
			}
			cur.parent, n.parent = old, old
			old.md = nil
			old.child = cur
			cur.next = n
		}
		cur = next
	}
}

// refsProc is refs_thread_proc: each root takes the newest internal date
// of its thread, and its date sort uses that alone.
func refsProc(root *container) {
	for cur := root.child; cur != nil; cur = cur.next {
		if cur.md == nil {
			cur.md = &msgData{internalDate: cur.child.md.internalDate}
		} else {
			cp := *cur.md
			cur.md = &cp
		}
		cur.md.sentDate = 0
		newest(cur, cur.md)
	}
}

func newest(c *container, recent *msgData) {
	if c.md.internalDate > recent.internalDate {
		recent.internalDate = c.md.internalDate
	}
	for k := c.child; k != nil; k = k.next {
		newest(k, recent)
	}
}

var (
	_ = bytes.Compare
	_ = imapwire.SearchAll
)
