package reconstruct

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gyrus/lib/lockfile"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
)

// found is a mailbox directory seen on a partition.
type found struct {
	path      string // its cyrus.header
	partition string
	mh        *index.MailboxHeader
	legacy    bool
}

// Discover looks on disk for mailboxes below name that mailboxes.db does
// not know (reconstruct -f), prints "discovered <name>" for each and
// returns their names in order. Two places are searched: the
// subdirectories of a by-name (legacy) mailbox's directory, as Cyrus
// does, and the by-uuid directories of the partitions, whose
// cyrus.header names the mailbox (Cyrus 3.6.1 looks only at
// subdirectories, so it never finds a by-uuid mailbox).
func (r *Reconstructor) Discover(name string) ([]string, error) {
	l := r.env.List
	e, err := l.Lookup(name)
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	add := func(child string, f found) {
		if seen[child] {
			return
		}
		if _, err := l.Lookup(child); !errors.Is(err, mboxlist.ErrNotFound) {
			return // known (or being created)
		}
		seen[child] = true
		r.printf("discovered %s\n", child)
		r.discovered[child] = f
		out = append(out, child)
	}
	if e.IsLegacy() {
		loc, err := l.Settings().Locate(e)
		if err == nil {
			ents, _ := os.ReadDir(loc.MetaDir)
			for _, de := range ents {
				if strings.Contains(de.Name(), ".") || !de.IsDir() {
					continue
				}
				hp := filepath.Join(loc.MetaDir, de.Name(), index.HeaderFile)
				if _, err := os.Stat(hp); err != nil {
					continue
				}
				f := found{path: hp, partition: e.Partition, legacy: true}
				if data, err := os.ReadFile(hp); err == nil {
					f.mh, _ = index.ParseMailboxHeader(data)
				}
				add(name+"."+de.Name(), f)
			}
		}
	}
	if err := r.scanUUIDs(); err != nil {
		return out, err
	}
	var names []string
	for n := range r.uuidHeaders {
		if strings.HasPrefix(n, name+".") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		add(n, r.uuidHeaders[n])
	}
	return out, nil
}

// scanUUIDs reads, once per Reconstructor, the cyrus.header of every
// by-uuid mailbox directory of every partition.
func (r *Reconstructor) scanUUIDs() error {
	if r.uuidHeaders != nil {
		return nil
	}
	r.uuidHeaders = map[string]found{}
	s := r.env.List.Settings()
	roots := map[string]string{}
	for p, root := range s.Partitions {
		roots[p] = root
	}
	for p, root := range s.MetaPartitions {
		if root != "" {
			roots[p] = root
		}
	}
	for part, root := range roots {
		hs, _ := filepath.Glob(filepath.Join(root, "uuid", "*", "*", "*", index.HeaderFile))
		for _, hp := range hs {
			data, err := os.ReadFile(hp)
			if err != nil {
				continue
			}
			mh, err := index.ParseMailboxHeader(data)
			if err != nil || mh.Name == "" {
				continue
			}
			r.uuidHeaders[mh.Name] = found{path: hp, partition: part, mh: mh}
		}
	}
	return nil
}

// CreateDiscovered writes the mailboxes.db entry of a mailbox found by
// Discover, from its cyrus.header (with -x a new uniqueid and no imported
// ACL), so that it can then be reconstructed.
func (r *Reconstructor) CreateDiscovered(name string, noImport bool) error {
	f, ok := r.discovered[name]
	if !ok {
		return fmt.Errorf("%s: not discovered", name)
	}
	return r.createFromHeader(name, f, noImport)
}

func (r *Reconstructor) createFromHeader(name string, f found, noImport bool) error {
	l := r.env.List
	e := &mboxlist.Entry{Name: name, Type: mboxlist.TypeEmail, Partition: f.partition, HasACL: true}
	if f.mh != nil {
		if f.mh.Type != "" {
			e.Type = mboxlist.ParseType(f.mh.Type)
		}
		if !noImport {
			e.UniqueID = f.mh.UniqueID
			e.ACL = f.mh.ACL
		}
	}
	if f.legacy {
		e.Type |= mboxlist.LegacyDirs
	} else {
		e.Type &^= mboxlist.LegacyDirs
	}
	if e.UniqueID == "" {
		if f.legacy {
			e.UniqueID = mboxlist.NewUniqueID()
		} else {
			e.UniqueID = filepath.Base(filepath.Dir(f.path))
		}
	}
	if e.ACL == "" && !noImport {
		e.ACL = l.Settings().DefaultACL
	}
	r.fillFromIndex(e, filepath.Join(filepath.Dir(f.path), index.IndexFile))
	if !r.opt.MakeChanges {
		return nil
	}
	nsl, err := l.LockNamespace(name, lockfile.Exclusive)
	if err != nil {
		return err
	}
	defer nsl.Release()
	e.MTime = r.env.Now().Unix()
	return l.Update(func(t *mboxlist.Tx) error { return t.Put(name, e) })
}

