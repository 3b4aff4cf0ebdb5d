package idle

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gyrus/lib/mailbox"
	"gyrus/lib/message"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv("GYRUS_IDLE_CHILD"); spec != "" {
		os.Exit(child(spec))
	}
	os.Exit(m.Run())
}

func waitFor(t *testing.T, c <-chan struct{}, d time.Duration) bool {
	t.Helper()
	select {
	case _, ok := <-c:
		return ok
	case <-time.After(d):
		return false
	}
}

func quiet(c <-chan struct{}, d time.Duration) bool {
	select {
	case <-c:
		return false
	case <-time.After(d):
		return true
	}
}

func TestInotifyEvents(t *testing.T) {
	w, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	dir := t.TempDir()
	idx := filepath.Join(dir, "cyrus.index")
	os.WriteFile(idx, make([]byte, 160), 0o600)
	s1, err := w.Subscribe(idx)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := w.Subscribe(idx)
	if s1.Polling() {
		t.Skip("no inotify here")
	}
	if len(w.byWD) != 1 {
		t.Fatalf("%d kernel watches for one mailbox", len(w.byWD))
	}
	// a message file being written wakes nobody
	os.WriteFile(filepath.Join(dir, "1."), []byte("x"), 0o600)
	if !quiet(s1.C, 100*time.Millisecond) {
		t.Fatal("woken by a message file")
	}
	// a write to the index wakes both, coalesced into one each
	f, _ := os.OpenFile(idx, os.O_WRONLY, 0)
	for i := 0; i < 5; i++ {
		f.WriteAt([]byte{byte(i)}, 0)
	}
	f.Close()
	time.Sleep(100 * time.Millisecond) // let every event be dispatched
	if !waitFor(t, s1.C, time.Second) || !waitFor(t, s2.C, time.Second) {
		t.Fatal("no wake-up for a write")
	}
	if !quiet(s1.C, 50*time.Millisecond) {
		t.Fatal("five writes gave more than one pending wake-up")
	}
	// a repack's rename
	os.WriteFile(idx+".NEW", make([]byte, 160), 0o600)
	quiet(s1.C, 50*time.Millisecond) // creating .NEW is not a change
	os.Rename(idx+".NEW", idx)
	if !waitFor(t, s1.C, time.Second) {
		t.Fatal("no wake-up for the rename")
	}
	s2.Close()
	for range s2.C { // a pending wake-up may come first, then the close
	}
	s1.Close()
	if len(w.byWD) != 0 || len(w.byDir) != 0 {
		t.Fatal("watch not removed with its last subscriber")
	}
	// directory removed: subscribers are told
	s3, _ := w.Subscribe(idx)
	os.RemoveAll(dir)
	if !waitFor(t, s3.C, time.Second) {
		t.Fatal("no wake-up when the mailbox directory went away")
	}
	s3.Close()
	if _, err := w.Subscribe(filepath.Join(dir, "cyrus.index")); err == nil {
		t.Fatal("subscribe to a missing directory")
	}
}

func TestPollingFallback(t *testing.T) {
	old := PollInterval
	PollInterval = 20 * time.Millisecond
	defer func() { PollInterval = old }()
	w := &Watcher{byDir: map[string]*watch{}, byWD: map[int32]*watch{}, polls: map[*Subscription]struct{}{}, done: make(chan struct{})}
	close(w.done)
	dir := t.TempDir()
	idx := filepath.Join(dir, "cyrus.index")
	os.WriteFile(idx, make([]byte, 160), 0o600)
	s, err := w.Subscribe(idx)
	if err != nil || !s.Polling() {
		t.Fatalf("%v %v", err, s.Polling())
	}
	time.Sleep(30 * time.Millisecond)
	os.WriteFile(idx, make([]byte, 272), 0o600)
	if !waitFor(t, s.C, time.Second) {
		t.Fatal("polling did not notice")
	}
	w.Close()
	if _, ok := <-s.C; ok {
		t.Fatal("channel open after Close")
	}
	s.Close() // no panic
}

