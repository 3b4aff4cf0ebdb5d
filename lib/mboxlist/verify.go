package mboxlist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
)

// fixHeader makes a mailbox's cyrus.header agree with its record: the
// name (a rename that keeps the files), the ACL (a user rename hands the
// old owner's entry to the new one), and the quota root when known.
func (l *List) fixHeader(e *Entry, quotaRoot string, quotaKnown bool) error {
	loc, err := l.s.Locate(e)
	if err != nil {
		return err
	}
	loc.UserLock = ""
	mb, err := mailbox.Open(loc, l.mailboxOptions(), mailbox.ReadWrite)
	if err != nil {
		return fmt.Errorf("%s: %w", e.Name, err)
	}
	defer mb.Close()
	mh := mb.MailboxHeader()
	aclDiffers := e.ACL != "" && mh.ACL != e.ACL
	if mh.Name == e.Name && !aclDiffers && (!quotaKnown || mb.QuotaRoot() == quotaRoot) {
		return nil
	}
	tx, err := mb.Begin()
	if err != nil {
		return fmt.Errorf("%s: %w", e.Name, err)
	}
	tx.SetName(e.Name, false)
	if aclDiffers {
		tx.SetACL(e.ACL)
	}
	if quotaKnown && mb.QuotaRoot() != quotaRoot {
		if err := tx.SetQuotaRoot(quotaRoot); err != nil {
			tx.Abort()
			return fmt.Errorf("%s: %w", e.Name, err)
		}
	}
	return tx.Commit()
}

// Problem is one inconsistency Verify found, with what was done about it.
type Problem struct {
	Name  string // internal mailbox name ("" when only a directory is known)
	Path  string
	What  string
	Fixed bool
}

func (p Problem) String() string {
	s := p.What
	if p.Fixed {
		s += " (repaired)"
	}
	return s
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Repair fixes what can be fixed without losing a mailbox.
	Repair bool
}

