package cyrusdb

import "bytes"

// CompareRaw is the default key order: bytes compared as unsigned, a
// prefix sorting before the longer key (Cyrus bsearch_ncompare_raw).
func CompareRaw(a, b []byte) int { return bytes.Compare(a, b) }

// mboxOrder maps each byte to its rank in Cyrus's mailbox order
// (lib/bsearch.c): '.' ranks just above TAB/LF so that "user.a" sorts
// before "user.a b" and before "user.ab"; control bytes 1..8 move up by
// two to make room. TAB and LF share rank 1, which only matters for
// flat's line search (keys there never contain them unescaped).
var mboxOrder = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for i := 1; i <= 8; i++ {
		t[i] = byte(i + 2)
	}
	t['\t'] = 1
	t['\n'] = 1
	t['.'] = 2
	return t
}()

// CompareMbox compares keys in Cyrus's mailbox order (the MboxSort flag,
// and always for flat files): byte ranks from mboxOrder, a prefix sorting
// before the longer key (Cyrus bsearch_ncompare_mbox).
func CompareMbox(a, b []byte) int {
	n := len(a)
	if len(b) < n {
		n = len(b)
	}
	for i := 0; i < n; i++ {
		if x, y := mboxOrder[a[i]], mboxOrder[b[i]]; x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// MboxRank is the rank of byte c in mailbox order (for backends that
// compare encoded forms byte by byte).
func MboxRank(c byte) byte { return mboxOrder[c] }

// Comparator returns the key order chosen by flags.
func Comparator(f Flags) func(a, b []byte) int {
	if f&MboxSort != 0 {
		return CompareMbox
	}
	return CompareRaw
}

// HasPrefix reports whether key starts with prefix.
func HasPrefix(key, prefix []byte) bool { return bytes.HasPrefix(key, prefix) }