// child appends to a mailbox (GYRUS_IDLE_CHILD=<dir>:<n>) and prints
// the wall time in ns after each commit.
func child(spec string) int {
	i := strings.LastIndexByte(spec, ':')
	root, n := spec[:i], spec[i+1:]
	count, _ := strconv.Atoi(n)
	loc := testLoc(root)
	mb, err := mailbox.Open(loc, mailbox.DefaultOptions(), mailbox.ReadWrite)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer mb.Close()
	in := bufio.NewScanner(os.Stdin)
	for k := 0; k < count; k++ {
		if !in.Scan() { // parent says go
			return 1
		}
		body := []byte(fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", k))
		st, err := mailbox.Stage(loc.StageDir, bytes.NewReader(body))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		mi, _ := st.Parse(message.DefaultOptions())
		tx, err := mb.Begin()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		tx.Append(&mailbox.NewMessage{Staged: st, Info: mi})
		start := time.Now().UnixNano()
		if err := tx.Commit(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(start, time.Now().UnixNano())
		st.Close()
	}
	return 0
}

func testLoc(root string) mailbox.Location {
	dir := filepath.Join(root, "mb")
	return mailbox.Location{Name: "user.alice", UniqueID: "u1", Dir: dir, MetaDir: dir,
		StageDir: filepath.Join(root, "stage."), NameLock: filepath.Join(root, "lock/u1.lock"),
		UserLock: filepath.Join(root, "lock/*U*alice.lock"), Owner: "alice"}
}

// TestCrossProcessLatency: another process commits appends; a
// subscriber in this process is woken, and a view refresh sees each new
// message. Every wake-up must come within a second (IMAP IDLE); the
// figures are logged.
func TestCrossProcessLatency(t *testing.T) {
	root := t.TempDir()
	loc := testLoc(root)
	mb, err := mailbox.Create(loc, mailbox.CreateOptions{}, mailbox.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	w, _ := New()
	defer w.Close()
	sub, err := w.Subscribe(loc.IndexPath())
	if err != nil {
		t.Fatal(err)
	}
	v, err := mb.NewView()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()

	const n = 20
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GYRUS_IDLE_CHILD="+root+":"+strconv.Itoa(n))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewScanner(stdout)
	var lat, commitTimes []time.Duration
	for k := 0; k < n; k++ {
		// drain wake-ups from before this round
		for !quiet(sub.C, 0) {
		}
		fmt.Fprintln(stdin, "go")
		if !waitFor(t, sub.C, time.Second) {
			t.Fatalf("round %d: no wake-up within a second", k)
		}
		woke := time.Now().UnixNano()
		if !out.Scan() {
			t.Fatal("child died")
		}
		var started, committed int64
		fmt.Sscan(out.Text(), &started, &committed)
		// the wake-up comes from the index writes inside Commit, often
		// before it returns (it still has to fsync): count from the
		// start of Commit, an upper bound of the delay
		lat = append(lat, time.Duration(woke-started))
		commitTimes = append(commitTimes, time.Duration(committed-started))
		// the view sees the new message (the commit may still be
		// finishing: refresh until it shows, within the second)
		deadline := time.Now().Add(time.Second)
		for v.Len() < uint32(k+1) && time.Now().Before(deadline) {
			if _, err := v.Refresh(); err != nil {
				t.Fatal(err)
			}
			if v.Len() < uint32(k+1) {
				waitFor(t, sub.C, 10*time.Millisecond)
			}
		}
		if v.Len() != uint32(k+1) {
			t.Fatalf("round %d: view has %d messages", k, v.Len())
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	sort.Slice(commitTimes, func(i, j int) bool { return commitTimes[i] < commitTimes[j] })
	t.Logf("cross-process wake-up, from the start of the other process's Commit: median %v, max %v (%d rounds; the commits themselves took median %v)",
		lat[len(lat)/2], lat[len(lat)-1], len(lat), commitTimes[len(commitTimes)/2])
	if lat[len(lat)-1] > time.Second {
		t.Fatalf("wake-up took %v", lat[len(lat)-1])
	}
}
