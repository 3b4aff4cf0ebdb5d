package main

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
)

// SORT (RFC 5256, RFC 5957 DISPLAY, RFC 5267 ESORT, Cyrus's MODSEQ, UID,
// ANNOTATION, HASFLAG keys) and THREAD (RFC 5256 ORDEREDSUBJECT and
// REFERENCES, draft-ietf-morg-inthread REFS), following Cyrus's
// index_sort/index_thread: keys come from the index and cyrus.cache.

// msgData is what sorting and threading know of a message (Cyrus
// MsgData).
type msgData struct {
	seq, uid      uint32
	internalDate  int64
	sentDate      int64 // Date: header as UTC (gmtime), 0 if none
	size          uint32
	modseq        uint64
	createdModSeq uint64
	saveDate      int64
	from, to, cc  string
	dispFrom      string
	dispTo        string
	xsubj         string
	refwd         int
	annots        []string
	hasFlag       []bool
	guid          [20]byte
	msgid         string
	refs          []string
}

// loadMsgData reads the keys a sort or thread needs.
func (s *Session) loadMsgData(seqs []uint32, crit []imapwire.SortCriterion, ids bool) []*msgData {
	sel := s.sel
	out := make([]*msgData, 0, len(seqs))
	for _, q := range seqs {
		md := &msgData{seq: q, uid: sel.view.UID(q)}
		rec, err := sel.view.Record(q)
		if err != nil {
			out = append(out, md)
			continue
		}
		md.internalDate = int64(rec.InternalDate)
		md.sentDate = int64(rec.GMTime)
		md.size = rec.Size
		md.modseq = rec.ModSeq
		md.createdModSeq = rec.CreatedModSeq
		md.saveDate = int64(rec.SaveDate)
		md.guid = rec.GUID
		c, err := sel.view.CacheOf(&rec)
		if err == nil {
			md.from = firstMailbox(c.Item(index.CacheFrom))
			md.to = firstMailbox(c.Item(index.CacheTo))
			md.cc = firstMailbox(c.Item(index.CacheCc))
			md.dispFrom = displayName(c.Item(index.CacheFrom))
			md.dispTo = displayName(c.Item(index.CacheTo))
			md.xsubj, md.refwd = baseSubject(c.Item(index.CacheSubject))
			if ids {
				md.msgid, md.refs = threadIDs(c, q)
			}
		}
		for _, k := range crit {
			switch k.Key {
			case "annotation":
				v := []byte(nil)
				if len(k.Args) == 2 {
					userid := ""
					if strings.HasSuffix(strings.ToLower(k.Args[1]), ".priv") {
						userid = s.userid
					}
					v, _ = sel.mb.Annotation(md.uid, k.Args[0], userid)
				}
				md.annots = append(md.annots, string(v))
			case "hasflag":
				has := false
				if len(k.Args) == 1 {
					has = s.msgHasFlag(q, k.Args[0])
				}
				md.hasFlag = append(md.hasFlag, has)
			}
		}
		out = append(out, md)
	}
	return out
}

func (s *Session) msgHasFlag(seq uint32, name string) bool {
	sel := s.sel
	m := sel.view.Msg(seq)
	switch strings.ToLower(name) {
	case `\seen`:
		return sel.isSeen(seq)
	case `\answered`:
		return m.Flags&index.FlagAnswered != 0
	case `\flagged`:
		return m.Flags&index.FlagFlagged != 0
	case `\deleted`:
		return m.Flags&index.FlagDeleted != 0
	case `\draft`:
		return m.Flags&index.FlagDraft != 0
	}
	for i, n := range sel.flagNames {
		if n != "" && index.EqualFold(n, name) {
			return m.UserFlags[i/32]&(1<<(i%32)) != 0
		}
	}
	return false
}

// firstMailbox is Cyrus's get_localpart_addr on a search-form address
// item: the mailbox of the first address.
func firstMailbox(item []byte) string {
	addrs := message.ParseSearchAddrs(item)
	if len(addrs) == 0 {
		return ""
	}
	if addrs[0].GroupStart {
		return addrs[0].Name
	}
	return addrs[0].Mailbox
}

