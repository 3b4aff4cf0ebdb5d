// Package mboxlist_test holds the end-to-end tests of the mailbox list:
// rename atomicity seen from other processes, SIGKILL in the middle of a
// rename, and the comparisons with the real Cyrus 3.6.1 (oracle).
package mboxlist_test

import (
	"os"
	"path/filepath"
	"testing"

	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
)

// settings for a spool in dir (Debian's namespace, hashimapspool on).
func settings(dir string) mboxlist.Settings {
	ns := mboxname.DefaultNamespace()
	ns.AltNamespace, ns.UnixHierarchySep = false, false
	return mboxlist.Settings{
		Layout:        mboxname.Layout{NS: ns, HashIMAPSpool: true, ConfigDir: filepath.Join(dir, "conf")},
		Partitions:    map[string]string{"default": filepath.Join(dir, "spool")},
		DefaultACL:    "anyone lrs",
		DeleteDelayed: true,
		Mailbox:       mailbox.DefaultOptions(),
	}
}

func open(t testing.TB, dir string) *mboxlist.List {
	t.Helper()
	os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
	l, err := mboxlist.Open(settings(dir))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// fastDir is a temporary directory on tmpfs when the machine has one:
// lib/mailbox fsyncs every file it writes, which on a disk makes the
// thousand-mailbox tests take minutes; the properties tested here
// (atomicity to other processes, recovery after SIGKILL) do not depend on
// the disk, since a killed process leaves the kernel's page cache intact.
func fastDir(t testing.TB) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "gyrus-mboxlist-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}
