// Command cyrusdb-bench measures the cyrusdb backends: store+commit
// (1,000 keys per transaction), random fetch, and prefix scans (100 keys
// each), at a given number of keys, and the peak RSS (VmHWM) of the
// process. Each backend/size runs in its own child process so that the
// RSS figure is its own.
//
//	go run ./bench/cyrusdb                   # twoskip and badger, 100k and 1M keys
//	go run ./bench/cyrusdb -n 100000 -b twoskip
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/backends"
)

func main() {
	n := flag.Int("n", 0, "number of keys (0: run the standard matrix in child processes)")
	backend := flag.String("b", "twoskip", "backend")
	sync := flag.Bool("sync", false, "fsync every commit (default: NoSync, to measure the engine)")
	flag.Parse()
	if *n == 0 {
		fmt.Printf("%-8s %8s %14s %12s %14s %10s\n", "backend", "keys", "store+commit/s", "fetch/s", "scan-keys/s", "peak RSS")
		for _, b := range []string{"twoskip", "badger"} {
			for _, k := range []int{100000, 1000000} {
				cmd := exec.Command(os.Args[0], "-n", fmt.Sprint(k), "-b", b, fmt.Sprintf("-sync=%v", *sync))
				cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
				if err := cmd.Run(); err != nil {
					fmt.Fprintln(os.Stderr, b, k, err)
				}
			}
		}
		return
	}
	dir, _ := os.MkdirTemp("", "cyrusdb-bench-")
	defer os.RemoveAll(dir)
	flags := cyrusdb.Create
	if !*sync {
		flags |= cyrusdb.NoSync
	}
	db, err := cyrusdb.Open(filepath.Join(dir, "bench.db"), *backend, flags)
	if err != nil {
		panic(err)
	}
	key := func(i int) []byte { return []byte(fmt.Sprintf("user.u%07d.folder%d", i/10, i%10)) }
	val := []byte(strings.Repeat("v", 100))
	perm := rand.Perm(*n)

	start := time.Now()
	for i := 0; i < *n; i += 1000 {
		tx, err := db.Begin()
		if err != nil {
			panic(err)
		}
		for j := i; j < i+1000 && j < *n; j++ {
			if err := tx.Store(key(perm[j]), val); err != nil {
				panic(err)
			}
		}
		if err := tx.Commit(); err != nil {
			panic(err)
		}
	}
	storeRate := float64(*n) / time.Since(start).Seconds()

	const fetches = 200000
	start = time.Now()
	tx, _ := db.BeginRead()
	for i := 0; i < fetches; i++ {
		if _, err := tx.Fetch(key(rand.IntN(*n))); err != nil {
			panic(err)
		}
	}
	tx.Abort()
	fetchRate := fetches / time.Since(start).Seconds()

	const scans = 2000
	start = time.Now()
	seen := 0
	tx, _ = db.BeginRead()
	for i := 0; i < scans; i++ {
		p := []byte(fmt.Sprintf("user.u%05d", rand.IntN(*n/1000)))
		tx.Foreach(p, func(k, v []byte) error { seen++; return nil })
	}
	tx.Abort()
	scanRate := float64(seen) / time.Since(start).Seconds()
	db.Close()
	fmt.Printf("%-8s %8d %14.0f %12.0f %14.0f %10s\n", *backend, *n, storeRate, fetchRate, scanRate, vmHWM())
}

func vmHWM() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "VmHWM:") {
			return strings.Join(strings.Fields(strings.TrimPrefix(sc.Text(), "VmHWM:")), " ")
		}
	}
	return "?"
}
