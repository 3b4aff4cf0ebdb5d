package twoskip

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"gyrus/lib/cyrusdb"
)

func benchDB(b *testing.B, n int) *cyrusdb.DB {
	db := openT(b, filepath.Join(b.TempDir(), "b.db"), cyrusdb.Create|cyrusdb.NoSync)
	tx, _ := db.Begin()
	for i := 0; i < n; i++ {
		tx.Store([]byte(fmt.Sprintf("user.u%07d", i)), []byte("value"))
	}
	tx.Commit()
	return db
}

// BenchmarkStoreCommit: one key per transaction, with fsync (the real
// cost of a Cyrus-style single write).
func BenchmarkStoreCommit(b *testing.B) {
	db := openT(b, filepath.Join(b.TempDir(), "b.db"), cyrusdb.Create)
	for i := 0; b.Loop(); i++ {
		if err := db.Store([]byte(fmt.Sprintf("k%09d", i)), []byte("value")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreNoSync: the engine alone, 100 keys per transaction.
func BenchmarkStoreNoSync(b *testing.B) {
	db := openT(b, filepath.Join(b.TempDir(), "b.db"), cyrusdb.Create|cyrusdb.NoSync)
	tx, _ := db.Begin()
	for i := 0; b.Loop(); i++ {
		tx.Store([]byte(fmt.Sprintf("k%09d", rand.IntN(1<<30))), []byte("value"))
		if i%100 == 99 {
			tx.Commit()
			tx, _ = db.Begin()
		}
	}
	tx.Commit()
}

func BenchmarkFetch100k(b *testing.B) {
	db := benchDB(b, 100000)
	tx, _ := db.BeginRead()
	defer tx.Abort()
	for b.Loop() {
		if _, err := tx.Fetch([]byte(fmt.Sprintf("user.u%07d", rand.IntN(100000)))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrefixScan100k(b *testing.B) {
	db := benchDB(b, 100000)
	tx, _ := db.BeginRead()
	defer tx.Abort()
	for b.Loop() {
		n := 0
		tx.Foreach([]byte(fmt.Sprintf("user.u%05d", rand.IntN(1000))), func(k, v []byte) error { n++; return nil })
		if n != 100 {
			b.Fatalf("scan found %d", n)
		}
	}
}
