package main

import (
	"gyrus/lib/log"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
)

// archivePolicy is imapd.conf's archive settings (spec/config.md):
// archive_enabled, archive_maxsize (KB), archive_keepflagged.
type archivePolicy struct {
	enabled     bool
	maxSize     int64 // bytes
	keepFlagged bool
}

// doArchive is Cyrus's do_archive: every mailbox of the run (the user's,
// deleted ones included, or those under the prefix) gets its messages
// moved to the archive partition by Cyrus's mailbox_should_archive rule.
// Nothing is printed, with or without -v, as in Cyrus.
//
// The mark is now - the -A duration; a mailbox's
// /vendor/cmu/cyrus-imapd/archive annotation replaces it (0: archive
// everything) — and, as in Cyrus 3.6.1, where the mark lives in the
// walk's shared state, the replaced mark stays for the mailboxes walked
// after it.
func (e *expirer) doArchive(p archivePolicy) {
	if e.archive < 0 {
		return
	}
	mark := e.now - e.archive
	flags := mboxlist.IterFlags(0)
	err := e.walk(flags, func(m *mboxlist.Entry) error {
		if m.Type.Has(mboxlist.Deleted) || m.Type.Has(mboxlist.Remote) || !m.IsActive() {
			return nil
		}
		if secs, ok := e.annotation(m, index.AnnotNS+"archive"); ok {
			mark = 0
			if secs != 0 {
				mark = e.now - secs
			}
		}
		e.archiveMailbox(m, p, mark)
		return nil
	})
	if err != nil {
		log.Error("cyr_expire", "error", err.Error())
	}
}

// shouldArchive is Cyrus's mailbox_should_archive.
func shouldArchive(p archivePolicy, inDeleted bool, r *index.Record, mark int64) bool {
	switch {
	case r.InternalFlags&index.InternalArchived != 0:
		return true // never pulled back
	case !p.enabled:
		return false
	case int64(r.Size) >= p.maxSize:
		return true
	case inDeleted:
		return true
	case p.keepFlagged && r.SystemFlags&index.FlagFlagged != 0:
		return false
	}
	return int64(r.InternalDate) <= mark
}

func (e *expirer) archiveMailbox(m *mboxlist.Entry, p archivePolicy, mark int64) {
	mb, tx, ok := e.openTx(m, false)
	if !ok {
		return
	}
	defer mb.Close()
	inDeleted := e.ns.ParseInternal(m.Name).Deleted != 0
	res, aerr := tx.Archive(func(r *index.Record) bool { return shouldArchive(p, inDeleted, r, mark) })
	if aerr != nil {
		log.Error("IOERROR: archive failed", "mailbox", m.Name, "error", aerr.Error())
	}
	if err := tx.Commit(); err != nil {
		log.Error("IOERROR: archive commit failed", "mailbox", m.Name, "error", err.Error())
		return
	}
	if res.Archived > 0 {
		log.Info("archived messages", "mailbox", m.Name, "count", res.Archived)
	}
}
