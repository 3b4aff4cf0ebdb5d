package quota

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"gyrus/lib/config"
	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/backends" // quota_db may name any backend
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
)

// ErrNoRoot: the quota root does not exist (Cyrus
// IMAP_QUOTAROOT_NONEXISTENT).
var ErrNoRoot = errors.New("Quota root does not exist")

// ErrOverQuota is what Check returns when a change would exceed a limit
// (Cyrus IMAP_QUOTA_EXCEEDED); it is lib/mailbox's error, so that
// errors.Is works on both sides of the hook.
var ErrOverQuota = mailbox.ErrOverQuota

// DB is an open quota database.
type DB struct {
	db *cyrusdb.DB
	// IsUserRoot tells roots under a user hierarchy (whose MODSEQ moves
	// with every write). Default: the name starts with "user." after an
	// optional domain.
	IsUserRoot  func(root string) bool
	virtdomains bool
}

// Options tell Open where the database is.
type Options struct {
	Path    string // quota_db_path; default <configdirectory>/quotas.db
	Backend string // quota_db; default quotalegacy
	cyrusdb.Options
}

// Open opens (creating if needed) the quota database.
func Open(o Options) (*DB, error) {
	if o.Backend == "" {
		o.Backend = "quotalegacy"
	}
	o.Flags |= cyrusdb.Create
	db, err := cyrusdb.OpenWith(o.Path, o.Backend, o.Options)
	if err != nil {
		return nil, fmt.Errorf("quota: open %s: %w", o.Path, err)
	}
	return &DB{db: db, virtdomains: o.VirtDomains}, nil
}

