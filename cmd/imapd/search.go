package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
	"gyrus/lib/search"
)

// SEARCH (RFC 9051 6.4.4, RFC 4731 ESEARCH, RFC 5182 SEARCHRES, RFC
// 7162 MODSEQ) answered as Cyrus's cmd_search/index_search do. The
// evaluation is lib/search's (search below).

// knownCharset is asked by the parser for SEARCH/SORT/THREAD CHARSET
// (Cyrus: charset_lookupname); lib/search's table, so that the parser
// and the evaluator agree.
func knownCharset(name string) bool {
	return search.KnownCharset(name)
}

// cmdSearch runs SEARCH and UID SEARCH.
func (s *Session) cmdSearch(tag string, uid bool, a *imapwire.Search) {
	start := time.Now()
	// Cyrus index_search: updates first (no expunges), then the search.
	s.tellChanges(false)
	if text := s.utf8SearchCharsetRefused(a.Charset); text != "" {
		s.bad(tag, text)
		return
	}
	seqs, err := s.search(a.Program, s.searchCharset(a.Charset))
	if errors.Is(err, errSearchFailed) {
		if s.rev2 { // ESEARCH is required in IMAP4rev2 (rev2.go)
			s.writeSearchResult(tag, uid, s.rev2SearchReturn(a.Return), nil, 0, "SEARCH")
		}
		s.okText(tag, fmt.Sprintf("Completed (0 msgs in %.3f secs)", time.Since(start).Seconds()))
		return
	}
	if err != nil {
		s.no(tag, err)
		return
	}
	modseq := uint64(0)
	if usesModSeq(a.Program) {
		// Cyrus index_search: 1 until a matching message gives more
		modseq = 1
		for _, q := range seqs {
			if m := s.sel.view.Msg(q).ModSeq; m > modseq {
				modseq = m
			}
		}
	}
	s.writeSearchResult(tag, uid, s.rev2SearchReturn(a.Return), seqs, modseq, "SEARCH")
	s.okText(tag, fmt.Sprintf("Completed (%d msgs in %.3f secs)", len(seqs), time.Since(start).Seconds()))
}

// errSearchFailed is Cyrus's failed search_query_run (a FUZZY string key
// without a search engine): SEARCH, SORT and THREAD then answer OK with
// no untagged response and 0 messages (index_search "goto out").
var errSearchFailed = errors.New("search failed")

// search evaluates a program over the selected mailbox with lib/search
// (Cyrus's semantics: the CHARSET's strings and the messages' text in
// lib/charset's search form) and returns the matching sequence numbers
// in ascending order.
func (s *Session) search(prog *imapwire.SearchKey, charset string) ([]uint32, error) {
	res, _, err := s.searchResult(prog, charset)
	if err != nil {
		return nil, err
	}
	return res.Seqs, nil
}

// searchResult is search's lib/search result, with the options SORT and
// THREAD go on with.
func (s *Session) searchResult(prog *imapwire.SearchKey, charset string) (*search.Result, *search.Options, error) {
	sel := s.sel
	if sel.gone {
		return nil, nil, errGone
	}
	maxLines := s.srv.msgopts.MaxHeaderLines
	if maxLines == 0 {
		maxLines = -1 // maxheaderlines: 0 is no limit; lib/search's 0 is the default
	}
	opt := &search.Options{
		Seen:           func(seq uint32, _ *index.Record) bool { return sel.isSeen(seq) },
		Recent:         func(seq, _ uint32) bool { return sel.extra[seq-1].recent },
		SearchRes:      s.searchRes,
		Now:            time.Now(),
		Flags:          s.srv.searchFlags,
		FlagsSet:       true,
		MaxHeaderLines: maxLines,
		Annotation:     s.searchAnnotation,
		Progress:       s.searchProgress(), // inprogress.go
	}
	res, err := search.Search(sel.view, prog, charset, opt)
	if errors.Is(err, search.ErrFuzzy) {
		return nil, nil, errSearchFailed
	}
	if err != nil {
		return nil, nil, err
	}
	return res, opt, nil
}