// fillFromIndex copies UIDVALIDITY and modseqs from a readable index.
func (r *Reconstructor) fillFromIndex(e *mboxlist.Entry, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	h, err := index.ParseHeader(data)
	if err != nil {
		return
	}
	e.UIDValidity = h.UIDValidity
	e.FolderModSeq = h.HighestModSeq
	e.CreatedModSeq = h.CreatedModSeq
}

// FromPath is reconstruct -P: the mailboxes.db entry of the mailbox whose
// directory or cyrus.header is at path is created or repaired from its
// cyrus.header (Cyrus reconstruct_mbentry). Only mailboxes.db changes,
// and the header when it lacked its uniqueid.
func (r *Reconstructor) FromPath(path string) {
	l := r.env.List
	s := l.Settings()
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		r.printf("Can not resolve path '%s'\n", path)
		return
	}
	if real, err = filepath.Abs(real); err != nil {
		r.printf("Can not resolve path '%s'\n", path)
		return
	}
	if filepath.Base(real) != index.HeaderFile {
		real = filepath.Join(real, index.HeaderFile)
	}
	data, err := os.ReadFile(real)
	var mh *index.MailboxHeader
	if err == nil {
		mh, err = index.ParseMailboxHeader(data)
	}
	if err != nil {
		r.printf("Invalid/missing cyrus.header at '%s'\n", real)
		return
	}
	part := ""
	var partRoot string
	for _, m := range []map[string]string{s.MetaPartitions, s.Partitions} {
		for p, root := range m {
			rr, err := filepath.EvalSymlinks(root)
			if err != nil {
				rr = root
			}
			if strings.HasPrefix(real, rr+"/") && len(rr) > len(partRoot) {
				part, partRoot = p, rr
			}
		}
	}
	if part == "" {
		r.printf("Header for mailbox '%s' is not located on a valid [meta]partition\n", mh.Name)
		return
	}
	e := &mboxlist.Entry{Name: mh.Name, Type: mboxlist.TypeEmail, Partition: part, UniqueID: mh.UniqueID,
		ACL: mh.ACL, HasACL: true}
	if mh.Type != "" {
		e.Type = mboxlist.ParseType(mh.Type)
	}
	fixHeader := false
	rel := strings.TrimPrefix(real, partRoot+"/")
	if e.UniqueID == "" {
		if strings.HasPrefix(rel, "uuid/") {
			parts := strings.Split(rel, "/")
			if len(parts) == 5 && len(parts[1]) == 1 && len(parts[2]) == 1 && len(parts[3]) >= 2 &&
				parts[3][0] == parts[1][0] && parts[3][1] == parts[2][0] && parts[4] == index.HeaderFile {
				e.UniqueID = parts[3]
				e.Type &^= mboxlist.LegacyDirs
			} else {
				r.printf("Header for mailbox '%s' is not located in proper UUID location: '%s'\n", e.Name, real)
				return
			}
		} else {
			if old, err := l.LookupAll(e.Name); err == nil && old.UniqueID != "" {
				e.UniqueID = old.UniqueID
			} else {
				e.UniqueID = mboxlist.NewUniqueID()
			}
			e.Type |= mboxlist.LegacyDirs
		}
		fixHeader = true
	}
	if e.Name == "" {
		old, err := l.LookupID(e.UniqueID)
		if err != nil || old.Name == "" {
			return
		}
		e.Name = old.Name
		fixHeader = true
	}
	if !strings.HasPrefix(rel, "uuid/") {
		e.Type |= mboxlist.LegacyDirs
	}
	loc, err := s.Locate(e)
	if err != nil {
		r.printf("Header for mailbox '%s' is not located on a valid [meta]partition\n", e.Name)
		return
	}
	want := filepath.Join(loc.MetaDir, index.HeaderFile)
	if wr, err := filepath.EvalSymlinks(want); err != nil || wr != real {
		r.printf("Header for mailbox '%s' (%s) is not located in proper location: '%s'\n", e.Name, e.UniqueID, want)
		return
	}
	nsl, err := l.LockNamespace(e.Name, lockfile.Exclusive)
	if err != nil {
		r.printf("failed to open mailbox %s (%s): %v\n", e.Name, e.UniqueID, err)
		return
	}
	defer nsl.Release()
	loc.UserLock = ""
	mb, err := mailbox.Open(loc, r.env.Mailbox, mailbox.ReadOnly)
	if err != nil {
		r.printf("failed to open mailbox %s (%s): %v\n", e.Name, e.UniqueID, err)
		return
	}
	h := mb.Header()
	mb.Close()
	e.UIDValidity, e.FolderModSeq, e.CreatedModSeq = h.UIDValidity, h.HighestModSeq, h.CreatedModSeq
	if fixHeader && r.opt.MakeChanges {
		mh.Type, mh.UniqueID, mh.Name = e.Type.String(), e.UniqueID, e.Name
		if err := r.rewriteHeader(loc, mh); err != nil {
			r.printf("failed to create mbentry for %s (%s): %v\n", e.Name, e.UniqueID, err)
			return
		}
	}
	if r.opt.MakeChanges {
		e.MTime = r.env.Now().Unix()
		if err := l.Update(func(t *mboxlist.Tx) error { return t.Put(e.Name, e) }); err != nil {
			r.printf("failed to create mbentry for %s (%s): %v\n", e.Name, e.UniqueID, err)
			return
		}
	}
	r.printf("created mbentry for %s (%s)\n", e.Name, e.UniqueID)
}

