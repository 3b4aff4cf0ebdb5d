// Command cyrusdb-bench measures the cyrusdb backends: store+commit
// (1,000 keys per transaction), random fetch, and prefix scans (100 keys
// each), at a given number of keys, and the peak RSS (VmHWM) of the
// process. Each backend/size runs in its own child process so that the
// RSS figure is its own. Rates are per second of wall time; the cpu
// columns are the process's CPU time (user+system, all threads) per
// operation, which says more on a shared, busy machine.
//
//	go run ./bench/cyrusdb                   # twoskip and badger, 100k and 1M keys
//	go run ./bench/cyrusdb -n 100000 -b twoskip
//	go run ./bench/cyrusdb -n 100000 -cpuprofile /tmp/cpu.prof
//
// With -cyrus it instead races the real Cyrus 3.6.1 cyr_dbtool (from the
// oracle install, run as user cyrus) against a Gyrus cyr_dbtool binary
// on the same input: `batch` inserting n keys in one transaction
// (random order, then sorted), then `show` of the whole file:
//
//	go build -o /tmp/gyrus-cyr_dbtool ./cmd/cyr_dbtool
//	go run ./bench/cyrusdb -cyrus -gyrus-tool /tmp/gyrus-cyr_dbtool -n 100000
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/backends"
	"gyrus/lib/log"
)

func main() {
	n := flag.Int("n", 0, "number of keys (0: run the standard matrix in child processes)")
	backend := flag.String("b", "twoskip", "backend")
	sync := flag.Bool("sync", false, "fsync every commit (default: NoSync, to measure the engine)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	vsCyrus := flag.Bool("cyrus", false, "compare cyr_dbtool batch/show with real Cyrus instead")
	gyrusTool := flag.String("gyrus-tool", "", "Gyrus cyr_dbtool binary (for -cyrus)")
	flag.Parse()
	// Checkpoint lines would land in syslog: keep them on stderr.
	log.Setup(log.Options{Ident: "cyrusdb-bench", Socket: "/nonexistent"})
	if *vsCyrus {
		if *n == 0 {
			*n = 100000
		}
		if err := raceCyrus(*n, *gyrusTool); err != nil {
			fmt.Fprintln(os.Stderr, "cyrusdb-bench:", err)
			os.Exit(1)
		}
		return
	}
	if *n == 0 {
		fmt.Printf("%-8s %8s %14s %12s %14s %9s %9s %9s %10s\n", "backend", "keys",
			"store+commit/s", "fetch/s", "scan-keys/s", "store-cpu", "fetch-cpu", "scan-cpu", "peak RSS")
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
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			panic(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
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

	t := start()
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
	store := t.stop(*n)

	const fetches = 200000
	t = start()
	tx, _ := db.BeginRead()
	for i := 0; i < fetches; i++ {
		if _, err := tx.Fetch(key(rand.IntN(*n))); err != nil {
			panic(err)
		}
	}
	tx.Abort()
	fetch := t.stop(fetches)

	const scans = 2000
	t = start()
	seen := 0
	tx, _ = db.BeginRead()
	for i := 0; i < scans; i++ {
		p := []byte(fmt.Sprintf("user.u%05d", rand.IntN(*n/1000)))
		tx.Foreach(p, func(k, v []byte) error { seen++; return nil })
	}
	tx.Abort()
	scan := t.stop(seen)
	db.Close()
	fmt.Printf("%-8s %8d %14.0f %12.0f %14.0f %7.2fµs %7.2fµs %7.2fµs %10s\n", *backend, *n,
		store.rate, fetch.rate, scan.rate, store.cpuMicros, fetch.cpuMicros, scan.cpuMicros, vmHWM())
}

type timer struct{ wall, cpu time.Duration }

type result struct{ rate, cpuMicros float64 }

func start() timer { return timer{time.Duration(time.Now().UnixNano()), cpuTime()} }

func (t timer) stop(ops int) result {
	wall := time.Duration(time.Now().UnixNano()) - t.wall
	cpu := cpuTime() - t.cpu
	return result{float64(ops) / wall.Seconds(), float64(cpu.Microseconds()) / float64(ops)}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
