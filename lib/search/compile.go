package search

// Turning an imapwire search program into the tree that is evaluated per
// message, the way Cyrus 3.6.1's imapparse.c get_search_criterion builds
// its search_expr (and search_expr.c internalises it).

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"gyrus/lib/charset"
	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox/index"
)

type op uint8

const (
	opTrue op = iota
	opFalse
	opAnd
	opOr
	opNot
	opSeq       // ranges over sequence numbers
	opUID       // ranges over UIDs
	opSysFlag   // record system flag bit (mask)
	opSeen      // the user's \Seen
	opRecent    // the session's \Recent
	opKeyword   // user flag slot (slot < 0: flag unknown, never matches)
	opInternal  // internaldate in [lo, hi)
	opSent      // sentdate in [lo, hi)
	opSaved     // savedate (internaldate if none) in [lo, hi)
	opSizeGT    // size > n
	opSizeLT    // size < n
	opModSeq    // modseq >= n
	opEmailID   // "M" + GUID prefix == text
	opThreadID  // "T" + cid == text
	opCID       // cid == n
	opAddr      // cached FROM/TO/CC/BCC item (field = item number)
	opSubject   // cached SUBJECT item
	opMessageID // envelope Message-ID
	opHeader    // HEADER field
	opRawField  // a field's raw value (DELIVEREDTO, XLISTID)
	opBody      // BODY / TEXT / XATTACHMENTBODY
	opContentType
	opSpam // X-Spam-score *100 >= n (ge) or < n
	opAnnotation
)

// Costs, cheapest first: AND and OR try their cheap children first.
const (
	costIndex = iota
	costCache
	costHeader
	costBody
)

type node struct {
	op    op
	kids  []*node
	cost  int
	lo    int64 // date ranges, numbers
	hi    int64
	n     uint64
	ge    bool
	set   []span
	slot  int
	item  int
	text  string // the string as kept (empty tests), field name, ids
	pat   *charset.Pattern
	srch  *charset.Searcher // pat's matcher, reused from message to message
	skip  bool              // BODY: skip the top-level header
	names []string          // opHeader, opRawField: header names tried in turn
	// cached[i]: Cyrus keeps names[i] in the HEADERS cache item
	cached []bool
	value  []byte // ANNOTATION value (nil = NIL)
	attr   string
}

type span struct{ lo, hi uint32 }

func contains(set []span, n uint32) bool {
	for _, s := range set {
		if n >= s.lo && n <= s.hi {
			return true
		}
	}
	return false
}

// compiler holds what compiling needs.
type compiler struct {
	src       Source
	opt       *Options
	flags     charset.Flags
	charset   string
	now       time.Time
	loc       *time.Location
	userFlags *[index.MaxUserFlags]string
	usesMod   bool
	fuzzy     int
}

// ErrBadCharset is returned for a CHARSET Cyrus does not know. Cyrus's
// parser answers it with BAD "Unrecognized character set" (give the
// parser KnownCharset), so imapd sees it only without that check.
var ErrBadCharset = charset.ErrUnknownCharset

// ErrFuzzy is returned for a program with FUZZY on a string key. Cyrus
// 3.6.1 hands those to a search engine only; without one (brute force)
// the query fails and imapd answers OK with no untagged SEARCH, SORT or
// THREAD response at all: the session should do the same.
var ErrFuzzy = errors.New("search: FUZZY needs a search engine")

// KnownCharset reports whether Cyrus 3.6.1 accepts a SEARCH/SORT/THREAD
// CHARSET name: for imapwire.Options.KnownCharset.
func KnownCharset(name string) bool { return charset.Known(name) }

