package mailbox

import (
	"os"
	"testing"
)

// TestHeaderReloadOnSameInode: a session that loaded cyrus.header must see
// a user flag another session created even when the new cyrus.header has
// the inode of the one it loaded (ext4 reuses freed inodes; test/imap's
// copy/shared-rights caught it). The index header's CRC of cyrus.header
// decides, as in Cyrus.
func TestHeaderReloadOnSameInode(t *testing.T) {
	a, loc := newTestMailbox(t)
	appendN(t, a, 1, 1)
	path := loc.headerPath()
	keep := path + ".keep"
	if err := os.Link(path, keep); err != nil { // hold on to A's inode
		t.Fatal(err)
	}
	b, err := Open(loc, testOpts(), ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tx, err := b.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.UserFlag("$Reused", FlagCreateClient); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// Put the new content into the old inode, where A looks.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(keep, path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.Refresh(); err != nil {
		t.Fatal(err)
	}
	if f := a.UserFlags(); f[0] != "$Reused" {
		t.Fatalf("user flags after refresh %q: the header on the same inode was not reloaded", f[:2])
	}
}