// Verify compares mailboxes.db with the partitions and with itself
// (ctl_mboxlist -v) and, with Repair, fixes:
//
//   - a reservation ('z') left by a create that did not finish: the
//     mailbox is activated when its cyrus.header and cyrus.index exist,
//     otherwise the reservation is removed;
//   - an active N record without its I record, or whose I record names
//     another mailbox: the I record is rewritten;
//   - an I record whose mailbox has no N record and no files: reported;
//   - a cyrus.header whose name differs from the record (a rename that
//     stopped after its commit): the header is rewritten;
//   - a mailbox directory no record points to: reported as Cyrus does
//     ("has a directory ... but no DB entry"); by-uuid directories whose
//     uniqueid is the I record of an active mailbox elsewhere (the source
//     of a copy that was interrupted after the commit) are removed;
//   - an active record without files: reported ("has a DB entry but no
//     directory on partition"), never removed.
//
// Rule: the committed database decides. Files are only removed when a
// record proves they are a stale copy; records are only removed when they
// are reservations without files. So no mailbox is lost.
func (l *List) Verify(o VerifyOptions) ([]Problem, error) {
	var probs []Problem
	add := func(p Problem) { probs = append(probs, p) }
	var all []*Entry
	if err := l.Foreach("", WithTombstones|WithIntermediates, func(e *Entry) error {
		all = append(all, e)
		return nil
	}); err != nil {
		return nil, err
	}
	known := map[string]bool{} // directories that belong to records
	activeID := map[string]*Entry{}
	for _, e := range all {
		if e.Type&(Deleted|Intermediate|Remote) != 0 {
			continue
		}
		loc, err := l.s.Locate(e)
		if err != nil {
			add(Problem{Name: e.Name, What: fmt.Sprintf("'%s' has a DB entry on unknown partition '%s'", e.Name, e.Partition)})
			continue
		}
		known[filepath.Clean(loc.Dir)] = true
		known[filepath.Clean(loc.MetaDir)] = true
		hdr := filepath.Join(loc.MetaDir, index.HeaderFile)
		idx := filepath.Join(loc.MetaDir, index.IndexFile)
		_, herr := os.Stat(hdr)
		_, ierr := os.Stat(idx)
		filesOK := herr == nil && ierr == nil
		if e.Type&Reserved != 0 {
			p := Problem{Name: e.Name, Path: loc.Dir}
			if filesOK {
				p.What = fmt.Sprintf("'%s' is reserved but its files exist: activating", e.Name)
			} else {
				p.What = fmt.Sprintf("'%s' is reserved and has no files: removing the reservation", e.Name)
			}
			if o.Repair {
				err := l.repairReserved(e, loc, filesOK)
				p.Fixed = err == nil
				if err != nil {
					p.What += ": " + err.Error()
				}
			}
			add(p)
			continue
		}
		activeID[e.UniqueID] = e
		if !filesOK {
			add(Problem{Name: e.Name, Path: loc.Dir,
				What: fmt.Sprintf("'%s' has a DB entry but no directory on partition '%s'", e.Name, e.Partition)})
			continue
		}
		// I record
		ie, err := l.LookupID(e.UniqueID)
		if e.UniqueID != "" && (err != nil || ie.Name != e.Name) {
			p := Problem{Name: e.Name, What: fmt.Sprintf("'%s' has no matching I record for uniqueid '%s'", e.Name, e.UniqueID)}
			if o.Repair {
				err := l.update(func(t *Tx) error { return t.Put(e.Name, e) })
				p.Fixed = err == nil
			}
			add(p)
		}
		// header name
		mh, err := readHeader(hdr)
		if err != nil {
			add(Problem{Name: e.Name, Path: hdr, What: fmt.Sprintf("'%s': cannot read %s: %v", e.Name, hdr, err)})
			continue
		}
		if mh.Name != e.Name {
			p := Problem{Name: e.Name, Path: hdr,
				What: fmt.Sprintf("'%s' has a cyrus.header naming '%s'", e.Name, mh.Name)}
			if o.Repair {
				err := l.fixHeader(e, "", false)
				p.Fixed = err == nil
				if err != nil {
					p.What += ": " + err.Error()
				}
			}
			add(p)
		}
	}
	// directories without records
	parts := make([]string, 0, len(l.s.Partitions))
	for p := range l.s.Partitions {
		parts = append(parts, p)
	}
	sort.Strings(parts)
	for _, part := range parts {
		root := l.s.Partitions[part]
		dirs := findMailboxDirs(root)
		for _, d := range dirs {
			if known[filepath.Clean(d)] {
				continue
			}
			mh, err := readHeader(filepath.Join(d, index.HeaderFile))
			name := ""
			if err == nil {
				name = mh.Name
			}
			p := Problem{Name: name, Path: d,
				What: fmt.Sprintf("'%s' has a directory '%s' but no DB entry", name, d)}
			// a stale copy: the same uniqueid is active elsewhere
			if err == nil && mh.UniqueID != "" {
				if act, ok := activeID[mh.UniqueID]; ok {
					p.What = fmt.Sprintf("'%s' has a stale copy in '%s' (mailbox is now '%s'): removing", name, d, act.Name)
					if o.Repair {
						legacy := !strings.Contains(d, string(filepath.Separator)+"uuid"+string(filepath.Separator))
						loc := mailbox.Location{Name: name, UniqueID: mh.UniqueID, Partition: part, Dir: d, MetaDir: d, Legacy: legacy}
						// its archived messages' files go too
						p.Fixed = mailbox.DeleteFiles(mailbox.WithArchive(loc, l.mailboxOptions())) == nil
					}
				}
			}
			add(p)
		}
	}
	return probs, nil
}

func (l *List) repairReserved(e *Entry, loc mailbox.Location, filesOK bool) error {
	if !filesOK {
		return l.update(func(t *Tx) error {
			cur, err := t.LookupAll(e.Name)
			if err != nil || cur.Type&Reserved == 0 {
				return err
			}
			if err := t.Put(e.Name, nil); err != nil {
				return err
			}
			if ie, err := t.LookupID(e.UniqueID); err == nil && ie.Name == e.Name {
				return t.DeleteID(e.UniqueID)
			}
			return nil
		})
	}
	loc.UserLock = ""
	mb, err := mailbox.Open(loc, l.s.Mailbox, mailbox.ReadOnly)
	if err != nil {
		return err
	}
	h := mb.Header()
	mb.Close()
	ne := e.Clone()
	ne.Type &^= Reserved
	ne.UIDValidity = h.UIDValidity
	ne.CreatedModSeq = h.CreatedModSeq
	if ne.FolderModSeq == 0 {
		ne.FolderModSeq = h.HighestModSeq
	}
	return l.update(func(t *Tx) error { return t.Put(e.Name, ne) })
}

func readHeader(path string) (*index.MailboxHeader, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return index.ParseMailboxHeader(b)
}

// findMailboxDirs returns every directory below root holding a
// cyrus.header (skipping stage. and sync. areas).
func findMailboxDirs(root string) []string {
	var out []string
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (d.Name() == "stage." || d.Name() == "sync.") {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() == index.HeaderFile {
			out = append(out, filepath.Dir(path))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

var _ = errors.New