func (c *compiler) compile(k *imapwire.SearchKey) (*node, error) {
	switch k.Op {
	case imapwire.SearchAnd:
		n := &node{op: opAnd}
		for _, sub := range k.Keys {
			s, err := c.compile(sub)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, s)
		}
		return c.finish(n), nil
	case imapwire.SearchOr, imapwire.SearchNot:
		n := &node{op: opOr}
		if k.Op == imapwire.SearchNot {
			n.op = opNot
		}
		for _, sub := range k.Keys {
			s, err := c.compile(sub)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, s)
		}
		return c.finish(n), nil
	case imapwire.SearchFuzzy:
		// RFC 6203: FUZZY of a key that is not a string is the key itself.
		c.fuzzy++
		defer func() { c.fuzzy-- }()
		n := &node{op: opAnd}
		for _, sub := range k.Keys {
			s, err := c.compile(sub)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, s)
		}
		return c.finish(n), nil
	case imapwire.SearchAll:
		return &node{op: opTrue}, nil
	case imapwire.SearchSeq:
		if imap.IsSearchRes(k.Set) {
			return c.searchRes(), nil
		}
		return &node{op: opSeq, set: resolve(k.Set, c.src.Len())}, nil
	case imapwire.SearchUID:
		if imap.IsSearchRes(k.Set) {
			return c.searchRes(), nil
		}
		return &node{op: opUID, set: resolve(k.Set, c.src.Header().LastUID)}, nil
	case imapwire.SearchAnswered:
		return &node{op: opSysFlag, n: uint64(index.FlagAnswered)}, nil
	case imapwire.SearchDeleted:
		return &node{op: opSysFlag, n: uint64(index.FlagDeleted)}, nil
	case imapwire.SearchDraft:
		return &node{op: opSysFlag, n: uint64(index.FlagDraft)}, nil
	case imapwire.SearchFlagged:
		return &node{op: opSysFlag, n: uint64(index.FlagFlagged)}, nil
	case imapwire.SearchUnanswered:
		return not(&node{op: opSysFlag, n: uint64(index.FlagAnswered)}), nil
	case imapwire.SearchUndeleted:
		return not(&node{op: opSysFlag, n: uint64(index.FlagDeleted)}), nil
	case imapwire.SearchUndraft:
		return not(&node{op: opSysFlag, n: uint64(index.FlagDraft)}), nil
	case imapwire.SearchUnflagged:
		return not(&node{op: opSysFlag, n: uint64(index.FlagFlagged)}), nil
	case imapwire.SearchSeen:
		return &node{op: opSeen}, nil
	case imapwire.SearchUnseen:
		return not(&node{op: opSeen}), nil
	case imapwire.SearchRecent:
		return &node{op: opRecent}, nil
	case imapwire.SearchOld:
		return not(&node{op: opRecent}), nil
	case imapwire.SearchNew:
		return &node{op: opAnd, kids: []*node{not(&node{op: opSeen}), {op: opRecent}}}, nil
	case imapwire.SearchKeyword, imapwire.SearchUnkeyword:
		n := &node{op: opKeyword, slot: c.flagSlot(string(k.Flag))}
		if k.Op == imapwire.SearchUnkeyword {
			return not(n), nil
		}
		return n, nil
	case imapwire.SearchBefore, imapwire.SearchOn, imapwire.SearchSince,
		imapwire.SearchSentBefore, imapwire.SearchSentOn, imapwire.SearchSentSince,
		imapwire.SearchSavedBefore, imapwire.SearchSavedOn, imapwire.SearchSavedSince:
		return c.date(k), nil
	case imapwire.SearchOlder:
		// RFC 5032: internaldate <= now - n
		return &node{op: opInternal, lo: math.MinInt64, hi: c.now.Unix() - int64(k.Num) + 1}, nil
	case imapwire.SearchYounger:
		return &node{op: opInternal, lo: c.now.Unix() - int64(k.Num), hi: math.MaxInt64}, nil
	case imapwire.SearchLarger:
		return &node{op: opSizeGT, n: k.Num}, nil
	case imapwire.SearchSmaller:
		return &node{op: opSizeLT, n: k.Num}, nil
	case imapwire.SearchModSeq:
		c.usesMod = true
		return &node{op: opModSeq, n: k.Num}, nil
	case imapwire.SearchSaveDateSupported:
		// savedate exists from index version 15 on
		if c.src.Header().MinorVersion >= 15 {
			return &node{op: opTrue}, nil
		}
		return &node{op: opFalse}, nil
	case imapwire.SearchEmailID:
		return &node{op: opEmailID, text: k.Text}, nil
	case imapwire.SearchThreadID:
		return &node{op: opThreadID, text: k.Text}, nil
	case imapwire.SearchCID:
		v, err := strconv.ParseUint(k.Text, 16, 64)
		if err != nil {
			return &node{op: opFalse}, nil
		}
		return &node{op: opCID, n: v}, nil
	case imapwire.SearchFrom:
		return c.str(&node{op: opAddr, item: index.CacheFrom, cost: costCache}, k.Text)
	case imapwire.SearchTo:
		return c.str(&node{op: opAddr, item: index.CacheTo, cost: costCache}, k.Text)
	case imapwire.SearchCc:
		return c.str(&node{op: opAddr, item: index.CacheCc, cost: costCache}, k.Text)
	case imapwire.SearchBcc:
		return c.str(&node{op: opAddr, item: index.CacheBcc, cost: costCache}, k.Text)
	case imapwire.SearchSubject:
		return c.str(&node{op: opSubject, cost: costCache}, k.Text)
	case imapwire.SearchHeader:
		return c.header(k.Field, k.Text)
	case imapwire.SearchBody:
		return c.str(&node{op: opBody, skip: true, cost: costBody}, k.Text)
	case imapwire.SearchText, imapwire.SearchAttachmentBody:
		return c.str(&node{op: opBody, cost: costBody}, k.Text)
	case imapwire.SearchDeliveredTo:
		return c.str(&node{op: opRawField, names: []string{"X-Original-Delivered-To", "X-Delivered-To"}, cost: costHeader}, k.Text)
	case imapwire.SearchListID:
		return c.str(&node{op: opRawField, names: []string{"list-id", "mailing-list"}, cost: costHeader}, k.Text)
	case imapwire.SearchContentType:
		return c.str(&node{op: opContentType, cost: costCache}, k.Text)
	case imapwire.SearchSpamAbove, imapwire.SearchSpamBelow:
		v := atof(k.Text)
		return &node{op: opSpam, ge: k.Op == imapwire.SearchSpamAbove, lo: int64(int32(v*100 + 0.5)), cost: costHeader,
			names: []string{"X-Spam-score"}, cached: []bool{cachedHeader("X-Spam-score")}}, nil
	case imapwire.SearchAnnotation:
		return &node{op: opAnnotation, text: k.Field, attr: k.Attr, value: k.Value, cost: costHeader}, nil
	}
	return nil, fmt.Errorf("search: %s is not supported", k.Op)
}

