package lockfile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary re-executes itself as a lock holder in another process:
// GYRUS_LOCKFILE_HELPER=<ofd|classic>:<shared|exclusive>:<path>. The child
// takes the lock, prints "locked", and holds it until its stdin closes.
func TestMain(m *testing.M) {
	if spec := os.Getenv("GYRUS_LOCKFILE_HELPER"); spec != "" {
		os.Exit(helper(spec))
	}
	os.Exit(m.Run())
}

func helper(spec string) int {
	var kind, mode, path string
	parts := splitN(spec, 3)
	kind, mode, path = parts[0], parts[1], parts[2]
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	m := Shared
	if mode == "exclusive" {
		m = Exclusive
	}
	switch kind {
	case "ofd":
		err = Lock(f, m)
	case "classic":
		typ := int16(unix.F_RDLCK)
		if m == Exclusive {
			typ = unix.F_WRLCK
		}
		err = unix.FcntlFlock(f.Fd(), unix.F_SETLKW, &unix.Flock_t{Type: typ})
	case "counter":
		// Increment the 8-byte counter in the file N times under OFD locks.
		n, _ := strconv.Atoi(mode)
		for i := 0; i < n; i++ {
			if err := bump(path); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

func splitN(s string, n int) []string {
	out := make([]string, 0, n)
	for len(out) < n-1 {
		i := 0
		for i < len(s) && s[i] != ':' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			s = s[i+1:]
		} else {
			s = ""
		}
	}
	return append(out, s)
}

// holdInChild starts a child process holding a lock; the returned func
// releases it (closes stdin and waits).
func holdInChild(t *testing.T, kind string, mode Mode, path string) func() {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GYRUS_LOCKFILE_HELPER="+kind+":"+mode.String()+":"+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("child did not lock: %q %v", line, err)
	}
	done := false
	release := func() {
		if done {
			return
		}
		done = true
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("child: %v", err)
		}
	}
	t.Cleanup(release)
	return release
}

func tempFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "lock")
	if err := os.WriteFile(p, make([]byte, 8), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func open(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestCrossProcess(t *testing.T) {
	for _, kind := range []string{"ofd", "classic"} {
		t.Run(kind, func(t *testing.T) {
			p := tempFile(t)
			f := open(t, p)

			release := holdInChild(t, kind, Exclusive, p)
			if err := TryLock(f, Shared); !errors.Is(err, ErrWouldBlock) {
				t.Fatalf("shared vs child's exclusive: got %v, want ErrWouldBlock", err)
			}
			if err := TryLock(f, Exclusive); !errors.Is(err, ErrWouldBlock) {
				t.Fatalf("exclusive vs child's exclusive: got %v, want ErrWouldBlock", err)
			}
			c, held, pid, err := Conflict(f, Shared)
			if err != nil || !c || held != Exclusive {
				t.Fatalf("Conflict = %v %v %d %v", c, held, pid, err)
			}
			if kind == "classic" && pid <= 0 {
				t.Errorf("classic holder pid = %d, want > 0", pid)
			}
			if kind == "ofd" && pid != -1 {
				t.Errorf("ofd holder pid = %d, want -1", pid)
			}
			// A blocking lock waits for the child to let go.
			got := make(chan error, 1)
			go func() { got <- Lock(f, Exclusive) }()
			select {
			case err := <-got:
				t.Fatalf("Lock returned %v while child holds the lock", err)
			case <-time.After(100 * time.Millisecond):
			}
			release()
			if err := <-got; err != nil {
				t.Fatal(err)
			}
			Unlock(f)

			// Shared locks coexist across processes, exclusive does not.
			release = holdInChild(t, kind, Shared, p)
			if err := TryLock(f, Shared); err != nil {
				t.Fatalf("shared vs child's shared: %v", err)
			}
			Unlock(f)
			if err := TryLock(f, Exclusive); !errors.Is(err, ErrWouldBlock) {
				t.Fatalf("exclusive vs child's shared: got %v", err)
			}
			release()
		})
	}
}

func TestCrossGoroutine(t *testing.T) {
	p := tempFile(t)
	a, b := open(t, p), open(t, p)
	if err := Lock(a, Exclusive); err != nil {
		t.Fatal(err)
	}
	if err := TryLock(b, Shared); !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("second description of the same process: got %v, want ErrWouldBlock", err)
	}
	// Closing an unrelated descriptor of the same file must not drop a's
	// lock (it would with classic POSIX locks).
	c, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := TryLock(b, Exclusive); !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("after closing another fd: got %v, want ErrWouldBlock", err)
	}
	if err := Unlock(a); err != nil {
		t.Fatal(err)
	}
	if err := TryLock(b, Exclusive); err != nil {
		t.Fatal(err)
	}
	Unlock(b)
}

