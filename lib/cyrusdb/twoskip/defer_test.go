package twoskip

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gyrus/lib/cyrusdb"
)

// diskFlags reads the header's flags from the file itself.
func diskFlags(t *testing.T, path string) uint32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return be.Uint32(b[offFlags:])
}

// TestDeferSyncTrust: a DeferSync handle's commits leave the file DIRTY;
// the other handles of the process read it without recovery and see
// every commit; Settle and Close leave it clean. A commit of another
// writer has the DeferSync handle commit as usual for a while.
func TestDeferSyncTrust(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	w := openT(t, path, cyrusdb.Create|cyrusdb.DeferSync)
	r := openT(t, path, 0)
	before := recoveries.Load()
	want := map[string]string{}
	store := func(db *cyrusdb.DB, k, v string, del string) {
		t.Helper()
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Store([]byte(k), []byte(v)); err != nil {
			t.Fatal(err)
		}
		if del != "" {
			if err := tx.Delete([]byte(del)); err != nil {
				t.Fatal(err)
			}
			delete(want, del)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	for i := 0; i < 50; i++ {
		k, v, del := fmt.Sprintf("k%03d", i), fmt.Sprint(i), ""
		if i > 0 && i%10 == 0 {
			del = fmt.Sprintf("k%03d", i-5)
		}
		store(w, k, v, del)
		if f := diskFlags(t, path); f != flagDirty {
			t.Fatalf("after deferred commit %d: header flags %d, want DIRTY alone", i, f)
		}
		if got, err := r.Fetch([]byte(k)); err != nil || string(got) != v {
			t.Fatalf("other handle reads %s: %q, %v", k, got, err)
		}
	}
	if n := recoveries.Load() - before; n != 0 {
		t.Fatalf("%d recoveries within the process", n)
	}
	if err := w.Settle(); err != nil {
		t.Fatal(err)
	}
	if f := diskFlags(t, path); f != 0 {
		t.Fatalf("after Settle: header flags %d", f)
	}
	if got := contents(t, r); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("contents\n%v\nwant\n%v", got, want)
	}
	if err := r.Engine().(*DB).Consistent(); err != nil {
		t.Fatal(err)
	}
	// Close settles too.
	store(w, "last", "x", "")
	if f := diskFlags(t, path); f != flagDirty {
		t.Fatalf("after a deferred commit: header flags %d", f)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if f := diskFlags(t, path); f != 0 {
		t.Fatalf("after Close: header flags %d", f)
	}
	// Another writer between two deferred commits: the next commits
	// are synced and clean.
	w = openT(t, path, cyrusdb.DeferSync)
	store(w, "a1", "1", "")
	store(r, "p1", "plain", "")
	for i := 0; i < 3; i++ {
		store(w, fmt.Sprintf("a2-%d", i), "2", "")
		if f := diskFlags(t, path); f != 0 {
			t.Fatalf("deferred commit %d after another writer's: header flags %d, want 0", i, f)
		}
	}
	if got := contents(t, r); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("contents\n%v\nwant\n%v", got, want)
	}
}

// TestDeferSyncForeignTransaction: a transaction another process began
// on a file left DIRTY by our deferred commit, and died in before it
// wrote past current_size, left committed records pointing past the end
// of the file. The handles that trusted the file report it corrupt
// once, then recover it and read it right.
func TestDeferSyncForeignTransaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	w := openT(t, path, cyrusdb.Create|cyrusdb.DeferSync)
	want := map[string]string{}
	for i := 0; i < 30; i++ {
		tx, _ := w.Begin()
		k := fmt.Sprintf("k%03d", i)
		tx.Store([]byte(k), []byte(k))
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		want[k] = k
	}
	// The dead transaction: every upper level of the DUMMY re-linked to
	// a record that was never written.
	d, err := Open(path, cyrusdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.writeLock(); err != nil {
		t.Fatal(err)
	}
	if !d.trusted() {
		t.Fatal("the deferred commit's state is not trusted")
	}
	dummy, err := d.readRecord(dummyOffset)
	if err != nil {
		t.Fatal(err)
	}
	h := d.editHead(&dummy)
	for l := 1; l < maxLevel; l++ {
		d.setloc(&dummy, h, l, d.size+4096)
	}
	if err := d.saveHead(&dummy, h); err != nil {
		t.Fatal(err)
	}
	d.unlock() // (not Close: the process lives on)

	r := openT(t, path, 0)
	before := recoveries.Load()
	_, err = r.Fetch([]byte("k015"))
	if err == nil {
		t.Fatal("a pointer past the end of the file went unnoticed")
	}
	if got := contents(t, r); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after the error: contents\n%v\nwant\n%v", got, want)
	}
	if n := recoveries.Load() - before; n != 1 {
		t.Fatalf("%d recoveries, want 1", n)
	}
	if f := diskFlags(t, path); f&flagDirty != 0 {
		t.Fatalf("recovered file has flags %d", f)
	}
	d.closeFile()
}

// TestTxnFlagLeftByCyrus: Cyrus's recovery of a file a Gyrus writer died
// in clears DIRTY and keeps flagTxn, which it does not know. The next
// transaction still marks the file DIRTY before it writes, and commits.
func TestTxnFlagLeftByCyrus(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	for _, flags := range []cyrusdb.Flags{0, cyrusdb.DeferSync} {
		db := openT(t, path, cyrusdb.Create|flags)
		tx, _ := db.Begin()
		tx.Store([]byte("a"), []byte("1"))
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		db.Close()
		d, err := Open(path, cyrusdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.writeLock(); err != nil {
			t.Fatal(err)
		}
		d.hdr.flags = flagTxn // as Cyrus writes it after its recovery
		if err := d.commitHeader(); err != nil {
			t.Fatal(err)
		}
		d.unlock()
		d.Close()
		db = openT(t, path, flags)
		for i := 0; i < 3; i++ {
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Store([]byte(fmt.Sprint("k", flags, "-", i)), []byte("v")); err != nil {
				t.Fatalf("flags %d, store %d: %v", flags, i, err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatalf("flags %d, commit %d: %v", flags, i, err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if f := diskFlags(t, path); f != 0 {
			t.Fatalf("flags %d: header flags %d after the transactions", flags, f)
		}
	}
}
