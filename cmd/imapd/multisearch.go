package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"gyrus/lib/acl"
	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/mboxlist"
)

// MULTISEARCH (RFC 7377), which Cyrus 3.6.1 lacks: the ESEARCH command
// searches several mailboxes and answers one ESEARCH response per
// mailbox with matches, correlated by "(TAG .. MAILBOX .. UIDVALIDITY ..)"
// and always in UIDs (RFC 7377 2.1). Each mailbox is searched with the
// same lib/search evaluation as SEARCH (searchResult), over a read-only
// view opened for the purpose; the selected mailbox uses the session's
// own view.
//
// Source options (RFC 7377 2.2, the filter-mailboxes of RFC 5465):
//   - selected (the default without IN), selected-delayed: the selected
//     mailbox; BAD "Please select a mailbox first" without one;
//   - personal: the user's INBOX and every mailbox below it;
//   - inboxes: the user's INBOX (Gyrus has no "postable by anonymous"
//     mailboxes of other users to add, as Cyrus's usermboxtree would);
//   - subscribed: the user's subscriptions;
//   - subtree NAME...: the mailboxes and everything below them;
//     subtree-one: the mailboxes and their children only;
//     mailboxes NAME...: just those.
//
// Mailboxes are taken once each, in the order met; only email mailboxes
// the user may read ('r', admins all) are searched, others are skipped
// without a word (a client cannot tell a hidden mailbox from a missing
// one). RETURN defaults to ALL (RFC 7377 2.1). With a source other than
// selected, PARTIAL is refused with NO [CANNOT] as later Cyrus releases
// do, and SAVE or "$" (IMAP4rev2 sessions have SEARCHRES) with BAD (RFC
// 7377 2.2). The tagged OK counts the matches of every mailbox.

// multiSearchGrammar turns on the parser's ESEARCH command.
const multiSearchGrammar = imapwire.ExtMultiSearch

// cmdMultiSearch runs the ESEARCH command.
func (s *Session) cmdMultiSearch(tag string, a *imapwire.Search) {
	start := time.Now()
	filters := []imapwire.MailboxFilter{{Kind: "selected"}}
	if a.Source != nil {
		filters = a.Source.Filters
	}
	onlySelected := true
	for _, f := range filters {
		switch f.Kind {
		case "selected", "selected-delayed":
			if s.sel == nil {
				s.bad(tag, "Please select a mailbox first")
				return
			}
		default:
			onlySelected = false
		}
	}
	ret := a.Return
	if ret == nil {
		ret = &imapwire.SearchReturn{}
		ret.ReturnAll = true
	}
	if !onlySelected && (ret.ReturnSave || usesSearchRes(a.Program)) {
		// RFC 7377 2.2: SAVE (and "$", the selected mailbox's saved
		// result) only when the selected mailbox is the sole source
		s.bad(tag, "Search results requested for unselected mailbox(es)")
		return
	}
	if !onlySelected && ret.Partial != nil {
		s.noCode(tag, imapwire.CodeCannot, "Unsupported Search criteria")
		return
	}
	if s.progress != nil && !onlySelected {
		s.progress.noCount = true // RFC 9585: the total is not known
	}
	total := 0
	seen := map[string]bool{}
	searchOne := func(e *mboxlist.Entry) error {
		if seen[e.Name] || e.Type.Kind() != mboxlist.TypeEmail {
			return nil
		}
		seen[e.Name] = true
		if !s.isAdmin && !s.entryRights(e).Has(acl.Read) {
			return nil
		}
		n, err := s.multiSearchMailbox(tag, e, a, ret)
		if err != nil {
			if errors.Is(err, errSearchFailed) {
				return nil
			}
			log.Printf(log.LevelErr, "IOERROR: multisearch %s: %v", e.Name, err)
			return nil // a mailbox that cannot be read is skipped
		}
		total += n
		return nil
	}
	if err := s.eachFilterMailbox(filters, searchOne); err != nil {
		s.no(tag, err)
		return
	}
	s.okText(tag, fmt.Sprintf("Completed (%d msgs in %.3f secs)", total, time.Since(start).Seconds()))
}

