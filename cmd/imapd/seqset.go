package main

import (
	"sort"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"

	"gyrus/lib/mailbox"
)

// Sequence sets (RFC 9051 9 "sequence-set"), resolved against the
// session's view as Cyrus's _parse_sequence does: "*" is the number of
// messages the session knows (EXISTS) for sequence numbers and the
// mailbox's last UID for UIDs; "a:b" with a > b is "b:a"; numbers past
// the end match nothing.

// setRanges returns the ranges of set with "*" replaced by star.
func setRanges(set imap.NumSet, star uint32) [][2]uint32 {
	var out [][2]uint32
	add := func(a, b uint32) {
		if a == 0 {
			a = star
		}
		if b == 0 {
			b = star
		}
		if a > b {
			a, b = b, a
		}
		out = append(out, [2]uint32{a, b})
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

// setContains reports whether n is in set ("*" = star).
func setContains(set imap.NumSet, n, star uint32) bool {
	for _, r := range setRanges(set, star) {
		if r[0] <= n && n <= r[1] {
			return true
		}
	}
	return false
}

// matchSeqs returns, in ascending order, the sequence numbers of the
// messages set names (UIDs when uid, the saved search result for "$").
func (s *Session) matchSeqs(set imap.NumSet, uid bool) []uint32 {
	v := s.sel.view
	if imap.IsSearchRes(set) {
		out := make([]uint32, 0, len(s.searchRes))
		for _, u := range s.searchRes {
			if seq, ok := v.Seq(u); ok {
				out = append(out, seq)
			}
		}
		return out
	}
	var out []uint32
	if !uid {
		n := v.Len()
		for _, r := range setRanges(set, n) {
			lo, hi := r[0], r[1]
			if hi > n {
				hi = n
			}
			for q := lo; q >= 1 && q <= hi; q++ {
				out = append(out, q)
			}
		}
	} else {
		for _, r := range setRanges(set, v.Header().LastUID) {
			lo, hi := v.UIDRange(r[0], r[1])
			for q := lo; q <= hi; q++ {
				out = append(out, q)
			}
		}
	}
	return sortedUnique(out)
}

func sortedUnique(a []uint32) []uint32 {
	if len(a) < 2 {
		return a
	}
	sorted := true
	for i := 1; i < len(a); i++ {
		if a[i] <= a[i-1] {
			sorted = false
			break
		}
	}
	if sorted {
		return a
	}
	sort.Slice(a, func(i, j int) bool { return a[i] < a[j] })
	out := a[:1]
	for _, x := range a[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

// uidSetOf builds a compact UID set from ascending UIDs.
func uidSetOf(uids []uint32) imap.UIDSet {
	var set imap.UIDSet
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		set = append(set, imap.UIDRange{Start: imap.UID(uids[i]), Stop: imap.UID(uids[j])})
		i = j + 1
	}
	return set
}

// pruneUIDs drops from a saved search result the UIDs no longer in the
// view (RFC 5182 2.1: expunged messages leave $).
func pruneUIDs(uids []uint32, v *mailbox.View) []uint32 {
	out := uids[:0]
	for _, u := range uids {
		if _, ok := v.Seq(u); ok {
			out = append(out, u)
		}
	}
	return out
}

// uidSet is a parsed Cyrus sequence string ("1:5,7,9:*") of UIDs, as the
// seen database stores it.
type uidSet struct {
	r [][2]uint32
}

// parseUIDSet reads a sequence string; "*" stands for star (or the
// largest number when star is 0).
func parseUIDSet(s string, star uint32) uidSet {
	var out uidSet
	if s == "" {
		return out
	}
	num := func(t string) (uint32, bool) {
		if t == "*" {
			if star == 0 {
				return ^uint32(0), true
			}
			return star, true
		}
		n, err := strconv.ParseUint(t, 10, 32)
		return uint32(n), err == nil
	}
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(part, ":")
		lo, ok1 := num(a)
		hi := lo
		ok2 := true
		if isRange {
			hi, ok2 = num(b)
		}
		if !ok1 || !ok2 {
			continue
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		out.r = append(out.r, [2]uint32{lo, hi})
	}
	sort.Slice(out.r, func(i, j int) bool { return out.r[i][0] < out.r[j][0] })
	return out
}

func (u uidSet) has(n uint32) bool {
	i := sort.Search(len(u.r), func(i int) bool { return u.r[i][1] >= n })
	return i < len(u.r) && u.r[i][0] <= n
}

func (u uidSet) max() uint32 {
	m := uint32(0)
	for _, r := range u.r {
		if r[1] > m && r[1] != ^uint32(0) {
			m = r[1]
		}
	}
	return m
}