// displayName is Cyrus's get_displayname (RFC 5957): the display name,
// else the upper-cased address.
func displayName(item []byte) string {
	addrs := message.ParseSearchAddrs(item)
	if len(addrs) == 0 {
		return ""
	}
	a := addrs[0]
	switch {
	case a.Name != "":
		return strings.ToUpper(a.Name)
	case a.Mailbox != "" && a.Domain != "":
		return strings.ToUpper(a.Mailbox + "@" + a.Domain)
	default:
		return strings.ToUpper(a.Mailbox)
	}
}

// baseSubject is RFC 5256's base subject as Cyrus's
// index_extract_subject computes it, upper-cased, with the count of
// reply/forward markers.
func baseSubject(item []byte) (string, int) {
	subj, ok, _ := message.DecodedSubject(item)
	if !ok {
		return "", 0
	}
	refwd := 0
	s := subj
	for {
		base := extractSubject(s, &refwd)
		if len(base) >= 5 && strings.EqualFold(base[:5], "[fwd:") && strings.HasSuffix(base, "]") {
			refwd++
			s = base[5 : len(base)-1]
			continue
		}
		s = base
		break
	}
	return upperASCII(s), refwd
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

// extractSubject is _index_extract_subject: trailing "(fwd)" and white
// space, leading "re:", "fw:", "fwd:" (with an optional [blob] count)
// and leading [blobs] removed.
func extractSubject(s string, refwd *int) string {
	for len(s) > 0 {
		x := len(s) - 1
		if isSpace(s[x]) {
			s = s[:x]
		} else if len(s) >= 5 && strings.EqualFold(s[len(s)-5:], "(fwd)") {
			s = s[:len(s)-5]
			*refwd++
		} else {
			break
		}
	}
	base := 0
	for base < len(s) {
		if isSpace(s[base]) {
			base++
			continue
		}
		rest := s[base:]
		skip := 0
		switch {
		case len(rest) >= 2 && strings.EqualFold(rest[:2], "re"):
			skip = 2
		case len(rest) >= 3 && strings.EqualFold(rest[:3], "fwd"):
			skip = 3
		case len(rest) >= 2 && strings.EqualFold(rest[:2], "fw"):
			skip = 2
		}
		if skip > 0 {
			x := base + skip
			count := 0
			for x < len(s) && isSpace(s[x]) {
				x++
			}
			if x < len(s) && s[x] == '[' {
				x++
				closed := false
				for x < len(s) {
					c := s[x]
					if c == ']' {
						closed = true
						break
					}
					if c >= '0' && c <= '9' && count != -1 {
						count = count*10 + int(c-'0')
						if count < 0 {
							count = -1
						}
					} else {
						count = -1
					}
					x++
				}
				if !closed {
					break
				}
				x++
			}
			for x < len(s) && isSpace(s[x]) {
				x++
			}
			if x < len(s) && s[x] == ':' {
				base = x + 1
				if count > 0 {
					*refwd += count
				} else {
					*refwd++
				}
				continue
			}
			break
		}
		if s[base] == '[' {
			j := strings.IndexAny(s[base+1:], "[]")
			if j >= 0 && s[base+1+j] == ']' {
				if base+1+j+1 < len(s) {
					base = base + 1 + j + 1
					continue
				}
			}
			break
		}
		break
	}
	return s[base:]
}

// threadIDs is Cyrus's index_get_ids: Message-ID from the envelope
// (invented when missing), References from the cached headers, else
// In-Reply-To.
func threadIDs(c index.CacheEntry, seq uint32) (string, []string) {
	msgid := ""
	inReplyTo := ""
	if env, err := message.ParseEnvelope(c.Item(index.CacheEnvelope)); err == nil {
		msgid = findMsgID(env.MessageID)
		inReplyTo = env.InReplyTo
	}
	if msgid == "" {
		msgid = fmt.Sprintf("<Empty-ID: %d>", seq)
	}
	var refs []string
	hdr := pruneHeader(c.Item(index.CacheHeaders), []string{"references"}, nil, 0)
	rest := massageHeader(hdr)
	for {
		id, next := findMsgIDRest(rest)
		if id == "" {
			break
		}
		refs = append(refs, id)
		rest = next
	}
	if len(refs) == 0 {
		if id := findMsgID(inReplyTo); id != "" {
			refs = append(refs, id)
		}
	}
	return msgid, refs
}

// massageHeader unfolds a header and drops the field name, as Cyrus's
// massage_header leaves the value for find_msgid.
func massageHeader(h []byte) string {
	var b bytes.Buffer
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch c {
		case ' ', '\t', '\r':
			if b.Len() == 0 || (i+1 < len(h) && h[i+1] == '\n') {
				continue
			}
			b.WriteByte(' ')
		case '\n':
			if i+1 < len(h) && (h[i+1] == ' ' || h[i+1] == '\t') {
				continue
			}
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func findMsgID(s string) string {
	id, _ := findMsgIDRest(s)
	return id
}

// findMsgIDRest is Cyrus's find_msgid: the next "<...>" (a quoted local
// part kept without its quotes and escapes), and the rest.
func findMsgIDRest(s string) (string, string) {
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			return "", ""
		}
		s = s[i:]
		cp := 1
		if cp < len(s) && s[cp] == '"' {
			j := cp + 1
			for {
				k := strings.IndexByte(s[j:], '"')
				if k < 0 {
					j = -1
					break
				}
				j += k
				if s[j-1] != '\\' {
					break
				}
				j++
			}
			if j < 0 {
				s = s[1:]
				continue
			}
			cp = j
		}
		end := strings.IndexByte(s[cp:], '>')
		if end < 0 {
			return "", ""
		}
		end += cp
		var b strings.Builder
		b.WriteByte('<')
		src := s[1:end]
		if strings.HasPrefix(src, `"`) {
			k := 1
			for k < len(src) && src[k] != '"' {
				if src[k] == '\\' && k+1 < len(src) {
					k++
				}
				b.WriteByte(src[k])
				k++
			}
			if k < len(src) {
				src = src[k+1:]
			} else {
				src = ""
			}
		}
		for k := 0; k < len(src); k++ {
			if !isSpace(src[k]) {
				b.WriteByte(src[k])
			}
		}
		b.WriteByte('>')
		return b.String(), s[end+1:]
	}
}

// compareMsg is Cyrus's index_sort_compare: keys in order, the last one
// the sequence number, each possibly reversed.
func compareMsg(a, b *msgData, crit []imapwire.SortCriterion) int {
	ann, flag := 0, 0
	for _, k := range crit {
		ret := 0
		switch k.Key {
		case "arrival":
			ret = cmpI(a.internalDate, b.internalDate)
		case "cc":
			ret = strings.Compare(a.cc, b.cc)
		case "date":
			da, db := a.sentDate, b.sentDate
			if da == 0 {
				da = a.internalDate
			}
			if db == 0 {
				db = b.internalDate
			}
			ret = cmpI(da, db)
		case "savedate":
			da, db := a.saveDate, b.saveDate
			if da == 0 {
				da = a.internalDate
			}
			if db == 0 {
				db = b.internalDate
			}
			ret = cmpI(da, db)
		case "from":
			ret = strings.Compare(a.from, b.from)
		case "size":
			ret = cmpI(int64(a.size), int64(b.size))
		case "subject":
			ret = strings.Compare(a.xsubj, b.xsubj)
		case "to":
			ret = strings.Compare(a.to, b.to)
		case "annotation":
			if ann < len(a.annots) && ann < len(b.annots) {
				ret = strings.Compare(a.annots[ann], b.annots[ann])
			}
			ann++
		case "modseq":
			ret = cmpU(a.modseq, b.modseq)
		case "createdmodseq":
			ret = cmpU(a.createdModSeq, b.createdModSeq)
		case "displayfrom":
			ret = strings.Compare(a.dispFrom, b.dispFrom)
		case "displayto":
			ret = strings.Compare(a.dispTo, b.dispTo)
		case "uid":
			ret = cmpI(int64(a.uid), int64(b.uid))
		case "hasflag":
			if flag < len(a.hasFlag) && flag < len(b.hasFlag) {
				ret = cmpB(a.hasFlag[flag], b.hasFlag[flag])
			}
			flag++
		case "sequence":
			ret = cmpI(int64(a.seq), int64(b.seq))
		}
		if ret != 0 {
			if k.Reverse {
				return -ret
			}
			return ret
		}
	}
	if r := cmpI(int64(a.seq), int64(b.seq)); r != 0 {
		return r
	}
	return bytes.Compare(a.guid[:], b.guid[:])
}

func cmpI(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpB(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// cmdSort runs SORT and UID SORT.
func (s *Session) cmdSort(tag string, uid bool, a *imapwire.Sort) {
	start := time.Now()
	s.tellChanges(false)
	seqs, err := s.search(a.Program, a.Charset)
	if errors.Is(err, errSearchFailed) {
		s.okText(tag, fmt.Sprintf("Completed (0 msgs in %.3f secs)", time.Since(start).Seconds()))
		return
	}
	if err != nil {
		s.no(tag, err)
		return
	}
	mds := s.loadMsgData(seqs, a.Criteria, false)
	sort.SliceStable(mds, func(i, j int) bool { return compareMsg(mds[i], mds[j], a.Criteria) < 0 })
	modseq := uint64(0)
	// Cyrus needs_modseq: only a MODSEQ search key (not the MODSEQ sort
	// criterion) adds "(MODSEQ n)"
	if usesModSeq(a.Program) {
		modseq = 1
		for _, md := range mds {
			if md.modseq > modseq {
				modseq = md.modseq
			}
		}
	}
	nums := make([]uint32, len(mds))
	for i, md := range mds {
		if uid {
			nums[i] = md.uid
		} else {
			nums[i] = md.seq
		}
	}
	if a.Return != nil {
		s.writeSortESearch(tag, uid, a.Return, mds, modseq)
	} else {
		s.wr().Search("SORT", nums, modseq)
	}
	s.okText(tag, fmt.Sprintf("Completed (%d msgs in %.3f secs)", len(mds), time.Since(start).Seconds()))
}

// writeSortESearch is ESORT (RFC 5267) as Cyrus answers it: MIN and MAX
// are the smallest and largest numbers, ALL keeps the sorted order with
// ascending runs joined into ranges ("4:5,2:3,1,6").
func (s *Session) writeSortESearch(tag string, uid bool, ret *imapwire.SearchReturn, mds []*msgData, modseq uint64) {
	d := &imapwire.ESearchData{Tag: tag, UID: uid}
	num := func(md *msgData) uint32 {
		if uid {
			return md.uid
		}
		return md.seq
	}
	if ret.ReturnCount {
		n := uint32(len(mds))
		d.Count = &n
	}
	all := ret.ReturnAll || (!ret.ReturnMin && !ret.ReturnMax && !ret.ReturnCount && !ret.Relevancy)
	if len(mds) > 0 {
		lo, hi := num(mds[0]), num(mds[0])
		for _, md := range mds {
			lo, hi = min(lo, num(md)), max(hi, num(md))
		}
		if ret.ReturnMin {
			d.Min = lo
		}
		if ret.ReturnMax {
			d.Max = hi
		}
		if all {
			var seqs imap.SeqSet
			var uids imap.UIDSet
			for i := 0; i < len(mds); {
				j := i + 1
				for j < len(mds) && num(mds[j]) == num(mds[j-1])+1 {
					j++
				}
				a, b := num(mds[i]), num(mds[j-1])
				seqs = append(seqs, imap.SeqRange{Start: a, Stop: b})
				uids = append(uids, imap.UIDRange{Start: imap.UID(a), Stop: imap.UID(b)})
				i = j
			}
			if uid {
				d.All = uids
			} else {
				d.All = seqs
			}
		}
		d.ModSeq = modseq
	}
	s.wr().ESearch(d)
}

// thread is a node of a thread tree (Cyrus Thread).
type thread struct {
	md                  *msgData
	parent, child, next *thread
}

// cmdThread runs THREAD and UID THREAD.
func (s *Session) cmdThread(tag string, uid bool, a *imapwire.Thread) {
	start := time.Now()
	s.tellChanges(false)
	alg := strings.ToUpper(a.Algorithm)
	seqs, err := s.search(a.Program, a.Charset)
	if errors.Is(err, errSearchFailed) {
		s.okText(tag, fmt.Sprintf("Completed (0 msgs in %.3f secs)", time.Since(start).Seconds()))
		return
	}
	if err != nil {
		s.no(tag, err)
		return
	}
	var root *thread
	if len(seqs) > 0 {
		switch alg {
		case "ORDEREDSUBJECT":
			root = s.threadOrderedSubject(seqs)
		case "REFERENCES":
			root = s.threadReferences(seqs, false)
		case "REFS":
			root = s.threadReferences(seqs, true)
		default:
			log.Debug("thread", "algorithm", alg)
		}
	}
	var b strings.Builder
	b.WriteString("* THREAD")
	if root != nil {
		b.WriteByte(' ')
		printThreads(&b, root.child, uid)
	}
	if root != nil && usesModSeq(a.Program) {
		m := uint64(0)
		for _, q := range seqs {
			if v := s.sel.view.Msg(q).ModSeq; v > m {
				m = v
			}
		}
		b.WriteString(" (MODSEQ " + strconv.FormatUint(m, 10) + ")")
	}
	b.WriteString("\r\n")
	s.wr().RawString(b.String())
	s.okText(tag, fmt.Sprintf("Completed (%d msgs in %.3f secs)", len(seqs), time.Since(start).Seconds()))
}

// printThreads is Cyrus's _index_thread_print.
func printThreads(b *strings.Builder, t *thread, uid bool) {
	id := func(md *msgData) string {
		if uid {
			return strconv.FormatUint(uint64(md.uid), 10)
		}
		return strconv.FormatUint(uint64(md.seq), 10)
	}
	for ; t != nil; t = t.next {
		b.WriteByte('(')
		if t.md != nil && t.md.uid != 0 {
			b.WriteString(id(t.md))
			if t.child != nil {
				b.WriteByte(' ')
			}
		}
		for c := t.child; c != nil; {
			if c.next != nil {
				printThreads(b, c, uid)
				break
			}
			b.WriteString(id(c.md))
			if c.child != nil {
				b.WriteByte(' ')
			}
			c = c.child
		}
		b.WriteByte(')')
	}
}

var (
	critSubjectDate = []imapwire.SortCriterion{{Key: "subject"}, {Key: "date"}}
	critDate        = []imapwire.SortCriterion{{Key: "date"}}
	critDateArrival = []imapwire.SortCriterion{{Key: "date"}, {Key: "arrival"}}
)

// threadOrderedSubject is Cyrus's index_thread_orderedsubj.
func (s *Session) threadOrderedSubject(seqs []uint32) *thread {
	mds := s.loadMsgData(seqs, nil, false)
	sort.SliceStable(mds, func(i, j int) bool { return compareMsg(mds[i], mds[j], critSubjectDate) < 0 })
	head := &thread{}
	parent := head
	var cur, last *thread
	var psubj *string
	for _, md := range mds {
		n := &thread{md: md}
		if psubj == nil || md.xsubj == *psubj {
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
		sj := md.xsubj
		psubj = &sj
	}
	sortThreads(head, critDate)
	return head
}

func threadMD(t *thread) *msgData {
	if t.md != nil {
		return t.md
	}
	return t.child.md
}

// sortThreads is index_thread_sort: children first, then the list.
func sortThreads(root *thread, crit []imapwire.SortCriterion) {
	for c := root.child; c != nil; c = c.next {
		if c.child != nil {
			sortThreads(c, crit)
		}
	}
	root.child = sortList(root.child, crit)
}

// sortList sorts a sibling list stably (Cyrus lsort is a merge sort).
func sortList(l *thread, crit []imapwire.SortCriterion) *thread {
	var nodes []*thread
	for t := l; t != nil; t = t.next {
		nodes = append(nodes, t)
	}
	sort.SliceStable(nodes, func(i, j int) bool {
		return compareMsg(threadMD(nodes[i]), threadMD(nodes[j]), crit) < 0
	})
	for i := range nodes {
		if i+1 < len(nodes) {
			nodes[i].next = nodes[i+1]
		} else {
			nodes[i].next = nil
		}
	}
	if len(nodes) == 0 {
		return nil
	}
	return nodes[0]
}

func isDescendant(parent, child *thread) bool {
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

func adopt(parent, child *thread) {
	child.parent = parent
	child.next = parent.child
	parent.child = child
}

func orphan(child *thread) {
	var prev *thread
	cur := child.parent.child
	for cur != nil && cur != child {
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

// threadReferences is Cyrus's _index_thread_ref for REFERENCES and REFS.
func (s *Session) threadReferences(seqs []uint32, refs bool) *thread {
	mds := s.loadMsgData(seqs, nil, true)
	ids := map[string]*thread{}
	var order []*thread // containers in creation order (for the root set)
	dup := 0
	for _, md := range mds {
		cur := ids[md.msgid]
		if cur != nil && cur.md != nil {
			md.msgid = md.msgid + "-dup" + strconv.Itoa(dup)
			dup++
			cur = nil
		} else if cur != nil {
			cur.md = md
		}
		if cur == nil {
			cur = &thread{md: md}
			ids[md.msgid] = cur
			order = append(order, cur)
		}
		var parent *thread
		for _, r := range md.refs {
			ref := ids[r]
			if ref == nil {
				ref = &thread{}
				ids[r] = ref
				order = append(order, ref)
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
	root := &thread{}
	nroot := 0
	for _, t := range order {
		if t.parent == nil {
			t.next = root.child
			root.child = t
			nroot++
		}
	}
	pruneTree(root)
	if refs {
		// REFS: each thread dated by its newest message
		for cur := root.child; cur != nil; cur = cur.next {
			if cur.md == nil {
				cur.md = &msgData{internalDate: cur.child.md.internalDate}
			} else {
				cp := *cur.md
				cur.md = &cp
			}
			cur.md.sentDate = 0
			mostRecent(cur, cur.md)
		}
		sortThreads(root, critDateArrival)
		return root
	}
	// REFERENCES: sort the root set by date, group by subject, sort
	for cur := root.child; cur != nil; cur = cur.next {
		if cur.md == nil {
			cur.child = sortList(cur.child, critDate)
		}
	}
	root.child = sortList(root.child, critDate)
	groupSubjects(root)
	sortThreads(root, critDate)
	return root
}

func mostRecent(t *thread, recent *msgData) {
	if t.md != nil && t.md.internalDate > recent.internalDate {
		recent.internalDate = t.md.internalDate
	}
	for c := t.child; c != nil; c = c.next {
		mostRecent(c, recent)
	}
}

// pruneTree is ref_prune_tree: empty containers go, their children move
// up (at the root only when there is just one).
func pruneTree(parent *thread) {
	var prev *thread
	cur := parent.child
	for cur != nil {
		next := cur.next
	retry:
		switch {
		case cur.md == nil && cur.child == nil:
			if prev == nil {
				parent.child = cur.next
			} else {
				prev.next = cur.next
			}
			cur = prev
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
			cur = prev
		case cur.child != nil:
			pruneTree(cur)
			if cur.md == nil && cur.child == nil {
				goto retry
			}
		}
		prev = cur
		cur = next
	}
}

// groupSubjects is ref_group_subjects (RFC 5256 step 5).
func groupSubjects(root *thread) {
	subjOf := func(t *thread) string {
		if t.md != nil {
			return t.md.xsubj
		}
		return t.child.md.xsubj
	}
	table := map[string]*thread{}
	for cur := root.child; cur != nil; cur = cur.next {
		subj := subjOf(cur)
		if subj == "" {
			continue
		}
		old := table[subj]
		if old == nil || (cur.md == nil && old.md != nil) ||
			(old.md != nil && old.md.refwd > 0 && cur.md != nil && cur.md.refwd == 0) {
			table[subj] = cur
		}
	}
	var prev *thread
	cur := root.child
	for cur != nil {
		next := cur.next
		subj := subjOf(cur)
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
			for c := cur.child; c != nil; c = c.next {
				c.parent = old
			}
			cur.child = nil
		case old.md == nil || (cur.md != nil && cur.md.refwd > 0 && old.md.refwd == 0):
			adopt(old, cur)
		default:
			n := &thread{md: old.md, child: old.child}
			for c := n.child; c != nil; c = c.next {
				c.parent = n
			}
			cur.parent = old
			n.parent = old
			old.md = nil
			old.child = cur
			cur.next = n
		}
		cur = next
	}
}