// rewriteHeader replaces cyrus.header under the mailbox's locks and keeps
// the index's copy of its CRC right.
func (r *Reconstructor) rewriteHeader(loc mailbox.Location, mh *index.MailboxHeader) error {
	b := &box{r: r, loc: loc}
	if err := b.lockName(lockfile.Shared); err != nil {
		return err
	}
	defer b.close()
	f, err := lockfile.OpenLocked(b.indexPath(), os.O_RDWR, 0, lockfile.Exclusive)
	if err != nil {
		return err
	}
	defer f.Close()
	raw, err := readAll(f)
	if err != nil {
		return err
	}
	h, err := index.ParseHeader(raw)
	if err != nil {
		return err
	}
	data := mh.Marshal()
	if err := writeFileSync(b.headerPath(), data); err != nil {
		return err
	}
	if err := fsyncDir(loc.MetaDir); err != nil {
		return err
	}
	h.HeaderFileCRC = index.FileCRC(data)
	if _, err := f.WriteAt(h.Bytes(), 0); err != nil {
		return err
	}
	return f.Sync()
}

// CreateOnPartition is reconstruct -p: name is not in mailboxes.db and
// its files are looked for on partition part, by name and by uuid. A
// mailbox found there gets an entry made from its cyrus.header; with
// noImport (-x), or when nothing is found, a new mailbox is created (its
// files by the reconstruct that follows, or at once with -x).
func (r *Reconstructor) CreateOnPartition(name, part string, noImport bool) error {
	l := r.env.List
	s := l.Settings()
	root, ok := s.PartitionRoot(part)
	if !ok {
		return fmt.Errorf("partition %s: %w", part, mboxlist.ErrPartition)
	}
	if !noImport {
		hp := filepath.Join(s.Layout.MailboxDir(root, name, "", true), index.HeaderFile)
		if data, err := os.ReadFile(hp); err == nil {
			mh, _ := index.ParseMailboxHeader(data)
			return r.createFromHeader(name, found{path: hp, partition: part, mh: mh, legacy: true}, false)
		}
		if err := r.scanUUIDs(); err != nil {
			return err
		}
		if f, ok := r.uuidHeaders[name]; ok && f.partition == part {
			return r.createFromHeader(name, f, false)
		}
	}
	if !r.opt.MakeChanges {
		return nil
	}
	_, err := l.Create(mboxlist.CreateRequest{Name: name, Partition: part, IsAdmin: true,
		ForceUser: true, DBOnly: !noImport})
	return err
}