// OptionsFromConfig reads quota_db, quota_db_path, fulldirhash and
// virtdomains.
func OptionsFromConfig(c *config.Config) Options {
	o := Options{Path: c.QuotaDbPath(), Backend: c.QuotaDb()}
	if o.Path == "" {
		o.Path = filepath.Join(c.Configdirectory(), "quotas.db")
	}
	o.FullDirHash = c.Fulldirhash()
	o.VirtDomains = c.Virtdomains() != "off"
	return o
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// CyrusDB is the underlying database.
func (d *DB) CyrusDB() *cyrusdb.DB { return d.db }

func (d *DB) isUserRoot(root string) bool {
	if d.IsUserRoot != nil {
		return d.IsUserRoot(root)
	}
	if i := strings.IndexByte(root, '!'); i >= 0 {
		root = root[i+1:]
	}
	return strings.HasPrefix(root, "user.") && len(root) > 5
}

// Read returns a quota root's record, ErrNoRoot if there is none.
func (d *DB) Read(root string) (*Quota, error) {
	if root == "" {
		return nil, ErrNoRoot
	}
	v, err := d.db.Fetch([]byte(root))
	if errors.Is(err, cyrusdb.ErrNotFound) || err == nil && len(v) == 0 {
		return nil, ErrNoRoot
	}
	if err != nil {
		return nil, fmt.Errorf("quota: read %s: %w", root, err)
	}
	q, err := Parse(root, v, false)
	if err != nil {
		return nil, fmt.Errorf("quota: %s: %w", root, err)
	}
	return q, nil
}

// Modify runs fn on root's record inside one write transaction and stores
// the result (Cyrus quota_read with a write lock + quota_write). create
// makes a missing root (fn then sees New(root)); otherwise a missing root
// gives ErrNoRoot. silent keeps MODSEQ.
func (d *DB) Modify(root string, create, silent bool, fn func(q *Quota) error) error {
	if root == "" {
		return ErrNoRoot
	}
	tx, err := d.db.Begin()
	if err != nil {
		return fmt.Errorf("quota: %s: %w", root, err)
	}
	defer tx.Abort()
	var q *Quota
	v, err := tx.Fetch([]byte(root))
	switch {
	case err == nil && len(v) > 0:
		if q, err = Parse(root, v, true); err != nil {
			return fmt.Errorf("quota: %s: %w", root, err)
		}
	case err == nil || errors.Is(err, cyrusdb.ErrNotFound):
		if !create {
			return ErrNoRoot
		}
		q = New(root)
	default:
		return fmt.Errorf("quota: %s: %w", root, err)
	}
	if err := fn(q); err != nil {
		return err
	}
	if d.isUserRoot(root) && !silent {
		q.ModSeq++
	}
	if err := tx.Store([]byte(root), q.Encode()); err != nil {
		return fmt.Errorf("quota: %s: %w", root, err)
	}
	return tx.Commit()
}

// SetLimits sets the limits of root, creating it with zero usage if
// needed (the quota side of SETQUOTA; moving mailboxes under the new root
// is lib/mboxlist's SetQuota). Limits given as Unlimited are removed;
// resources not in limits keep theirs.
func (d *DB) SetLimits(root string, limits map[Resource]int64) error {
	return d.Modify(root, true, false, func(q *Quota) error {
		for r, l := range limits {
			if r < 0 || r >= NumResources {
				return fmt.Errorf("quota: bad resource %d", r)
			}
			q.Limit[r] = l
		}
		return nil
	})
}

// Delete removes a quota root.
func (d *DB) Delete(root string) error {
	if root == "" {
		return ErrNoRoot
	}
	err := d.db.Delete([]byte(root))
	if errors.Is(err, cyrusdb.ErrNotFound) {
		err = nil
	}
	return err
}

// Foreach calls fn for every root starting with prefix, in order.
func (d *DB) Foreach(prefix string, fn func(q *Quota) error) error {
	return d.db.Foreach([]byte(prefix), func(k, v []byte) error {
		if len(v) == 0 {
			return nil
		}
		q, err := Parse(string(k), v, false)
		if err != nil {
			log.Warn("quota: bad record", "root", string(k), "err", err)
			return nil
		}
		return fn(q)
	})
}

func (d *DB) exists(root string) bool {
	v, err := d.db.Fetch([]byte(root))
	return err == nil && len(v) > 0
}

// FindRoot returns the quota root governing mailbox name (Cyrus
// quota_findroot): name itself or its nearest ancestor that has a record,
// or with virtdomains the domain's root "domain!".
func (d *DB) FindRoot(name string) (string, bool, error) {
	mbox, dom := name, ""
	if d.virtdomains {
		if i := strings.IndexByte(name, '!'); i >= 0 {
			dom, mbox = name[:i+1], name[i+1:]
		}
	}
	cur := mbox
	for {
		if d.exists(dom + cur) {
			return dom + cur, true, nil
		}
		i := strings.LastIndexByte(cur, '.')
		if i < 0 {
			break
		}
		cur = cur[:i]
	}
	if dom != "" && d.exists(dom) {
		return dom, true, nil
	}
	return "", false, nil
}

// Root is FindRoot under the name lib/mboxlist's QuotaHook expects.
func (d *DB) Root(name string) (string, bool, error) { return d.FindRoot(name) }

func deltaOf(u mailbox.Usage) [NumResources]int64 {
	return [NumResources]int64{u.Storage, u.Messages, u.AnnotStorage, u.Folders}
}

// CheckUseds reports ErrOverQuota if adding diff to root would pass a
// limit (Cyrus quota_check_useds: negative deltas never fail, a missing
// root never fails).
func (d *DB) CheckUseds(root string, diff [NumResources]int64) error {
	any := false
	for _, v := range diff {
		if v >= 0 {
			any = true
		}
	}
	if !any {
		return nil
	}
	q, err := d.Read(root)
	if errors.Is(err, ErrNoRoot) {
		return nil
	}
	if err != nil {
		return err
	}
	for r := Resource(0); r < NumResources; r++ {
		if q.Over(r, diff[r]) {
			return fmt.Errorf("%s %s: %w", root, Names[r], ErrOverQuota)
		}
	}
	return nil
}

// UpdateUseds adds diff to root's usage in one transaction (Cyrus
// quota_update_useds). A missing root is an error (ErrNoRoot); mboxname,
// when a `quota -f` scan of the root is under way, keeps the scan's
// numbers right.
func (d *DB) UpdateUseds(root string, diff [NumResources]int64, mboxname string, silent bool) error {
	return d.Modify(root, false, silent, func(q *Quota) error {
		cmp := 1
		if mboxname != "" && q.ScanMbox != "" {
			cmp = cyrusdb.CompareMbox([]byte(mboxname), []byte(q.ScanMbox))
		}
		for r := Resource(0); r < NumResources; r++ {
			if q.Use(r, diff[r]) {
				log.Info("quota underflow", "root", root, "resource", Names[r])
			}
			if cmp <= 0 {
				q.ScanUsed[r] += diff[r]
			}
		}
		return nil
	})
}

// Check implements lib/mailbox's Quota hook: may root grow by delta?
func (d *DB) Check(root string, delta mailbox.Usage) error {
	return d.CheckUseds(root, deltaOf(delta))
}

// Charge implements lib/mailbox's Quota hook: add delta to root's usage.
// A root that no longer exists is not an error (the mailbox's header may
// name a root removed meanwhile; Cyrus logs and goes on).
func (d *DB) Charge(root string, delta mailbox.Usage) error {
	err := d.UpdateUseds(root, deltaOf(delta), "", false)
	if errors.Is(err, ErrNoRoot) {
		log.Warn("quota: charge to a missing root", "root", root)
		return nil
	}
	return err
}
