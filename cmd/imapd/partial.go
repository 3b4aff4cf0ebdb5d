package main

import (
	"github.com/emersion/go-imap/v2"

	"gyrus/lib/imapwire"
)

// PARTIAL (RFC 9394), which Cyrus 3.6.1 lacks: paged results.
//
//   - SEARCH/UID SEARCH RETURN (PARTIAL first:last) answers
//     "PARTIAL (first:last set-or-NIL)" in the ESEARCH response: the
//     messages at positions first..last of the ascending result, or,
//     with a negative range, counted from its end (-1 is the last match;
//     RFC 9394 3.1). COUNT, MIN and MAX still describe the whole result;
//     ALL may be given as well (as later Cyrus releases accept it). SAVE
//     with PARTIAL (and neither ALL nor COUNT) would save the page (RFC
//     9394 3.2's table of "$" values), but SAVE needs SEARCHRES, which
//     Gyrus does not offer (nor Cyrus 3.6.1): the parser refuses it.
//   - SORT RETURN (PARTIAL ...) (ESORT, RFC 5267 as updated by RFC 9394)
//     pages through the sorted order.
//   - FETCH/UID FETCH ... (PARTIAL first:last) fetches only the messages
//     at those positions of the sequence set's members (RFC 9394 3.3);
//     the members outside the page are treated as not asked for.
//
// A range's two ends may come in either order; the answer echoes them
// lower first (as later Cyrus releases do), keeping the sign.

// partialGrammar turns on the parser's PARTIAL return option and FETCH
// modifier.
const partialGrammar = imapwire.ExtPartial

// partialBounds returns the range's positions, 1-based, lo <= hi, and
// whether they count from the end.
func partialBounds(r *imapwire.PartialRange) (lo, hi int64, fromEnd bool) {
	lo, hi = r.First, r.Last
	if lo < 0 {
		lo, hi, fromEnd = -lo, -hi, true
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	return lo, hi, fromEnd
}

// partialEcho is the range as the answer states it.
func partialEcho(r *imapwire.PartialRange) imapwire.PartialRange {
	lo, hi, fromEnd := partialBounds(r)
	if fromEnd {
		return imapwire.PartialRange{First: -lo, Last: -hi}
	}
	return imapwire.PartialRange{First: lo, Last: hi}
}

// partialWindow returns the elements of list (in its order) at the
// positions r names; nil when none is there.
func partialWindow(list []uint32, r *imapwire.PartialRange) []uint32 {
	if r == nil {
		return list
	}
	lo, hi, fromEnd := partialBounds(r)
	n := int64(len(list))
	from, to := lo-1, hi
	if fromEnd {
		from, to = n-hi, n-lo+1
	}
	from = max(from, 0)
	to = min(to, n)
	if from >= to {
		return nil
	}
	return list[from:to]
}

// partialData is the PARTIAL return data of a result given in its order
// (ascending for SEARCH, the sort order for SORT).
func partialData(list []uint32, r *imapwire.PartialRange, uid bool) *imapwire.ESearchPartial {
	d := &imapwire.ESearchPartial{Range: partialEcho(r)}
	if w := partialWindow(list, r); len(w) > 0 {
		d.UIDs = orderedSet(w, uid)
	}
	return d
}

// orderedSet writes numbers as a set in their order, ascending runs
// joined into ranges ("4:5,2:3,1,6"), as ESORT's ALL does.
func orderedSet(nums []uint32, uid bool) imap.NumSet {
	var seqs imap.SeqSet
	var uids imap.UIDSet
	for i := 0; i < len(nums); {
		j := i + 1
		for j < len(nums) && nums[j] == nums[j-1]+1 {
			j++
		}
		a, b := nums[i], nums[j-1]
		seqs = append(seqs, imap.SeqRange{Start: a, Stop: b})
		uids = append(uids, imap.UIDRange{Start: imap.UID(a), Stop: imap.UID(b)})
		i = j
	}
	if uid {
		return uids
	}
	return seqs
}