// bump does an unprotected-looking read-modify-write of the counter; only
// the lock makes it correct.
func bump(p string) error {
	f, err := OpenLocked(p, os.O_RDWR, 0, Exclusive)
	if err != nil {
		return err
	}
	defer f.Close()
	var buf [8]byte
	if _, err := f.ReadAt(buf[:], 0); err != nil {
		return err
	}
	n := binary.BigEndian.Uint64(buf[:])
	binary.BigEndian.PutUint64(buf[:], n+1)
	_, err = f.WriteAt(buf[:], 0)
	return err
}

func readCounter(t *testing.T, p string) uint64 {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return binary.BigEndian.Uint64(b)
}

func TestCounterGoroutines(t *testing.T) {
	p := tempFile(t)
	const workers, each = 8, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < each; j++ {
				if err := bump(p); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := readCounter(t, p); got != workers*each {
		t.Fatalf("counter = %d, want %d", got, workers*each)
	}
}

func TestCounterProcessesAndGoroutines(t *testing.T) {
	p := tempFile(t)
	const procs, each = 3, 300
	var cmds []*exec.Cmd
	for i := 0; i < procs; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "GYRUS_LOCKFILE_HELPER=counter:"+strconv.Itoa(each)+":"+p)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for j := 0; j < each; j++ {
		if err := bump(p); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	if got := readCounter(t, p); got != (procs+1)*each {
		t.Fatalf("counter = %d, want %d", got, (procs+1)*each)
	}
}

func TestOpenLockedFollowsRename(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "db")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	holder, err := OpenLocked(p, os.O_RDWR, 0, Exclusive)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *os.File, 1)
	go func() {
		f, err := OpenLocked(p, os.O_RDWR, 0, Shared)
		if err != nil {
			t.Error(err)
		}
		got <- f
	}()
	time.Sleep(50 * time.Millisecond)
	// The holder rewrites the file by rename, as Cyrus repack does, and
	// only then lets go of the old inode.
	tmp := p + ".NEW"
	if err := os.WriteFile(tmp, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	holder.Close()
	f := <-got
	if f == nil {
		t.FailNow()
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil || string(b) != "new" {
		t.Fatalf("OpenLocked gave %q %v, want the renamed-in file", b, err)
	}
	if same, err := SameFile(f, p); !same || err != nil {
		t.Fatalf("SameFile = %v %v", same, err)
	}
}

func TestRelock(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "db")
	os.WriteFile(p, []byte("old"), 0o644)
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	nf, replaced, err := Relock(f, p, os.O_RDWR, Exclusive)
	if err != nil || replaced || nf != f {
		t.Fatalf("Relock on unchanged file = %v %v %v", nf, replaced, err)
	}
	Unlock(f)
	os.WriteFile(p+".NEW", []byte("new"), 0o644)
	os.Rename(p+".NEW", p)
	nf, replaced, err = Relock(f, p, os.O_RDWR, Shared)
	if err != nil || !replaced || nf == f {
		t.Fatalf("Relock on replaced file = %v %v %v", nf, replaced, err)
	}
	defer nf.Close()
	b, _ := io.ReadAll(nf)
	if string(b) != "new" {
		t.Fatalf("read %q after Relock", b)
	}
}

func TestTryOpenLocked(t *testing.T) {
	p := tempFile(t)
	a, err := TryOpenLocked(p, os.O_RDWR, 0, Exclusive)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryOpenLocked(p, os.O_RDONLY, 0, Shared); !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("got %v, want ErrWouldBlock", err)
	}
	a.Close() // closing releases
	b, err := TryOpenLocked(p, os.O_RDONLY, 0, Shared)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	if _, err := OpenLocked(filepath.Join(t.TempDir(), "missing"), os.O_RDONLY, 0, Shared); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if err := TryLock(a, Mode(7)); err == nil {
		t.Fatal("invalid mode accepted")
	}
}
