package mboxlist

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"gyrus/lib/config"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxname"
)

// Settings are the imapd.conf facts the mailbox list works with. They are
// plain values so that tests need no imapd.conf; SettingsFromConfig fills
// them from one.
type Settings struct {
	Path    string // mboxlist_db_path, default <configdirectory>/mailboxes.db
	Backend string // mboxlist_db, default twoskip
	Layout  mboxname.Layout

	// Partitions maps partition names to spool roots (partition-<name>);
	// MetaPartitions to metadata roots (metapartition-<name>).
	Partitions     map[string]string
	MetaPartitions map[string]string
	// DefaultPartition (defaultpartition) is used for new top-level
	// mailboxes; when empty, SelectMode picks one.
	DefaultPartition string
	SelectMode       string   // partition_select_mode
	SelectExclude    []string // partition_select_exclude
	SoftUsageLimit   int      // partition_select_soft_usage_limit (percent)

	LegacyDirs     bool   // mailbox_legacy_dirs
	DefaultACL     string // defaultacl ("anyone lrs")
	DeleteDelayed  bool   // delete_mode: delayed
	AllowUserMoves bool   // allowusermoves

	// SubsBackend (subscription_db, "" = flat) and SieveUseHomeDir
	// (sieveusehomedir) are what the rename of a legacy user needs to
	// move the user's subscriptions and sieve directory.
	SubsBackend     string
	SieveUseHomeDir bool

	// Quota, when set, gives quota roots and receives folder usage.
	Quota QuotaHook

	// Mailbox are the options handed to lib/mailbox (quota hook, expunge
	// mode, clock).
	Mailbox mailbox.Options

	// NoSync opens the database without fsync (tests only).
	NoSync bool
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// SettingsFromConfig reads the settings from imapd.conf.
func SettingsFromConfig(c *config.Config) (Settings, error) {
	lay, err := mboxname.LayoutFromConfig(c)
	if err != nil {
		return Settings{}, err
	}
	s := Settings{
		Path:             c.MboxlistDbPath(),
		Backend:          c.MboxlistDb(),
		Layout:           lay,
		Partitions:       c.Partitions(),
		MetaPartitions:   c.MetaPartitions(),
		DefaultPartition: c.Defaultpartition(),
		SelectMode:       c.PartitionSelectMode(),
		SelectExclude:    strings.FieldsFunc(c.PartitionSelectExclude(), func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }),
		SoftUsageLimit:   c.PartitionSelectSoftUsageLimit(),
		LegacyDirs:       c.MailboxLegacyDirs(),
		DefaultACL:       c.Defaultacl(),
		DeleteDelayed:    c.DeleteMode() != "immediate",
		AllowUserMoves:   c.Allowusermoves(),
		SubsBackend:      c.SubscriptionDb(),
		SieveUseHomeDir:  c.Sieveusehomedir(),
		Mailbox:          mailbox.DefaultOptions(),
	}
	if !c.MetapartitionFiles().Has(config.MetapartitionFilesHeader) {
		// lib/mailbox keeps all cyrus.* files together: metapartitions
		// are used only when they hold the header (and so the rest).
		s.MetaPartitions = nil
	}
	if s.Path == "" {
		s.Path = filepath.Join(c.Configdirectory(), "mailboxes.db")
	}
	if em, err := mailbox.ParseExpungeMode(c.ExpungeMode()); err == nil {
		s.Mailbox.ExpungeMode = em
	}
	if s.DefaultPartition != "" {
		if _, ok := s.Partitions[s.DefaultPartition]; !ok {
			return s, fmt.Errorf("defaultpartition %q has no partition-%s", s.DefaultPartition, s.DefaultPartition)
		}
	}
	return s, nil
}

// PartitionRoot returns the spool root of a partition.
func (s *Settings) PartitionRoot(part string) (string, bool) {
	r, ok := s.Partitions[part]
	return r, ok
}

// Locate returns where the files of e are (lib/mailbox Location), with
// metapartitions applied, or ErrPartition if its partition is unknown.
func (s *Settings) Locate(e *Entry) (mailbox.Location, error) {
	root, ok := s.Partitions[e.Partition]
	if !ok {
		return mailbox.Location{}, fmt.Errorf("%s: partition %q: %w", e.Name, e.Partition, ErrPartition)
	}
	loc := mailbox.Locate(&s.Layout, e.Partition, root, e.Name, e.UniqueID, e.IsLegacy())
	if mr, ok := s.MetaPartitions[e.Partition]; ok && mr != "" {
		loc.MetaDir = s.Layout.MailboxDir(mr, e.Name, e.UniqueID, e.IsLegacy())
	}
	return loc, nil
}