// finish computes a compound node's cost and orders its children
// cheapest first (the order does not change the result).
func (c *compiler) finish(n *node) *node {
	for _, k := range n.kids {
		if k.cost > n.cost {
			n.cost = k.cost
		}
	}
	if len(n.kids) > 1 {
		kids := n.kids
		sorted := make([]*node, 0, len(kids))
		for cost := costIndex; cost <= costBody; cost++ {
			for _, k := range kids {
				if k.cost == cost {
					sorted = append(sorted, k)
				}
			}
		}
		n.kids = sorted
	}
	return n
}

func not(n *node) *node { return &node{op: opNot, kids: []*node{n}, cost: n.cost} }

func (c *compiler) searchRes() *node {
	var set []span
	for _, u := range c.opt.SearchRes {
		set = append(set, span{u, u})
	}
	return &node{op: opUID, set: set}
}

// resolve turns a parsed set into inclusive ranges, "*" being max.
func resolve(set imap.NumSet, max uint32) []span {
	var out []span
	add := func(a, b uint32) {
		if a == 0 {
			a = max
		}
		if b == 0 {
			b = max
		}
		if a > b {
			a, b = b, a
		}
		out = append(out, span{a, b})
	}
	switch s := set.(type) {
	case imap.SeqSet:
		for _, r := range s {
			add(r.Start, r.Stop)
		}
	case imap.UIDSet:
		for _, r := range s {
			add(uint32(r.Start), uint32(r.Stop))
		}
	}
	return out
}

