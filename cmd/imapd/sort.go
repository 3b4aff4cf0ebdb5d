package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/search"
)

// SORT (RFC 5256, RFC 5957 DISPLAY, RFC 5267 ESORT, Cyrus's MODSEQ, UID,
// ANNOTATION, HASFLAG keys) and THREAD (RFC 5256 ORDEREDSUBJECT and
// REFERENCES, draft-ietf-morg-inthread REFS): the session's part, as
// Cyrus's cmd_sort/cmd_thread. The ordering and threading are
// lib/search's (Sort, Threads), which reads the keys from the index and
// cyrus.cache a window at a time, as Cyrus's index_sort/index_thread.

// cmdSort runs SORT and UID SORT.
func (s *Session) cmdSort(tag string, uid bool, a *imapwire.Sort) {
	start := time.Now()
	s.tellChanges(false)
	res, opt, err := s.searchResult(a.Program, a.Charset)
	if errors.Is(err, errSearchFailed) {
		s.okText(tag, fmt.Sprintf("Completed (0 msgs in %.3f secs)", time.Since(start).Seconds()))
		return
	}
	if err != nil {
		s.no(tag, err)
		return
	}
	seqs, uids, err := search.Sort(s.sel.view, a.Criteria, res, opt)
	if err != nil {
		s.no(tag, err)
		return
	}
	// Cyrus needs_modseq: only a MODSEQ search key (not the MODSEQ sort
	// criterion) adds "(MODSEQ n)"
	modseq := uint64(0)
	if usesModSeq(a.Program) {
		modseq = s.highestModSeqOf(seqs)
	}
	nums := seqs
	if uid {
		nums = uids
	}
	if a.Return != nil {
		s.writeSortESearch(tag, uid, a.Return, nums, seqs, uids, modseq)
	} else {
		s.wr().Search("SORT", nums, modseq)
	}
	s.okText(tag, fmt.Sprintf("Completed (%d msgs in %.3f secs)", len(nums), time.Since(start).Seconds()))
}

// highestModSeqOf is the largest modseq among messages seqs, 1 when none
// (Cyrus index_search starts from 1).
func (s *Session) highestModSeqOf(seqs []uint32) uint64 {
	m := uint64(1)
	for _, q := range seqs {
		if v := s.sel.view.Msg(q).ModSeq; v > m {
			m = v
		}
	}
	return m
}

// writeSortESearch is ESORT (RFC 5267) as Cyrus answers it: ALL keeps
// the sorted order with ascending runs joined into ranges ("4:5,2:3,1,6").
// MIN and MAX are the smallest and largest UIDs even for SORT without UID
// (Cyrus index_sort never switches its search folder to message numbers;
// RFC 5267 asks for message numbers: recorded in test/imap
// ext/sort/esort-uid-return). A MODSEQ asked for with MIN and/or MAX
// only (RFC 7162 sec. 3.1.5) is that of the message first and/or last in
// mailbox order (Cyrus esearch_modseq_response).
func (s *Session) writeSortESearch(tag string, uid bool, ret *imapwire.SearchReturn, nums, seqs, uids []uint32, modseq uint64) {
	d := &imapwire.ESearchData{Tag: tag, UID: uid}
	if ret.ReturnCount {
		n := uint32(len(nums))
		d.Count = &n
	}
	all := ret.ReturnAll || (!ret.ReturnMin && !ret.ReturnMax && !ret.ReturnCount && !ret.Relevancy && ret.Partial == nil)
	if len(uids) > 0 {
		lo, hi := 0, 0 // indexes of the smallest and largest UID
		for i, u := range uids {
			if u < uids[lo] {
				lo = i
			}
			if u > uids[hi] {
				hi = i
			}
		}
		if ret.ReturnMin {
			d.Min = uids[lo]
		}
		if ret.ReturnMax {
			d.Max = uids[hi]
		}
		if modseq > 0 && !ret.ReturnAll && !ret.ReturnCount && !ret.Relevancy && ret.Partial == nil && (ret.ReturnMin || ret.ReturnMax) {
			modseq = 0
			if ret.ReturnMin {
				modseq = s.sel.view.Msg(seqs[lo]).ModSeq
			}
			if m := s.sel.view.Msg(seqs[hi]).ModSeq; ret.ReturnMax && m > modseq {
				modseq = m
			}
		}
	}
	if len(nums) > 0 {
		if all {
			d.All = orderedSet(nums, uid) // partial.go
		}
		if ret.Relevancy {
			// Cyrus index_sort: RELEVANCY (RFC 6203) 100 for every message
			d.Relevancy = make([]uint8, len(nums))
			for i := range d.Relevancy {
				d.Relevancy[i] = 100
			}
		}
		d.ModSeq = modseq
	}
	if ret.Partial != nil {
		d.Partial = partialData(nums, ret.Partial, uid) // partial.go
	}
	s.wr().ESearch(d)
}

// cmdThread runs THREAD and UID THREAD.
func (s *Session) cmdThread(tag string, uid bool, a *imapwire.Thread) {
	start := time.Now()
	s.tellChanges(false)
	res, opt, err := s.searchResult(a.Program, a.Charset)
	if errors.Is(err, errSearchFailed) {
		s.okText(tag, fmt.Sprintf("Completed (0 msgs in %.3f secs)", time.Since(start).Seconds()))
		return
	}
	if err != nil {
		s.no(tag, err)
		return
	}
	var threads []*search.Thread
	if len(res.Seqs) > 0 {
		threads, err = search.Threads(s.sel.view, a.Algorithm, res, opt)
		if err != nil {
			// the parser passes only the algorithms Cyrus knows
			log.Debug("thread", "algorithm", a.Algorithm, "error", err)
		}
	}
	var b strings.Builder
	b.WriteString("* THREAD")
	if len(threads) > 0 {
		b.WriteByte(' ')
		b.WriteString(search.Format(threads, uid))
		if usesModSeq(a.Program) {
			b.WriteString(" (MODSEQ " + strconv.FormatUint(s.highestModSeqOf(res.Seqs), 10) + ")")
		}
	}
	b.WriteString("\r\n")
	s.wr().RawString(b.String())
	s.okText(tag, fmt.Sprintf("Completed (%d msgs in %.3f secs)", len(res.Seqs), time.Since(start).Seconds()))
}
