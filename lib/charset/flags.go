package charset

// Flags are Cyrus's CHARSET_* conversion flags that matter for search
// (lib/charset.h); imapd sets them once from imapd.conf (imap/global.c).
type Flags uint32

const (
	// SkipDiacrit drops combining diacritical marks (search_skipdiacrit,
	// default on).
	SkipDiacrit Flags = 1 << 0
	// SkipSpace drops all white space (search_whitespace: skip).
	SkipSpace Flags = 1 << 1
	// MergeSpace turns each run of white space into one space
	// (search_whitespace: merge, the default).
	MergeSpace Flags = 1 << 2
	// KeepCase skips case folding and decomposition: only the white
	// space rules apply (how a search string is first read).
	KeepCase Flags = 1 << 4
	// MIMEUTF8 reads unencoded 8-bit header text as UTF-8 instead of
	// US-ASCII (rfc2047_utf8).
	MIMEUTF8 Flags = 1 << 6
)

// DefaultFlags are the flags of an imapd.conf without search settings.
const DefaultFlags = SkipDiacrit | MergeSpace

// ConfigFlags computes the flags from search_skipdiacrit,
// search_whitespace ("merge", "skip" or "keep") and rfc2047_utf8.
func ConfigFlags(skipDiacrit bool, whitespace string, rfc2047UTF8 bool) Flags {
	var f Flags
	if skipDiacrit {
		f |= SkipDiacrit
	}
	switch whitespace {
	case "merge":
		f |= MergeSpace
	case "skip":
		f |= SkipSpace
	}
	if rfc2047UTF8 {
		f |= MIMEUTF8
	}
	return f
}
