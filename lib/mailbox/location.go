package mailbox

import (
	"path/filepath"

	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxname"
)

// Location says where a mailbox's files are and under which names it is
// locked. Build it with Locate from mailboxes.db facts, or fill it by hand
// in tests.
type Location struct {
	Name      string // internal mailbox name (cyrus.header N)
	UniqueID  string // mailbox uniqueid (cyrus.header I)
	Legacy    bool   // by-name ("l" mbtype flag) rather than by-uuid directories
	Partition string // partition name
	// Dir holds the message files <uid>. ; MetaDir the cyrus.* files
	// (the same directory unless metapartitions are in use).
	Dir     string
	MetaDir string
	// StageDir is the partition's staging directory (<root>/stage.).
	StageDir string
	// ArchiveDir holds the files of archived messages (archive.go); ""
	// means Dir. Open fills it from Options.ArchiveRoots.
	ArchiveDir string
	// NameLock is the mailbox name lock file (spec/formats.md §3.4),
	// UserLock the owner's namespace lock file ("*U*<userid>"); either
	// may be "" to skip that lock (tests, tools working on copies).
	NameLock string
	UserLock string
	// Owner is the userid owning the mailbox ("" for shared mailboxes);
	// its private annotations are stored under Cyrus's owner token.
	Owner string
}

// Locate computes the Location of a mailbox from the naming layout
// (hashimapspool, fulldirhash, lock directory) and the partition root:
// by-uuid paths "<root>/uuid/<c0>/<c1>/<uniqueid>" unless legacy, then
// Cyrus's hashed by-name path; lock files named by uniqueid (or by name
// for legacy mailboxes) and by "*U*<owner>".
func Locate(l *mboxname.Layout, partition, partRoot, intname, uniqueid string, legacy bool) Location {
	dir := l.MailboxDir(partRoot, intname, uniqueid, legacy)
	owner := l.NS.UserOf(intname)
	loc := Location{
		Name:      intname,
		UniqueID:  uniqueid,
		Legacy:    legacy,
		Partition: partition,
		Dir:       dir,
		MetaDir:   dir,
		StageDir:  mboxname.StagePath(partRoot),
		NameLock:  l.LockPath(mboxname.MailboxLockName(intname, uniqueid, legacy)),
		Owner:     owner,
	}
	if owner != "" {
		loc.UserLock = l.LockPath(mboxname.UserLockName(owner))
	}
	return loc
}

func (l *Location) headerPath() string      { return filepath.Join(l.MetaDir, index.HeaderFile) }
func (l *Location) indexPath() string       { return filepath.Join(l.MetaDir, index.IndexFile) }
func (l *Location) cachePath() string       { return filepath.Join(l.MetaDir, index.CacheFile) }
func (l *Location) annotationsPath() string { return filepath.Join(l.MetaDir, index.AnnotationsFile) }

// MessagePath is the file of message uid ("<Dir>/<uid>.").
func (l *Location) MessagePath(uid uint32) string { return mboxname.MessagePath(l.Dir, uid) }

// IndexPath is the path of cyrus.index (what change notification watches).
func (l *Location) IndexPath() string { return l.indexPath() }
