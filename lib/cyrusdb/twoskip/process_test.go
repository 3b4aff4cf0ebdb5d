package twoskip

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gyrus/lib/cyrusdb"
	"gyrus/lib/log"
)

// The test binary doubles as the worker process of the multi-process and
// crash tests: GYRUS_TWOSKIP_WORKER=<mode>:<path>:<args>.
func TestMain(m *testing.M) {
	if spec := os.Getenv("GYRUS_TWOSKIP_WORKER"); spec != "" {
		if err := worker(spec); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	quietLog()
	os.Exit(m.Run())
}

// quietLog sends log lines nowhere, unless GYRUS_TEST_LOG is set.
func quietLog() {
	if os.Getenv("GYRUS_TEST_LOG") == "" {
		log.Setup(log.Options{Ident: "twoskip.test", Socket: "/nonexistent", Stderr: io.Discard})
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func worker(spec string) error {
	parts := strings.SplitN(spec, ":", 3)
	mode, path, arg := parts[0], parts[1], parts[2]
	switch mode {
	case "counter":
		// arg = "<id>,<txns>,<sync>"
		var id, n, sync int
		fmt.Sscanf(arg, "%d,%d,%d", &id, &n, &sync)
		flags := cyrusdb.Flags(0)
		if sync == 0 {
			flags |= cyrusdb.NoSync
		}
		if id%4 == 2 {
			// one in four leaves the file DIRTY between its commits
			// (the others recover it whenever they lock it)
			flags |= cyrusdb.DeferSync
		}
		db, err := cyrusdb.Open(path, "twoskip", flags)
		if err != nil {
			return err
		}
		defer db.Close()
		for i := 0; i < n; i++ {
			tx, v, err := db.FetchLock([]byte("counter"))
			if err != nil && !errors.Is(err, cyrusdb.ErrNotFound) {
				return err
			}
			c, _ := strconv.Atoi(string(v))
			if err := tx.Store([]byte("counter"), []byte(strconv.Itoa(c+1))); err != nil {
				return err
			}
			if err := tx.Store([]byte(fmt.Sprintf("p%02d-%06d", id, i)), []byte(strconv.Itoa(c))); err != nil {
				return err
			}
			if err := tx.Commit(); err != nil {
				return err
			}
		}
		return nil
	case "crash":
		// arg = "<nosync>,<flushAt>[,<deferSync>]"
		var nosync, flush, deferred int
		fmt.Sscanf(arg, "%d,%d,%d", &nosync, &flush, &deferred)
		flags := cyrusdb.Flags(0)
		if nosync != 0 {
			flags |= cyrusdb.NoSync
		}
		if deferred != 0 {
			flags |= cyrusdb.DeferSync
		}
		if flush > 0 {
			flushAt = flush
		}
		return crashWorker(path, flags)
	}
	return fmt.Errorf("unknown mode %q", mode)
}

// crashWorker runs transactions until killed. Transaction i stores
// t<i>-0..t<i>-(n-1), deletes d<i-1> and stores d<i> = n; after Commit
// returns it prints "ack <i>". Every few transactions it repacks. It
// prints "ready" once the database is open.
func crashWorker(path string, flags cyrusdb.Flags) error {
	db, err := cyrusdb.Open(path, "twoskip", flags)
	if err != nil {
		return err
	}
	last, _, err := lastTxn(db)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready")
	out.Flush()
	r := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))
	for i := last + 1; ; i++ {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		n := 1 + r.IntN(15)
		for j := 0; j < n; j++ {
			val := bytes.Repeat([]byte{byte('a' + j)}, r.IntN(300))
			if err := tx.Store([]byte(fmt.Sprintf("t%06d-%02d", i, j)), val); err != nil {
				return err
			}
		}
		if i > 1 {
			if err := tx.Delete([]byte(fmt.Sprintf("d%06d", i-1))); err != nil {
				return err
			}
		}
		if err := tx.Store([]byte(fmt.Sprintf("d%06d", i)), []byte(strconv.Itoa(n))); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		if err := db.Sync(); err != nil { // (DeferSync: durable now)
			return err
		}
		fmt.Fprintf(out, "ack %d\n", i)
		out.Flush()
		if i%7 == 0 {
			if err := db.Repack(); err != nil {
				return err
			}
		}
	}
}

// lastTxn finds the single d<i> key: the last committed transaction.
func lastTxn(db *cyrusdb.DB) (int, int, error) {
	last, n, count := 0, 0, 0
	err := db.Foreach([]byte("d"), func(k, v []byte) error {
		count++
		last, _ = strconv.Atoi(string(k[1:]))
		n, _ = strconv.Atoi(string(v))
		return nil
	})
	if err == nil && count > 1 {
		err = fmt.Errorf("%d d-keys: a transaction was applied partially", count)
	}
	return last, n, err
}

func startWorker(t *testing.T, spec string, stdout io.Writer) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GYRUS_TWOSKIP_WORKER="+spec)
	cmd.Stdout = stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestMultiProcess: 8 processes x 2000 transactions, each a
// read-modify-write of a shared counter plus a unique insert.
// GYRUS_TWOSKIP_TXNS changes the count; GYRUS_TWOSKIP_SYNC=1 keeps fsync.
func TestMultiProcess(t *testing.T) {
	procs, txns := 8, envInt("GYRUS_TWOSKIP_TXNS", 2000)
	if testing.Short() {
		txns = 200
	}
	sync := envInt("GYRUS_TWOSKIP_SYNC", 0)
	path := filepath.Join(t.TempDir(), "mp.db")
	openT(t, path, cyrusdb.Create).Close()
	var cmds []*exec.Cmd
	for p := 0; p < procs; p++ {
		cmds = append(cmds, startWorker(t, fmt.Sprintf("counter:%s:%d,%d,%d", path, p, txns, sync), nil))
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	db := openT(t, path, 0)
	c := contents(t, db)
	if c["counter"] != strconv.Itoa(procs*txns) {
		t.Fatalf("counter = %s, want %d", c["counter"], procs*txns)
	}
	if len(c) != procs*txns+1 {
		t.Fatalf("%d keys, want %d", len(c), procs*txns+1)
	}
	// Every counter value was handed out exactly once.
	seen := make([]bool, procs*txns)
	for k, v := range c {
		if k == "counter" {
			continue
		}
		n, _ := strconv.Atoi(v)
		if seen[n] {
			t.Fatalf("counter value %d read twice", n)
		}
		seen[n] = true
	}
	if err := db.Consistent(); err != nil {
		t.Fatal(err)
	}
}

// TestCrash kills a writer with SIGKILL at random moments (inside commits
// and repacks) and checks after each kill that opening recovers every
// acknowledged transaction and no partial one. Even rounds write with
// fsync (every other one with DeferSync, the file left DIRTY between
// commits); odd rounds without, and with an
// append buffer of 1 KiB so that transactions reach the file (and have
// their heads edited there) before their commit. GYRUS_TWOSKIP_CRASH_ROUNDS sets the number of rounds:
// issue #3 asks for 200 (about a minute on the shared 2-core machine);
// the default of 60 keeps the package well under a minute in the full
// suite and still lands kills in commits and in repacks; 20 with -short.
func TestCrash(t *testing.T) {
	rounds := envInt("GYRUS_TWOSKIP_CRASH_ROUNDS", 60)
	if testing.Short() {
		rounds = 20
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	openT(t, path, cyrusdb.Create).Close()
	r := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	maxAck, killedEarly := 0, 0
	for round := 0; round < rounds; round++ {
		pr, pw, _ := os.Pipe()
		spec := "crash:" + path + ":0,0"
		switch round % 4 {
		case 1, 3:
			spec = "crash:" + path + ":1,1024"
		case 2:
			spec = "crash:" + path + ":0,0,1" // DeferSync
		}
		cmd := startWorker(t, spec, pw)
		pw.Close()
		ready := make(chan bool, 1)
		acks := make(chan int, 1)
		go func() {
			sc := bufio.NewScanner(pr)
			last := 0
			for sc.Scan() {
				if sc.Text() == "ready" {
					ready <- true
				}
				fmt.Sscanf(sc.Text(), "ack %d", &last)
			}
			acks <- last
		}()
		// Time the kill from the moment the worker has the database
		// open, not from its start: on a busy machine starting a
		// process takes longer than the whole window.
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			killedEarly++
		}
		time.Sleep(time.Duration(r.IntN(30000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if a := <-acks; a > maxAck {
			maxAck = a
		}
		pr.Close()

		db, err := cyrusdb.Open(path, "twoskip", 0)
		if err != nil {
			t.Fatalf("round %d: open after kill: %v", round, err)
		}
		last, n, err := lastTxn(db)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if last < maxAck || last > maxAck+1 {
			t.Fatalf("round %d: last committed txn %d, last acknowledged %d", round, last, maxAck)
		}
		maxAck = last
		// The last transaction is whole; none after it exists.
		cnt := 0
		db.Foreach([]byte(fmt.Sprintf("t%06d-", last)), func(k, v []byte) error { cnt++; return nil })
		if last > 0 && cnt != n {
			t.Fatalf("round %d: txn %d has %d of %d keys", round, last, cnt, n)
		}
		if _, _, err := db.Engine().(*DB).begin1FetchNext(fmt.Sprintf("t%06d-99", last)); err == nil {
			t.Fatalf("round %d: data of an unacknowledged transaction after %d", round, last)
		}
		if err := db.Consistent(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		db.Close()
	}
	if maxAck < rounds/4 {
		t.Fatalf("only %d transactions acknowledged in %d rounds (%d workers never got ready)", maxAck, rounds, killedEarly)
	}
	t.Logf("%d rounds, %d transactions committed", rounds, maxAck)
}

// begin1FetchNext returns the first t-key after k, if any.
func (d *DB) begin1FetchNext(k string) ([]byte, []byte, error) {
	tx, err := d.Begin(false)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Abort()
	key, v, err := tx.(*txn).FetchNext([]byte(k))
	if err == nil && !bytes.HasPrefix(key, []byte("t")) {
		return nil, nil, cyrusdb.ErrNotFound
	}
	return key, v, err
}
