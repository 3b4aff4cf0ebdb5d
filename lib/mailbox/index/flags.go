package index

// System flags: the low 16 bits of the record's flag word (spec/formats.md
// §6.3). \Recent is not stored (it is derived from the header's
// recentuid).
const (
	FlagAnswered uint32 = 1 << 0
	FlagFlagged  uint32 = 1 << 1
	FlagDeleted  uint32 = 1 << 2
	FlagDraft    uint32 = 1 << 3
	FlagSeen     uint32 = 1 << 4

	SystemFlagsMask = FlagAnswered | FlagFlagged | FlagDeleted | FlagDraft | FlagSeen
)

// Internal flags: the high 16 bits of the same word.
const (
	InternalSnoozed           uint32 = 1 << 26
	InternalSplitConversation uint32 = 1 << 27
	InternalNeedsCleanup      uint32 = 1 << 28
	InternalArchived          uint32 = 1 << 29
	InternalUnlinked          uint32 = 1 << 30 // message file removed
	InternalExpunged          uint32 = 1 << 31 // record expunged
)

// Mailbox options (index header offset 60). Only the bits in OptionsValid
// survive a write, as in Cyrus.
const (
	OptPOP3NewUIDL    uint32 = 1 << 0
	OptIMAPCondstore  uint32 = 1 << 1 // obsolete, never reused
	OptSharedSeen     uint32 = 1 << 2
	OptDupDeliver     uint32 = 1 << 3
	OptHasAlarms      uint32 = 1 << 4
	OptNeedsUnlink    uint32 = 1 << 29
	OptNeedsRepack    uint32 = 1 << 30
	OptMailboxDeleted uint32 = 1 << 31

	// OptGyrusCommitting is Gyrus's own bit (unused by Cyrus 3.6.1,
	// which masks it away when it writes a header): set in the header on
	// disk while a commit writes records in place, cleared by the
	// commit's final header write. Found set, it means a Gyrus process
	// died in between: the counters are recomputed.
	OptGyrusCommitting uint32 = 1 << 16

	OptionsMask  = OptPOP3NewUIDL | OptSharedSeen | OptDupDeliver | OptHasAlarms
	CleanupMask  = OptNeedsUnlink | OptNeedsRepack | OptMailboxDeleted
	OptionsValid = OptionsMask | CleanupMask
)

// MaxUserFlags is the number of user flag slots (4 words of 32 bits).
const MaxUserFlags = 128

// SystemFlagNames are the IMAP names of the system flags, in the order
// Cyrus lists them (mailbox_extract_flags): \Seen first, then \Deleted,
// \Draft, \Flagged, \Answered.
var SystemFlagNames = []struct {
	Bit  uint32
	Name string
}{
	{FlagSeen, `\Seen`},
	{FlagDeleted, `\Deleted`},
	{FlagDraft, `\Draft`},
	{FlagFlagged, `\Flagged`},
	{FlagAnswered, `\Answered`},
}

// SystemFlag returns the bit of a system flag name (case-insensitive), or
// 0 if name is not one (\Recent included: it is not stored).
func SystemFlag(name string) uint32 {
	for _, f := range SystemFlagNames {
		if equalFoldASCII(f.Name, name) {
			return f.Bit
		}
	}
	return 0
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// EqualFold is ASCII case-insensitive comparison (Cyrus strcasecmp), the
// rule for user flag names.
func EqualFold(a, b string) bool { return equalFoldASCII(a, b) }