// searchAnnotation gives lib/search the values of message uid's
// annotations whose entry matches the pattern, for the attribute asked:
// value.shared, value.priv (this user's) or value (both).
func (s *Session) searchAnnotation(uid uint32, entry, attrib string) [][]byte {
	anns, err := s.sel.mb.Annotations(uid)
	if err != nil {
		return nil
	}
	var out [][]byte
	for _, a := range anns {
		if !annotationEntryMatch(entry, a.Entry) {
			continue
		}
		switch strings.ToLower(attrib) {
		case "value.shared":
			if a.UserID != "" {
				continue
			}
		case "value.priv":
			if a.UserID != s.userid {
				continue
			}
		default:
			if a.UserID != "" && a.UserID != s.userid {
				continue
			}
		}
		out = append(out, a.Value)
	}
	return out
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

// writeSearchResult writes "* SEARCH ..." or, with RETURN options, the
// ESEARCH response (RFC 4731), and saves the result for "$" (RFC 5182).
func (s *Session) writeSearchResult(tag string, uid bool, ret *imapwire.SearchReturn, seqs []uint32, modseq uint64, name string) {
	sel := s.sel
	nums := make([]uint32, len(seqs))
	for i, q := range seqs {
		if uid {
			nums[i] = sel.view.UID(q)
		} else {
			nums[i] = q
		}
	}
	if ret == nil {
		w := s.wr()
		w.Search(name, nums, modseq)
		return
	}
	if ret.ReturnSave {
		saved := seqs
		if ret.Partial != nil && !ret.ReturnAll && !ret.ReturnCount {
			saved = partialWindow(seqs, ret.Partial) // RFC 9394 3.2
		}
		s.searchRes = make([]uint32, len(saved))
		for i, q := range saved {
			s.searchRes[i] = sel.view.UID(q)
		}
		if !ret.ReturnMin && !ret.ReturnMax && !ret.ReturnAll && !ret.ReturnCount && !ret.Relevancy && ret.Partial == nil {
			return // RFC 5182 2.1: SAVE alone answers nothing
		}
	}
	all := ret.ReturnAll || (!ret.ReturnMin && !ret.ReturnMax && !ret.ReturnCount && !ret.Relevancy && !ret.ReturnSave && ret.Partial == nil)
	d := &imapwire.ESearchData{Tag: tag, UID: uid}
	if in := s.esearchIn; in != nil { // multisearch.go
		d.Mailbox, d.UIDValidity = in.mailbox, in.uidValidity
	}
	if ret.ReturnCount {
		n := uint32(len(nums))
		d.Count = &n
	}
	if len(nums) > 0 {
		sorted := sortedCopy(nums)
		if ret.ReturnMin {
			d.Min = sorted[0]
		}
		if ret.ReturnMax {
			d.Max = sorted[len(sorted)-1]
		}
		if all {
			if uid {
				d.All = uidSetOf(sorted)
			} else {
				d.All = numSetOf(sorted, false)
			}
		}
		if ret.Relevancy {
			d.Relevancy = make([]uint8, len(nums))
			for i := range d.Relevancy {
				d.Relevancy[i] = 100 // Cyrus: every message 100
			}
		}
		if modseq != 0 {
			// Cyrus esearch_modseq_response: the modseq of what is
			// returned when only MIN and/or MAX are.
			only := !all && !ret.ReturnCount && !ret.Relevancy
			switch {
			case only && ret.ReturnMin && ret.ReturnMax:
				a, b := s.modseqOf(sorted[0], uid), s.modseqOf(sorted[len(sorted)-1], uid)
				modseq = max(a, b)
			case only && ret.ReturnMin:
				modseq = s.modseqOf(sorted[0], uid)
			case only && ret.ReturnMax:
				modseq = s.modseqOf(sorted[len(sorted)-1], uid)
			}
			d.ModSeq = modseq
		}
	}
	if ret.Partial != nil {
		d.Partial = partialData(nums, ret.Partial, uid) // partial.go
	}
	s.wr().ESearch(d)
}

func (s *Session) modseqOf(n uint32, uid bool) uint64 {
	v := s.sel.view
	if uid {
		q, ok := v.Seq(n)
		if !ok {
			return 0
		}
		n = q
	}
	if m := v.Msg(n); m != nil {
		return m.ModSeq
	}
	return 0
}

func sortedCopy(a []uint32) []uint32 {
	b := append([]uint32(nil), a...)
	return sortedUnique(b)
}

// usesModSeq reports a MODSEQ key anywhere in the program (RFC 7162
// 3.1.5: the result then carries the highest modseq).
func usesModSeq(k *imapwire.SearchKey) bool {
	if k == nil {
		return false
	}
	if k.Op == imapwire.SearchModSeq {
		return true
	}
	for _, c := range k.Keys {
		if usesModSeq(c) {
			return true
		}
	}
	return false
}

// searchKeyString is a program as text (for logs).
func searchKeyString(k *imapwire.SearchKey) string {
	if k == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(string(k.Op))
	for _, c := range k.Keys {
		b.WriteString(" (" + searchKeyString(c) + ")")
	}
	return b.String()
}

var _ = imap.SearchRes
