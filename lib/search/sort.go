package search

// SORT (RFC 5256, RFC 5957 SORT=DISPLAY) as Cyrus 3.6.1's
// index_msgdata_load and index_sort_compare do it.

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"gyrus/lib/charset"
	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
)

// msgData is what sorting and threading know of one message.
type msgData struct {
	seq, uid      uint32
	internalDate  int64
	sentDate      int64 // gmtime (0 if the Date header gave none)
	size          uint32
	modseq        uint64
	createdModSeq uint64
	guid          [20]byte
	from, to, cc  *string // first address's mailbox (nil: none)
	xsubj         string
	refwd         int
	displayFrom   *string
	displayTo     *string
	annot         []string
	spam          int64
	hasFlag       uint32
	msgid         string
	refs          []string
}

type sortKey struct {
	key     string
	reverse bool
	args    []string
	slot    int    // hasflag: the user flag's slot, -1 if none
	sys     uint32 // hasflag: the system flag's bit (the record's, \Seen too)
}

// Sort orders the matches of a search (res) by the SORT criteria and
// returns their sequence numbers and UIDs in that order. Unknown keys are
// an error (imapwire only passes the ones Cyrus parses).
func Sort(src Source, crit []imapwire.SortCriterion, res *Result, opt *Options) (seqs, uids []uint32, err error) {
	if opt == nil {
		opt = &Options{}
	}
	keys := make([]sortKey, 0, len(crit)+1)
	for _, c := range crit {
		k := sortKey{key: strings.ToLower(c.Key), reverse: c.Reverse, args: c.Args, slot: -1}
		switch k.key {
		case "arrival", "cc", "date", "displayfrom", "displayto", "from", "size",
			"subject", "to", "annotation", "modseq", "uid", "folder", "relevancy", "spamscore":
		case "hasflag":
			// mailbox_record_hasflag: a system flag by name (\Seen is the
			// record's bit, not the session's), else a user flag's slot
			if len(c.Args) > 0 && strings.HasPrefix(c.Args[0], `\`) {
				switch strings.ToLower(c.Args[0]) {
				case `\answered`:
					k.sys = index.FlagAnswered
				case `\deleted`:
					k.sys = index.FlagDeleted
				case `\draft`:
					k.sys = index.FlagDraft
				case `\flagged`:
					k.sys = index.FlagFlagged
				case `\seen`:
					k.sys = index.FlagSeen
				}
			} else if len(c.Args) > 0 {
				for i, f := range src.UserFlags() {
					if f != "" && strings.EqualFold(f, c.Args[0]) {
						k.slot = i
					}
				}
			}
		default:
			return nil, nil, fmt.Errorf("search: sort key %q is not supported", c.Key)
		}
		keys = append(keys, k)
	}
	keys = append(keys, sortKey{key: "sequence"})
	md := loadData(src, res, keys, opt)
	sort.Slice(md, func(i, j int) bool { return compareMsg(md[i], md[j], keys) < 0 })
	for _, m := range md {
		seqs = append(seqs, m.seq)
		uids = append(uids, m.uid)
	}
	return seqs, uids, nil
}

func needs(keys []sortKey, names ...string) bool {
	for _, k := range keys {
		for _, n := range names {
			if k.key == n {
				return true
			}
		}
	}
	return false
}

// loadData is index_msgdata_load for the matches.
func loadData(src Source, res *Result, keys []sortKey, opt *Options) []*msgData {
	flags := opt.flags()
	wantCache := needs(keys, "cc", "from", "subject", "to", "displayfrom", "displayto", "ids", "spamscore")
	out := make([]*msgData, 0, len(res.Seqs))
	// one allocation for all the records' data, not one per message
	all := make([]msgData, len(res.Seqs))
	// cache entries a window at a time (the matches are in ascending
	// order, and so mostly are their entries); what is kept of an
	// entry is copied out before the next
	rd := newReader(src)
	for i, seq := range res.Seqs {
		rec, err := src.Record(seq)
		md := &all[i]
		md.seq = seq
		out = append(out, md)
		if err != nil {
			continue
		}
		md.uid, md.internalDate, md.size = rec.UID, int64(rec.InternalDate), rec.Size
		md.modseq, md.createdModSeq, md.guid = rec.ModSeq, rec.CreatedModSeq, rec.GUID
		if needs(keys, "date") {
			md.sentDate = int64(rec.GMTime)
		}
		for i, k := range keys {
			switch k.key {
			case "hasflag":
				if (k.slot >= 0 && rec.HasUserFlag(k.slot) || rec.SystemFlags&k.sys != 0) && i < 31 {
					md.hasFlag |= 1 << i
				}
			case "annotation":
				// annotatemore_msg_lookup: the value, "" when none
				v := ""
				if opt.Annotation != nil && len(k.args) >= 2 {
					if vals := opt.Annotation(rec.UID, k.args[0], k.args[1]); len(vals) > 0 {
						v = string(vals[0])
					}
				}
				md.annot = append(md.annot, v)
			}
		}
		if !wantCache {
			continue
		}
		ce, err := rd.cache(seq, &rec)
		if err != nil {
			continue
		}
		for _, k := range keys {
			switch k.key {
			case "cc":
				md.cc = localPart(ce.Item(index.CacheCc))
			case "from":
				md.from = localPart(ce.Item(index.CacheFrom))
			case "to":
				md.to = localPart(ce.Item(index.CacheTo))
			case "subject":
				md.xsubj, md.refwd = baseSubject(ce.Item(index.CacheSubject), flags)
			case "displayfrom":
				md.displayFrom = displayName(ce.Item(index.CacheFrom))
			case "displayto":
				md.displayTo = displayName(ce.Item(index.CacheTo))
			case "ids":
				md.msgid, md.refs = messageIDs(&ce, seq)
			case "spamscore":
				raw := pruneHeader(ce.Item(index.CacheHeaders), "X-Spam-score", opt.maxHeaderLines())
				if i := bytes.IndexByte(raw, ':'); i >= 0 {
					raw = raw[i+1:]
				}
				md.spam = int64(int32(atof(string(raw))*100 + 0.5))
			}
		}
	}
	return out
}

// localPart is get_localpart_addr: the mailbox of the first address of a
// cached FROM/TO/CC item.
func localPart(item []byte) *string {
	for _, a := range message.ParseSearchAddrs(item) {
		if a.GroupEnd {
			continue
		}
		s := a.Mailbox
		if a.GroupStart {
			s = a.Name
		}
		return &s
	}
	return nil
}

// displayName is get_displayname (RFC 5957): the first address's display
// name in search form without options, else MAILBOX@DOMAIN upper-cased.
func displayName(item []byte) *string {
	for _, a := range message.ParseSearchAddrs(item) {
		if a.GroupEnd {
			continue
		}
		var s string
		switch {
		case a.Name != "" && !a.GroupStart:
			s = string(charset.SearchForm([]byte(a.Name), 0))
		case a.Domain != "" && a.Mailbox != "":
			s = strings.ToUpper(a.Mailbox + "@" + a.Domain)
		default:
			m := a.Mailbox
			if a.GroupStart {
				m = a.Name
			}
			s = strings.ToUpper(m)
		}
		return &s
	}
	return nil
}

func strcmpSafe(a, b *string) int {
	x, y := "", ""
	if a != nil {
		x = *a
	}
	if b != nil {
		y = *b
	}
	return strings.Compare(x, y)
}

func num[T int64 | uint32 | uint64 | int](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareMsg is index_sort_compare: the first key that differs decides,
// reversed if that key is; the sequence number ends every list.
func compareMsg(a, b *msgData, keys []sortKey) int {
	ret, ann := 0, 0
	for i, k := range keys {
		switch k.key {
		case "sequence":
			ret = num(a.seq, b.seq)
		case "arrival":
			ret = num(a.internalDate, b.internalDate)
		case "cc":
			ret = strcmpSafe(a.cc, b.cc)
		case "date":
			d1, d2 := a.sentDate, b.sentDate
			if d1 == 0 {
				d1 = a.internalDate
			}
			if d2 == 0 {
				d2 = b.internalDate
			}
			ret = num(d1, d2)
		case "from":
			ret = strcmpSafe(a.from, b.from)
		case "size":
			ret = num(a.size, b.size)
		case "subject":
			ret = strings.Compare(a.xsubj, b.xsubj)
		case "to":
			ret = strcmpSafe(a.to, b.to)
		case "modseq":
			ret = num(a.modseq, b.modseq)
		case "displayfrom":
			ret = strcmpSafe(a.displayFrom, b.displayFrom)
		case "displayto":
			ret = strcmpSafe(a.displayTo, b.displayTo)
		case "uid":
			ret = num(a.uid, b.uid)
		case "spamscore":
			ret = num(a.spam, b.spam)
		case "annotation":
			ret = strings.Compare(a.annot[ann], b.annot[ann])
			ann++
		case "hasflag":
			if i < 31 {
				ret = num(a.hasFlag&(1<<i), b.hasFlag&(1<<i))
			}
		}
		if ret != 0 {
			if k.reverse {
				return -ret
			}
			return ret
		}
		if k.key == "sequence" {
			break
		}
	}
	return bytes.Compare(a.guid[:], b.guid[:])
}
