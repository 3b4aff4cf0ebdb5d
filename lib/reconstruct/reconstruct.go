package reconstruct

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"gyrus/lib/annotate"
	"gyrus/lib/lockfile"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/message"
	"gyrus/lib/quota"
)

// Env is what the engine works with: the open databases and settings of
// one configuration. Quota and Annot may be nil (no quota accounting, no
// mailbox-level annotations counted in quota_annot_used).
type Env struct {
	List    *mboxlist.List
	Quota   *quota.DB
	Annot   *annotate.DB
	Mailbox mailbox.Options // expunge mode, annotation_db backend
	Message message.Options // how message files are parsed
	// DefaultOptions are mailbox_default_options, given to an index that
	// is rebuilt from scratch (with POP3_NEW_UIDL, as Cyrus does).
	DefaultOptions uint32
	// Out receives the repair messages (Cyrus prints them on stdout),
	// Err the error messages (stderr).
	Out, Err io.Writer
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Options are the switches of reconstruct(8).
type Options struct {
	MakeChanges    bool // not -n
	Stat           bool // not -s: stat every message file
	Quiet          bool // -q: no mailbox name line, less logging
	AlwaysParse    bool // -G: parse every message file again
	GUIDRewrite    bool // -R: a file whose GUID changed gets a new UID
	GUIDUnlink     bool // -U: a file whose GUID changed is removed
	IgnoreOddFiles bool // -o
	RemoveOddFiles bool // -O
	PreferMboxlist bool // -M: mailboxes.db wins over cyrus.header
	UpdateUniqueID bool // -I: a uniqueid used by another mailbox is replaced
	// SetVersion, when not 0, converts cyrus.index to that minor
	// version (-V) instead of reconstructing.
	SetVersion int
	// NoName suppresses the mailbox name line even without Quiet
	// (chk_cyrus prints only the messages of mailbox_reconstruct).
	NoName bool
	// NoMboxlist skips the comparison with mailboxes.db (chk_cyrus).
	NoMboxlist bool
}

// Reconstructor runs reconstructs with one Env and one set of Options.
// It remembers the mailboxes it has done, so that a name matched twice
// (by a pattern and by -r) is done once. It is used by one goroutine.
type Reconstructor struct {
	env     Env
	opt     Options
	visited map[string]bool

	discovered  map[string]found // by Discover, for CreateDiscovered
	uuidHeaders map[string]found // by-uuid mailboxes on disk, by name
}

// New returns a Reconstructor.
func New(env Env, o Options) *Reconstructor {
	if env.Out == nil {
		env.Out = io.Discard
	}
	if env.Err == nil {
		env.Err = os.Stderr
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	return &Reconstructor{env: env, opt: o, visited: map[string]bool{}, discovered: map[string]found{}}
}

// ErrUniqueIDClash is returned when the mailbox's uniqueid belongs to
// another mailbox in mailboxes.db and -I was not given (Cyrus exits 1).
var ErrUniqueIDClash = errors.New("uniqueid clash")

func (r *Reconstructor) printf(format string, a ...any) {
	fmt.Fprintf(r.env.Out, format, a...)
}

func (r *Reconstructor) ns() *mboxname.Namespace { return r.env.List.NS() }

// External is the admin's external name of an internal one, as the tools
// print it.
func (r *Reconstructor) External(intname string) string {
	ns := r.ns()
	ext, ok := ns.External(ns.ParseInternal(intname), mboxname.Viewer{IsAdmin: true})
	if !ok {
		return intname
	}
	return ext
}

// Visited reports whether name was already reconstructed by this
// Reconstructor.
func (r *Reconstructor) Visited(name string) bool { return r.visited[name] }

// Mailbox reconstructs the mailbox of internal name name (Cyrus
// do_reconstruct): the mailbox files first, then its mailboxes.db entry,
// then the name line, then the commit. A mailbox already done by this
// Reconstructor is skipped. Errors opening the mailbox are reported on
// Err in Cyrus's words and returned.
func (r *Reconstructor) Mailbox(name string) error {
	if r.visited[name] {
		return nil
	}
	l := r.env.List
	e, err := l.Lookup(name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if e.Type.Has(mboxlist.Intermediate) || e.Type.Has(mboxlist.Remote) {
		return nil
	}
	nsl, err := l.LockNamespace(name, lockfile.Exclusive)
	if err != nil {
		return fmt.Errorf("%s: namespace lock: %w", name, err)
	}
	defer nsl.Release()
	// the entry as it is now that we hold the lock
	if e, err = l.Lookup(name); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	b, err := r.openBox(e)
	if err != nil {
		fmt.Fprintf(r.env.Err, "%s: %v Failed to reconstruct mailbox\n", name, err)
		return err
	}
	defer b.close()
	if r.opt.SetVersion != 0 && (b.fresh || b.mh == nil) {
		fmt.Fprintf(r.env.Err, "%s: %v Failed to open mailbox to set version\n", name, errUnreadable)
		return errUnreadable
	}
	if r.opt.SetVersion == 0 {
		if err := b.reconstruct(); err != nil {
			fmt.Fprintf(r.env.Err, "%s: %v Failed to reconstruct mailbox\n", name, err)
			return err
		}
	}
	if !r.opt.NoMboxlist {
		if err := r.fixEntry(b); err != nil {
			return err
		}
	}
	ext := r.External(name)
	if !r.opt.Quiet && !r.opt.NoName {
		r.printf("%s\n", ext)
	}
	if r.opt.SetVersion != 0 && uint32(r.opt.SetVersion) != b.h.MinorVersion {
		old := b.h.MinorVersion
		if err := b.setVersion(uint32(r.opt.SetVersion)); err != nil {
			r.printf("FAILED TO REPACK %s with new version %v\n", ext, err)
		} else {
			r.printf("Converted %s version %d to %d\n", ext, old, r.opt.SetVersion)
		}
	}
	if r.opt.MakeChanges {
		if err := b.commit(); err != nil {
			return fmt.Errorf("%s: commit: %w", name, err)
		}
		if err := b.move(); err != nil {
			return fmt.Errorf("%s: move to the new uniqueid: %w", name, err)
		}
		if ne := b.entryUpdate; ne != nil {
			err := l.Update(func(t *mboxlist.Tx) error { return t.Put(name, ne) })
			if err != nil {
				log.Error("IOERROR: failed to update mbentry", "mailbox", name, "error", err.Error())
				fmt.Fprintf(r.env.Err, "IOERROR: failed to update mbentry for %s (%v)\n", name, err)
			}
		}
	}
	b.close()
	if r.opt.MakeChanges && b.wantCleanup {
		r.cleanup(b)
	}
	r.visited[name] = true
	return nil
}

// cleanup does what Cyrus's mailbox_close does after a reconstruct: if
// nobody else has the mailbox open, the files of unlinked records are
// removed and the index repacked without them.
func (r *Reconstructor) cleanup(b *box) {
	loc := b.loc
	loc.UserLock = "" // we hold the namespace lock already
	mb, err := mailbox.Open(loc, r.env.Mailbox, mailbox.ReadWrite)
	if err != nil {
		return
	}
	mb.Close()
}

// fixEntry is the second half of Cyrus's do_reconstruct: mailboxes.db and
// the mailbox must agree on uniqueid, UIDVALIDITY and ACL.
func (r *Reconstructor) fixEntry(b *box) error {
	l := r.env.List
	name := b.e.Name
	byName, err := l.Lookup(name)
	if err != nil {
		r.printf("Failed to re-read %s!\n", name)
		return err
	}
	dirty := false
	switch {
	case b.mh.UniqueID == byName.UniqueID:
	case !b.loc.Legacy:
		// the mailbox was found by the uniqueid of mailboxes.db: its
		// directory proves that id, the header is what is wrong
		r.printf("Wrong uniqueid in cyrus.header, fixing %s (%s -> %s)\n", name, b.mh.UniqueID, byName.UniqueID)
		b.mh.UniqueID = byName.UniqueID
		b.mhDirty = true
	default:
		r.printf("Wrong uniqueid in mbentry, fixing %s (%s -> %s)\n", name, byName.UniqueID, b.mh.UniqueID)
		byName.UniqueID = b.mh.UniqueID
		dirty = true
	}
	byID, err := l.LookupID(byName.UniqueID)
	switch {
	case errors.Is(err, mboxlist.ErrNotFound):
		r.printf("Missing mboxlist entry for uniqueid - will rewrite %s (%s)\n", name, byName.UniqueID)
		dirty = true
	case err != nil && !errors.Is(err, mboxlist.ErrReserved):
		r.printf("Error reading mailboxesdb for %s\n", name)
		return err
	case byID != nil && byID.Name != name:
		r.printf("Wrong uniqueid! %s (should be %s)\n", byID.Name, name)
		if !r.opt.UpdateUniqueID {
			return fmt.Errorf("%s: uniqueid %s belongs to %s: %w", name, byName.UniqueID, byID.Name, ErrUniqueIDClash)
		}
		if err := b.newUniqueID(); err != nil {
			return err
		}
		byName.UniqueID = b.mh.UniqueID
		dirty = true
	case byID != nil:
		if byName.UIDValidity != byID.UIDValidity {
			r.printf("mismatched uidvalidity byid %s (%d %d)\n", name, byName.UIDValidity, byID.UIDValidity)
			dirty = true
		}
		if byName.Type != byID.Type {
			r.printf("mismatched mbtype byid %s (%d %d)\n", name, uint32(byName.Type), uint32(byID.Type))
			dirty = true
		}
		if byName.Partition != byID.Partition {
			r.printf("mismatched partition byid %s (%s %s)\n", name, byName.Partition, byID.Partition)
			dirty = true
		}
		if byName.Server != byID.Server {
			r.printf("mismatched server byid %s (%s %s)\n", name, cstr(byName.Server), cstr(byID.Server))
			dirty = true
		}
		if byName.ACL != byID.ACL {
			r.printf("mismatched acl byid %s (%s %s)\n", name, byName.ACL, byID.ACL)
			dirty = true
		}
	}
	if b.h.UIDValidity != byName.UIDValidity {
		if b.h.UIDValidity == 0 || (r.opt.PreferMboxlist && byName.UIDValidity != 0) {
			r.printf("Wrong uidvalidity in mailbox, fixing %s (%d -> %d)\n", name, b.h.UIDValidity, byName.UIDValidity)
			b.h.UIDValidity = byName.UIDValidity
		} else {
			r.printf("Wrong uidvalidity in mbentry, fixing %s (%d -> %d)\n", name, byName.UIDValidity, b.h.UIDValidity)
			byName.UIDValidity = b.h.UIDValidity
			dirty = true
		}
	}
	if b.mh.ACL != byName.ACL {
		if r.opt.PreferMboxlist {
			r.printf("Wrong acl in mbentry %s (%s %s)\n", name, b.mh.ACL, byName.ACL)
			b.mh.ACL, b.mh.HasACL = byName.ACL, true
			b.mhDirty = true
		} else {
			r.printf("Wrong acl in mbentry %s (%s %s)\n", name, byName.ACL, b.mh.ACL)
			byName.ACL, byName.HasACL = b.mh.ACL, true
			dirty = true
		}
	}
	if dirty && r.opt.MakeChanges {
		b.entryUpdate = byName
	}
	return nil
}

// cstr prints a string as glibc's printf prints a C string that may be
// NULL.
func cstr(s string) string {
	if s == "" {
		return "(null)"
	}
	return s
}
