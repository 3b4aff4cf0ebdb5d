// Package version names this build of Gyrus for -V flags, cyr_info and
// cyr_buildinfo.
package version

// Package is what `master -V` prints before the version, as Cyrus prints
// "cyrus-imapd".
const Package = "gyrus"

// Version is the Gyrus release.
const Version = "0.1.0"

// CyrusCompat is the Cyrus release whose formats, options and answers
// Gyrus reproduces.
const CyrusCompat = "3.6.1"

// Commit is set by the Makefile (-ldflags -X) to `git describe`.
var Commit = "dev"

// String is the one-line version: "gyrus 0.1.0 (cyrus-imapd 3.6.1 compatible)".
func String() string {
	return Package + " " + Version + " (cyrus-imapd " + CyrusCompat + " compatible)"
}
