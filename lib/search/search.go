package search

import (
	"github.com/emersion/go-imap/v2"

	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox/index"
)

// Result is what a search found, in ascending sequence order.
type Result struct {
	Seqs    []uint32
	UIDs    []uint32
	ModSeqs []uint64
	// UsesModSeq: the program had a MODSEQ key, so the answer carries
	// the highest modseq of the matches (RFC 7162 3.1.5).
	UsesModSeq bool
}

// Search evaluates a SEARCH program (imapwire.Search.Program, or a SORT
// or THREAD program) with the command's CHARSET ("" is US-ASCII, Cyrus's
// default) over every message of the view that is not expunged.
func Search(src Source, program *imapwire.SearchKey, charsetName string, opt *Options) (*Result, error) {
	if opt == nil {
		opt = &Options{}
	}
	if charsetName == "" {
		charsetName = "us-ascii"
	}
	c := &compiler{src: src, opt: opt, flags: opt.flags(), charset: charsetName,
		now: opt.now(), loc: opt.loc(), userFlags: src.UserFlags()}
	root, err := c.compile(program)
	if err != nil {
		return nil, err
	}
	s := &searcher{src: src, opt: opt, flags: c.flags, root: root, rd: newReader(src)}
	res := &Result{UsesModSeq: c.usesMod}
	n := src.Len()
	m := &msg{s: s}
	// with prefetching, records are read prefetchDepth messages ahead
	// and the files of the live ones asked for
	var ahead [prefetchDepth]struct {
		rec index.Record
		ok  bool
	}
	loaded := uint32(0)
	if s.rd.mp != nil && n > 1 && needsFile(root) {
		s.pf = newPrefetcher()
		defer s.pf.stop()
	}
	for seq := uint32(1); seq <= n; seq++ {
		if opt.Progress != nil {
			opt.Progress(seq-1, n)
		}
		var rec index.Record
		if s.pf != nil {
			for loaded < n && loaded < seq+prefetchDepth-1 {
				loaded++
				a := &ahead[loaded%prefetchDepth]
				var err error
				a.rec, err = src.Record(loaded)
				a.ok = err == nil && !a.rec.Expunged()
				if a.ok {
					s.pf.add(loaded, s.rd.mp.MessagePath(loaded), a.rec.Size)
				}
			}
			a := &ahead[seq%prefetchDepth]
			if !a.ok {
				continue
			}
			rec = a.rec
		} else {
			var err error
			rec, err = src.Record(seq)
			if err != nil {
				continue // a record that cannot be read matches nothing
			}
			if rec.Expunged() {
				continue // expunged by another session, not yet reported
			}
		}
		m.reset(seq, &rec)
		ok := s.eval(root, m)
		m.close()
		if ok {
			res.Seqs = append(res.Seqs, seq)
			res.UIDs = append(res.UIDs, rec.UID)
			res.ModSeqs = append(res.ModSeqs, rec.ModSeq)
		}
	}
	return res, nil
}

// needsFile reports whether evaluating n reads the message file of
// every message: its cheapest part does.
func needsFile(n *node) bool {
	switch n.op {
	case opBody:
		return true
	case opHeader, opRawField, opSpam:
		return !n.cached[0]
	case opAnd, opOr, opNot:
		return len(n.kids) > 0 && needsFile(n.kids[0])
	}
	return false
}

// Numbers returns the UIDs (uid) or sequence numbers of the matches.
func (r *Result) Numbers(uid bool) []uint32 {
	if uid {
		return r.UIDs
	}
	return r.Seqs
}

// HighestModSeq is the "(MODSEQ n)" of a plain SEARCH answer: the
// largest modseq of the matches when the program used MODSEQ, else 0.
func (r *Result) HighestModSeq() uint64 {
	if !r.UsesModSeq {
		return 0
	}
	var h uint64
	for _, m := range r.ModSeqs {
		if m > h {
			h = m
		}
	}
	return h
}

// ESearch computes the ESEARCH response for RETURN options (RFC 4731)
// as Cyrus's index_search prints it: COUNT, then MIN, MAX and ALL only
// when something matched, MODSEQ for a program with MODSEQ (the modseq
// of the MIN or MAX message when only those were asked). tag is the
// command tag ("" for none).
func (r *Result) ESearch(ret *imapwire.SearchReturn, uid bool, tag string) *imapwire.ESearchData {
	d := &imapwire.ESearchData{Tag: tag, UID: uid}
	opts := ret.SearchOptions
	if !opts.ReturnMin && !opts.ReturnMax && !opts.ReturnAll && !opts.ReturnCount && !opts.ReturnSave && !ret.Relevancy {
		opts.ReturnAll = true // RFC 4731: RETURN () is ALL
	}
	nums := r.Numbers(uid)
	if opts.ReturnCount {
		c := uint32(len(nums))
		d.Count = &c
	}
	if len(nums) == 0 {
		return d
	}
	if opts.ReturnMin {
		d.Min = nums[0]
	}
	if opts.ReturnMax {
		d.Max = nums[len(nums)-1]
	}
	if opts.ReturnAll {
		if uid {
			var s imap.UIDSet
			for _, n := range nums {
				s.AddNum(imap.UID(n))
			}
			d.All = s
		} else {
			var s imap.SeqSet
			s.AddNum(nums...)
			d.All = s
		}
	}
	if ret.Relevancy {
		d.Relevancy = make([]uint8, len(nums))
		for i := range d.Relevancy {
			d.Relevancy[i] = 100 // Cyrus: every message has relevancy 100
		}
	}
	if r.UsesModSeq {
		onlyMin := opts.ReturnMin && !opts.ReturnMax && !opts.ReturnAll && !opts.ReturnCount
		onlyMax := opts.ReturnMax && !opts.ReturnMin && !opts.ReturnAll && !opts.ReturnCount
		minMax := opts.ReturnMin && opts.ReturnMax && !opts.ReturnAll && !opts.ReturnCount
		switch {
		case onlyMin:
			d.ModSeq = r.ModSeqs[0]
		case onlyMax:
			d.ModSeq = r.ModSeqs[len(r.ModSeqs)-1]
		case minMax:
			d.ModSeq = max(r.ModSeqs[0], r.ModSeqs[len(r.ModSeqs)-1])
		default:
			d.ModSeq = r.HighestModSeq()
		}
	}
	return d
}

// Save is what RETURN (SAVE) stores as the session's "$" (RFC 5182 2.1):
// with MIN and/or MAX alone only those messages, otherwise every match.
// The UIDs are returned.
func (r *Result) Save(ret *imapwire.SearchReturn) []uint32 {
	o := ret.SearchOptions
	if len(r.UIDs) == 0 {
		return []uint32{}
	}
	if (o.ReturnMin || o.ReturnMax) && !o.ReturnAll && !o.ReturnCount {
		var out []uint32
		if o.ReturnMin {
			out = append(out, r.UIDs[0])
		}
		if o.ReturnMax && (len(out) == 0 || r.UIDs[len(r.UIDs)-1] != out[0]) {
			out = append(out, r.UIDs[len(r.UIDs)-1])
		}
		return out
	}
	return append([]uint32(nil), r.UIDs...)
}
