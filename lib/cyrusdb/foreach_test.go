package cyrusdb_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/backends"
)

// DB.Foreach hands out copies: across batch boundaries every key and
// value is right, and a callback that appends to the key it was given
// does not overwrite the value.
func TestDBForeachCopies(t *testing.T) {
	for _, backend := range []string{"twoskip", "flat"} {
		t.Run(backend, func(t *testing.T) {
			db, err := cyrusdb.Open(filepath.Join(t.TempDir(), "f.db"), backend, cyrusdb.Create|cyrusdb.NoSync)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			const n = 1000 // several batches
			tx, _ := db.Begin()
			for i := 0; i < n; i++ {
				tx.Store([]byte(fmt.Sprintf("k%04d", i)), bytes.Repeat([]byte{byte('a' + i%26)}, i%300))
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			i := 0
			err = db.Foreach([]byte("k"), func(k, v []byte) error {
				k2 := append(k, "-suffix"...)
				want := bytes.Repeat([]byte{byte('a' + i%26)}, i%300)
				if string(k2) != fmt.Sprintf("k%04d-suffix", i) || !bytes.Equal(v, want) {
					return fmt.Errorf("record %d: %q = %q", i, k, v)
				}
				i++
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if i != n {
				t.Fatalf("%d records, want %d", i, n)
			}
		})
	}
}