// eachFilterMailbox calls fn for the mailboxes of RFC 5465
// filter-mailboxes (shared by MULTISEARCH and NOTIFY, notify.go), in
// the order met, possibly more than once; "selected" needs s.sel.
func (s *Session) eachFilterMailbox(filters []imapwire.MailboxFilter, fn func(*mboxlist.Entry) error) error {
	for _, f := range filters {
		var err error
		switch f.Kind {
		case "selected", "selected-delayed":
			err = fn(s.sel.entry)
		case "personal", "inboxes":
			inbox := s.srv.ns.UserInbox(s.userid, "")
			flags := mboxlist.IterFlags(0)
			if f.Kind == "inboxes" {
				flags = mboxlist.SkipChildren
			}
			err = s.srv.list.Tree(inbox, flags, fn)
		case "subscribed":
			for _, name := range s.subscriptionList() {
				if e, lerr := s.srv.list.Lookup(name); lerr == nil {
					if err = fn(e); err != nil {
						break
					}
				}
			}
		case "subtree", "subtree-one", "mailboxes":
			for _, ext := range f.Mailboxes {
				intname, nerr := s.internalName(ext)
				if nerr != nil {
					continue
				}
				switch f.Kind {
				case "mailboxes":
					err = s.srv.list.Tree(intname, mboxlist.SkipChildren, fn)
				case "subtree":
					err = s.srv.list.Tree(intname, 0, fn)
				default:
					depth := strings.Count(intname, ".")
					err = s.srv.list.Tree(intname, 0, func(e *mboxlist.Entry) error {
						if strings.Count(e.Name, ".") > depth+1 {
							return nil
						}
						return fn(e)
					})
				}
				if err != nil {
					break
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// usesSearchRes reports "$" (RFC 5182) anywhere in a search program.
func usesSearchRes(k *imapwire.SearchKey) bool {
	if k == nil {
		return false
	}
	if (k.Op == imapwire.SearchSeq || k.Op == imapwire.SearchUID) && k.Set != nil && imap.IsSearchRes(k.Set) {
		return true
	}
	for _, c := range k.Keys {
		if usesSearchRes(c) {
			return true
		}
	}
	return false
}

// multiSearchMailbox searches one mailbox and writes its ESEARCH
// response (none without matches, RFC 7377 2.1); it returns the number
// of matches.
func (s *Session) multiSearchMailbox(tag string, e *mboxlist.Entry, a *imapwire.Search, ret *imapwire.SearchReturn) (int, error) {
	ext, ok := s.externalName(e.Name)
	if !ok {
		return 0, nil
	}
	cur := s.sel
	var sel *selected
	if cur != nil && cur.name == e.Name && !cur.gone {
		s.tellChanges(false)
		sel = cur
	} else {
		var err error
		if sel, err = s.openSelected(e, true); err != nil {
			return 0, err
		}
		defer sel.close()
		// searchResult and writeSearchResult work on the session's
		// selected mailbox: lend it this one for the search
		s.sel = sel
		defer func() { s.sel = cur }()
	}
	res, _, err := s.searchResult(a.Program, s.searchCharset(a.Charset))
	if err != nil {
		return 0, err
	}
	if len(res.Seqs) == 0 {
		return 0, nil
	}
	modseq := uint64(0)
	if usesModSeq(a.Program) {
		modseq = 1
		for _, q := range res.Seqs {
			modseq = max(modseq, sel.view.Msg(q).ModSeq)
		}
	}
	s.writeSearchResultIn(tag, ext, sel.view.Header().UIDValidity, ret, res.Seqs, modseq)
	return len(res.Seqs), nil
}

// esearchCorrelator is what a MULTISEARCH answer adds to ESEARCH's
// correlator (RFC 7377 2.1); Session.esearchIn holds it while
// writeSearchResult writes one mailbox's answer.
type esearchCorrelator struct {
	mailbox     string
	uidValidity uint32
}

// writeSearchResultIn is writeSearchResult's ESEARCH with the MAILBOX
// and UIDVALIDITY correlators, in UIDs.
func (s *Session) writeSearchResultIn(tag, mailbox string, validity uint32, ret *imapwire.SearchReturn, seqs []uint32, modseq uint64) {
	s.esearchIn = &esearchCorrelator{mailbox: mailbox, uidValidity: validity}
	defer func() { s.esearchIn = nil }()
	s.writeSearchResult(tag, true, ret, seqs, modseq, "SEARCH")
}