// flagSlot is mailbox_user_flag(): the slot of a user flag, compared
// without regard to case; -1 if the mailbox has no such flag.
func (c *compiler) flagSlot(name string) int {
	for i, f := range c.userFlags {
		if f != "" && strings.EqualFold(f, name) {
			return i
		}
	}
	return -1
}

// date builds the comparison of get_search_date's start and end of a day
// in the server's time zone (mktime) with a record date.
func (c *compiler) date(k *imapwire.SearchKey) *node {
	y, m, d := k.Date.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, c.loc).Unix()
	end := time.Date(y, m, d, 24, 0, 0, 0, c.loc).Unix()
	n := &node{}
	switch k.Op {
	case imapwire.SearchBefore, imapwire.SearchOn, imapwire.SearchSince:
		n.op = opInternal
	case imapwire.SearchSentBefore, imapwire.SearchSentOn, imapwire.SearchSentSince:
		n.op = opSent
	default:
		n.op = opSaved
	}
	switch k.Op {
	case imapwire.SearchBefore, imapwire.SearchSentBefore, imapwire.SearchSavedBefore:
		n.lo, n.hi = math.MinInt64, start
	case imapwire.SearchOn, imapwire.SearchSentOn, imapwire.SearchSavedOn:
		n.lo, n.hi = start, end
	default:
		n.lo, n.hi = start, math.MaxInt64
	}
	return n
}

// str sets up a string match: the client's string decoded from the
// command's CHARSET with only the white space rules (kept for Cyrus's
// empty-string tests), then in search form.
func (c *compiler) str(n *node, s string) (*node, error) {
	var kept []byte
	if c.fuzzy > 0 && fuzzable(n) {
		return nil, ErrFuzzy
	} else {
		var err error
		kept, err = charset.Convert([]byte(s), c.charset, c.flags|charset.KeepCase)
		if err != nil {
			return nil, err
		}
	}
	form, _ := charset.Convert(kept, "utf-8", c.flags&^charset.KeepCase)
	n.text = string(kept)
	n.pat = charset.NewPattern(form)
	n.srch = charset.NewSearcher(n.pat, c.flags)
	for _, name := range n.names {
		n.cached = append(n.cached, cachedHeader(name))
	}
	return n, nil
}

func fuzzable(n *node) bool {
	switch n.op {
	case opAddr, opSubject, opHeader, opBody, opRawField, opContentType:
		return true
	}
	return false
}

// header is HEADER: some fields are the cached items (search_attr_find_field).
func (c *compiler) header(field, value string) (*node, error) {
	switch strings.ToLower(field) {
	case "from":
		return c.str(&node{op: opAddr, item: index.CacheFrom, cost: costCache}, value)
	case "to":
		return c.str(&node{op: opAddr, item: index.CacheTo, cost: costCache}, value)
	case "cc":
		return c.str(&node{op: opAddr, item: index.CacheCc, cost: costCache}, value)
	case "bcc":
		return c.str(&node{op: opAddr, item: index.CacheBcc, cost: costCache}, value)
	case "subject":
		return c.str(&node{op: opSubject, cost: costCache}, value)
	case "message-id":
		n, err := c.str(&node{op: opMessageID, cost: costCache}, value)
		if n != nil {
			n.op = opMessageID
		}
		return n, err
	}
	cost := costHeader
	if cachedHeader(field) {
		cost = costCache
	}
	return c.str(&node{op: opHeader, names: []string{field}, cost: cost}, value)
}

// atof is C's atof() for the spam score: a leading decimal number, 0 if
// none.
func atof(s string) float64 {
	s = strings.TrimLeft(s, " \t\r\n\v\f")
	end := 0
	seenDigit, seenDot := false, false
	if end < len(s) && (s[end] == '+' || s[end] == '-') {
		end++
	}
	for end < len(s) {
		c := s[end]
		if c >= '0' && c <= '9' {
			seenDigit = true
		} else if c == '.' && !seenDot {
			seenDot = true
		} else {
			break
		}
		end++
	}
	if !seenDigit {
		return 0
	}
	v, err := strconv.ParseFloat(s[:end], 64)
	if err != nil {
		return 0
	}
	return v
}

var _ = hex.EncodeToString
