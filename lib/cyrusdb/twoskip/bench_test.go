package twoskip

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"gyrus/lib/cyrusdb"
)

// The machine these run on is often shared, so wall time per op says
// little; every benchmark also reports the process's CPU time (user +
// system, all threads, from getrusage) per op as cpu-ns/op.

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuPerOp starts counting; call the returned function after the loop.
func cpuPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

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
	defer cpuPerOp(b)()
	for i := 0; b.Loop(); i++ {
		if err := db.Store([]byte(fmt.Sprintf("k%09d", i)), []byte("value")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreNoSync: the engine alone, 100 random keys per
// transaction (automatic checkpoints included).
func BenchmarkStoreNoSync(b *testing.B) {
	db := openT(b, filepath.Join(b.TempDir(), "b.db"), cyrusdb.Create|cyrusdb.NoSync)
	defer cpuPerOp(b)()
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

// BenchmarkStore100k: random inserts into a database of 100k keys, 1,000
// per transaction, no automatic checkpoint.
func BenchmarkStore100k(b *testing.B) {
	db := benchDB(b, 100000)
	db.Close()
	db = openT(b, db.Path(), cyrusdb.NoSync|cyrusdb.NoCompact)
	defer cpuPerOp(b)()
	tx, _ := db.Begin()
	for i := 0; b.Loop(); i++ {
		tx.Store([]byte(fmt.Sprintf("user.u%07d.x", rand.IntN(100000))), []byte("value"))
		if i%1000 == 999 {
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
	defer cpuPerOp(b)()
	for b.Loop() {
		if _, err := tx.Fetch([]byte(fmt.Sprintf("user.u%07d", rand.IntN(100000)))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDBFetch100k: a fetch in its own read transaction (lock,
// fstat, stat, unlock around it), as DB.Fetch does.
func BenchmarkDBFetch100k(b *testing.B) {
	db := benchDB(b, 100000)
	defer cpuPerOp(b)()
	for b.Loop() {
		if _, err := db.Fetch([]byte(fmt.Sprintf("user.u%07d", rand.IntN(100000)))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrefixScan100k(b *testing.B) {
	db := benchDB(b, 100000)
	tx, _ := db.BeginRead()
	defer tx.Abort()
	defer cpuPerOp(b)()
	for b.Loop() {
		n := 0
		tx.Foreach([]byte(fmt.Sprintf("user.u%05d", rand.IntN(1000))), func(k, v []byte) error { n++; return nil })
		if n != 100 {
			b.Fatalf("scan found %d", n)
		}
	}
}

// BenchmarkDBForeach100k: the whole database through DB.Foreach (batches
// of copies under short read locks); one op is the full pass.
func BenchmarkDBForeach100k(b *testing.B) {
	db := benchDB(b, 100000)
	defer cpuPerOp(b)()
	for b.Loop() {
		n := 0
		if err := db.Foreach(nil, func(k, v []byte) error {
			n++
			return nil
		}); err != nil || n != 100000 {
			b.Fatal(err, n)
		}
	}
}

// BenchmarkRepack100k: a checkpoint of a 100k-key database, per key.
func BenchmarkRepack100k(b *testing.B) {
	db := benchDB(b, 100000)
	defer cpuPerOp(b)()
	for n := 0; n < b.N; n += 100000 {
		if err := db.Repack(); err != nil {
			b.Fatal(err)
		}
	}
}
