package imapwire

import (
	"cmp"
	"math"
	"slices"

	"github.com/emersion/go-imap/v2"
)

// ParseNumSet parses a sequence set the way Cyrus accepts it
// (imparse_issequence and seqset_parse): comma-separated numbers or ranges
// "a:b", where a number is digits or "*". Unlike RFC 9051's nz-number,
// Cyrus accepts 0 (it matches nothing, and "0:n" is "1:n") and numbers
// beyond 2^32-1 (wrapped modulo 2^32, as its unsigned arithmetic does). With searchRes, "$" alone is
// RFC 5182's saved search result (imap.SearchRes()).
//
// The result is an imap.UIDSet when uid is set, else an imap.SeqSet,
// normalised (sorted, merged), "*" represented as 0 as go-imap does. ok is
// false for a malformed set.
func ParseNumSet(s []byte, uid, searchRes bool) (set imap.NumSet, ok bool) {
	if searchRes && len(s) == 1 && s[0] == '$' {
		return imap.SearchRes(), true
	}
	ranges, ok := parseRanges(s)
	if !ok {
		return nil, false
	}
	slices.SortFunc(ranges, func(a, b [2]uint32) int { return cmp.Compare(rangeKey(a), rangeKey(b)) })
	if uid {
		var u imap.UIDSet
		for _, r := range ranges {
			u.AddRange(imap.UID(r[0]), imap.UID(r[1]))
		}
		if u == nil {
			u = imap.UIDSet{}
		}
		return u, true
	}
	var q imap.SeqSet
	for _, r := range ranges {
		q.AddRange(r[0], r[1])
	}
	if q == nil {
		q = imap.SeqSet{}
	}
	return q, true
}

// rangeKey orders ranges by their lower end, "*" (0) last.
func rangeKey(r [2]uint32) uint64 {
	lo, hi := r[0], r[1]
	if lo == 0 {
		lo, hi = hi, lo
	}
	if lo == 0 {
		return math.MaxUint64
	}
	if hi != 0 && hi < lo {
		lo = hi
	}
	return uint64(lo)
}

const seqStar = math.MaxUint64

// parseRanges validates s and returns its ranges with "*" as 0, numbers 0
// handled as Cyrus does (a lone 0 dropped, 0 in a range raised to 1).
func parseRanges(s []byte) ([][2]uint32, bool) {
	if len(s) == 0 {
		return nil, false
	}
	var out [][2]uint32
	i := 0
	num := func() (uint64, bool) {
		if i < len(s) && s[i] == '*' {
			i++
			return seqStar, true
		}
		start := i
		// Cyrus's read_num accumulates in an unsigned int: numbers beyond
		// 2^32-1 wrap (1:4294967296 is 1:0, which is 1:1).
		var n uint32
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			n = n*10 + uint32(s[i]-'0')
			i++
		}
		if i == start {
			return 0, false
		}
		return uint64(n), true
	}
	for {
		a, ok := num()
		if !ok {
			return nil, false
		}
		b := a
		if i < len(s) && s[i] == ':' {
			i++
			if b, ok = num(); !ok {
				return nil, false
			}
		}
		if r, keep := toRange(a, b); keep {
			out = append(out, r)
		}
		if i == len(s) {
			return out, true
		}
		if s[i] != ',' {
			return nil, false
		}
		i++
	}
}

func toRange(a, b uint64) ([2]uint32, bool) {
	conv := func(v uint64) uint32 {
		if v == seqStar {
			return 0
		}
		return uint32(v)
	}
	switch {
	case a == 0 && b == 0:
		return [2]uint32{}, false
	case a == 0:
		a = 1
	case b == 0:
		b = 1
	}
	return [2]uint32{conv(a), conv(b)}, true
}

// getSeqSet reads a word and parses it as a sequence set.
func (p *Parser) numSet(word []byte, uid bool) (imap.NumSet, bool) {
	return ParseNumSet(word, uid, p.opt.Ext&ExtSearchRes != 0)
}
