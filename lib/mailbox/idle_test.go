package mailbox

import (
	"errors"
	"os"
	"testing"

	"gyrus/lib/lockfile"
)

// An idle handle holds no lock: another process can take the name lock
// exclusively (to delete, rename or repack); the next Begin takes it
// again and sees what others appended meanwhile.
func TestIdleReleasesNameLock(t *testing.T) {
	mb, loc := newTestMailbox(t)
	appendN(t, mb, 1, 2)
	if err := mb.Idle(); err != nil {
		t.Fatal(err)
	}
	f, err := lockfile.TryOpenLocked(loc.NameLock, os.O_RDWR, 0, lockfile.Exclusive)
	if err != nil {
		t.Fatalf("exclusive name lock while the handle is idle: %v", err)
	}
	f.Close()

	other, err := Open(loc, testOpts(), ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, other, 3, 1)
	other.Close()

	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if got := tx.Header().Exists; got != 3 {
		t.Errorf("after Begin on an idle handle: exists %d, want 3", got)
	}
	if err := mb.Idle(); !errors.Is(err, ErrTxOpen) {
		t.Errorf("Idle during a transaction: %v, want ErrTxOpen", err)
	}
	if _, err := lockfile.TryOpenLocked(loc.NameLock, os.O_RDWR, 0, lockfile.Exclusive); !errors.Is(err, lockfile.ErrWouldBlock) {
		t.Errorf("name lock not taken again by Begin: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, mb)
}
