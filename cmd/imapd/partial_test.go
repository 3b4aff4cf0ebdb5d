package main

import (
	"reflect"
	"testing"

	"github.com/emersion/go-imap/v2"

	"gyrus/lib/imapwire"
)

func TestPartialWindow(t *testing.T) {
	list := []uint32{10, 20, 30, 40, 50}
	for _, tc := range []struct {
		first, last int64
		want        []uint32
		echo        imapwire.PartialRange
	}{
		{1, 2, []uint32{10, 20}, imapwire.PartialRange{First: 1, Last: 2}},
		{2, 1, []uint32{10, 20}, imapwire.PartialRange{First: 1, Last: 2}}, // either order
		{4, 100, []uint32{40, 50}, imapwire.PartialRange{First: 4, Last: 100}},
		{6, 9, nil, imapwire.PartialRange{First: 6, Last: 9}},
		{-1, -1, []uint32{50}, imapwire.PartialRange{First: -1, Last: -1}},
		{-1, -2, []uint32{40, 50}, imapwire.PartialRange{First: -1, Last: -2}},
		{-3, -2, []uint32{30, 40}, imapwire.PartialRange{First: -2, Last: -3}},
		{-1, -30, list, imapwire.PartialRange{First: -1, Last: -30}},
		{-6, -9, nil, imapwire.PartialRange{First: -6, Last: -9}},
	} {
		r := &imapwire.PartialRange{First: tc.first, Last: tc.last}
		if got := partialWindow(list, r); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%d:%d: %v, want %v", tc.first, tc.last, got, tc.want)
		}
		if got := partialEcho(r); got != tc.echo {
			t.Errorf("%d:%d: echo %v, want %v", tc.first, tc.last, got, tc.echo)
		}
	}
	if got := partialWindow(list, nil); len(got) != 5 {
		t.Errorf("no range: %v", got)
	}
	d := partialData([]uint32{4, 5, 2, 3, 1}, &imapwire.PartialRange{First: 1, Last: 4}, true)
	if got := d.UIDs.String(); got != "4:5,2:3" {
		t.Errorf("sorted page %q", got)
	}
	if d := partialData(nil, &imapwire.PartialRange{First: 1, Last: 4}, false); d.UIDs != nil {
		t.Errorf("empty page %v, want NIL", d.UIDs)
	}
}

func TestUsesSearchRes(t *testing.T) {
	plain := &imapwire.SearchKey{Op: imapwire.SearchAnd, Keys: []*imapwire.SearchKey{{Op: imapwire.SearchSeen}}}
	dollar := &imapwire.SearchKey{Op: imapwire.SearchAnd, Keys: []*imapwire.SearchKey{
		{Op: imapwire.SearchNot, Keys: []*imapwire.SearchKey{{Op: imapwire.SearchUID, Set: imap.SearchRes()}}}}}
	if usesSearchRes(plain) || !usesSearchRes(dollar) || usesSearchRes(nil) {
		t.Fatal("usesSearchRes")
	}
	seq := &imapwire.SearchKey{Op: imapwire.SearchAnd, Keys: []*imapwire.SearchKey{{Op: imapwire.SearchSeq, Set: imap.SeqSetNum(1, 2)}}}
	if !usesSeqSet(seq) || usesSeqSet(plain) {
		t.Fatal("usesSeqSet")
	}
}
