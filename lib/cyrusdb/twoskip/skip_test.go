package twoskip

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"gyrus/lib/cyrusdb"
)

// findLoc's shortcut (the key at or right after the current position)
// must leave exactly the position a full descent finds: same record,
// same exactness, same back and forward pointers at every level. Keys
// come in sorted runs, repeats and random jumps, between stores and
// deletes, inside one transaction and across commits.
func TestFindLocShortcut(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "s.db"), cyrusdb.Options{Flags: cyrusdb.Create | cyrusdb.NoSync | cyrusdb.NoCompact})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r := rand.New(rand.NewPCG(5, 9))
	shortcuts := 0
	next := 0
	for round := 0; round < 30; round++ {
		tx, err := d.Begin(true)
		if err != nil {
			t.Fatal(err)
		}
		for op := 0; op < 200; op++ {
			switch r.IntN(4) {
			case 0:
				next = r.IntN(3000)
			case 1:
				// same key again
			default:
				next += 1 + r.IntN(3)
			}
			key := []byte(fmt.Sprintf("k%05d", next))
			l := &d.loc
			wouldShortcut := l.valid && l.end == d.end && l.gen == d.hdr.generation && l.rec.off != 0
			if err := d.findLoc(key); err != nil {
				t.Fatal(err)
			}
			got := d.loc
			d.loc.valid = false
			if err := d.findLoc(key); err != nil {
				t.Fatal(err)
			}
			want := d.loc
			if got.exact != want.exact || got.rec.off != want.rec.off || got.back != want.back || got.fwd != want.fwd {
				t.Fatalf("round %d op %d key %s: shortcut position differs from descent:\n got exact=%v rec=%d back=%v fwd=%v\nwant exact=%v rec=%d back=%v fwd=%v",
					round, op, key, got.exact, got.rec.off, got.back, got.fwd, want.exact, want.rec.off, want.back, want.fwd)
			}
			if wouldShortcut {
				shortcuts++
			}
			// Leave the shortcut's position in place for the write, as
			// a real store would.
			d.loc = got
			switch r.IntN(3) {
			case 0, 1:
				err = tx.Store(key, []byte(fmt.Sprintf("v%d", op)))
			case 2:
				err = tx.Delete(key)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := d.Consistent(); err != nil {
			t.Fatal(err)
		}
	}
	if shortcuts < 1000 {
		t.Fatalf("only %d lookups could take the shortcut", shortcuts)
	}
}
