package mailbox

import (
	"errors"
	"fmt"
	"time"

	"gyrus/lib/config"
)

// ExpungeMode is imapd.conf's expunge_mode.
type ExpungeMode int

const (
	// ExpungeDelayed (the 3.6 default): expunged records stay in
	// cyrus.index, flagged EXPUNGED, with their files, until
	// ExpungeCleanup (cyr_expire -X) marks them UNLINKED and a repack
	// removes them.
	ExpungeDelayed ExpungeMode = iota
	// ExpungeSemiDelayed: the records stay, but the files are unlinked
	// when the mailbox is closed.
	ExpungeSemiDelayed
	// ExpungeImmediate: files unlinked and records removed (repack) when
	// the mailbox is closed.
	ExpungeImmediate
)

// ParseExpungeMode reads an expunge_mode value.
func ParseExpungeMode(s string) (ExpungeMode, error) {
	switch s {
	case "delayed", "default", "":
		return ExpungeDelayed, nil
	case "semidelayed":
		return ExpungeSemiDelayed, nil
	case "immediate":
		return ExpungeImmediate, nil
	}
	return 0, fmt.Errorf("expunge_mode %q: want delayed, semidelayed or immediate", s)
}

func (m ExpungeMode) String() string {
	switch m {
	case ExpungeSemiDelayed:
		return "semidelayed"
	case ExpungeImmediate:
		return "immediate"
	}
	return "delayed"
}

// Usage is what a mailbox counts against its quota root, in Cyrus's
// quota resources (STORAGE in bytes, MESSAGE, X-ANNOTATION-STORAGE,
// X-NUM-FOLDERS). As a delta it may be negative.
type Usage struct {
	Storage      int64
	Messages     int64
	AnnotStorage int64
	Folders      int64
}

// Add returns u + v.
func (u Usage) Add(v Usage) Usage {
	return Usage{u.Storage + v.Storage, u.Messages + v.Messages, u.AnnotStorage + v.AnnotStorage, u.Folders + v.Folders}
}

// Sub returns u - v.
func (u Usage) Sub(v Usage) Usage {
	return Usage{u.Storage - v.Storage, u.Messages - v.Messages, u.AnnotStorage - v.AnnotStorage, u.Folders - v.Folders}
}

// IsZero reports whether every resource is zero.
func (u Usage) IsZero() bool { return u == Usage{} }

// ErrOverQuota is what a Quota's Check returns (wrapped) when a change
// would exceed a limit.
var ErrOverQuota = errors.New("over quota")

// Quota is the hook through which the quota store (another package)
// learns what a mailbox transaction does to its quota root. Mailbox calls
// Check before an append or an annotation write that grows the usage
// (under the mailbox's exclusive index lock), and Charge once per
// committed transaction with the net change, after the per-message
// annotations are committed and before the index header is written
// (lock order: cyrus.index, then quota). Charge is not undone if the
// index write then fails: the usage is then too high until `quota -f`,
// as with Cyrus.
type Quota interface {
	Check(root string, delta Usage) error
	Charge(root string, delta Usage) error
}

// Options are the settings a mailbox handle works with. They are plain
// values so that tests need no imapd.conf.
type Options struct {
	ExpungeMode ExpungeMode
	// Quota receives usage changes; nil disables quota accounting.
	Quota Quota
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// SingleInstanceStore (imapd.conf singleinstancestore, default on):
	// deliveries hard-link one staged file into every target mailbox of
	// the partition instead of copying it.
	SingleInstanceStore bool
	// MaxUserFlagsClient bounds the user flags a client may create
	// (Cyrus: 100 of the 128 slots stay for tools); 0 means 100.
	MaxUserFlagsClient int
	// AnnotationDB is the cyrusdb backend of cyrus.annotations
	// (annotation_db); "" means twoskip.
	AnnotationDB string
	// ArchiveRoots are the partitions with an archive partition
	// (archive.go); nil when archive_enabled is off.
	ArchiveRoots map[string]ArchiveRoot
}

// DefaultOptions are Cyrus 3.6.1's defaults.
func DefaultOptions() Options {
	return Options{ExpungeMode: ExpungeDelayed, SingleInstanceStore: true, AnnotationDB: "twoskip"}
}

// OptionsFromConfig reads expunge_mode, singleinstancestore and
// annotation_db from imapd.conf. Quota and Now are left to the caller.
func OptionsFromConfig(c *config.Config) (Options, error) {
	o := DefaultOptions()
	m, err := ParseExpungeMode(c.ExpungeMode())
	if err != nil {
		return o, err
	}
	o.ExpungeMode = m
	o.SingleInstanceStore = c.Singleinstancestore()
	if db := c.AnnotationDb(); db != "" {
		o.AnnotationDB = db
	}
	o.ArchiveRoots = ArchiveRootsFromConfig(c)
	return o, nil
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Options) nowUnix() uint32 { return uint32(o.now().Unix()) }
