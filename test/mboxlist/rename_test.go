package mboxlist_test

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
)

// The tests below re-execute the test binary as helper processes; the
// environment says which role a process plays.
func TestMain(m *testing.M) {
	switch os.Getenv("GYRUS_MBOXLIST_ROLE") {
	case "reader":
		os.Exit(reader(os.Getenv("GYRUS_MBOXLIST_DIR")))
	case "renamer":
		os.Exit(renamer(os.Getenv("GYRUS_MBOXLIST_DIR"), os.Getenv("GYRUS_MBOXLIST_FROM"), os.Getenv("GYRUS_MBOXLIST_TO")))
	}
	os.Exit(m.Run())
}

// folderCount is the size of the user tree the rename tests move:
// $GYRUS_MBOXLIST_FOLDERS, or 250 by default so that the package stays
// well under a minute in the full suite. The properties (one snapshot
// never mixes the trees; a SIGKILL before or after the commit is
// repaired) do not depend on the size; GYRUS_MBOXLIST_FOLDERS=1000 runs
// the thousand-folder case.
func folderCount() int {
	if s := os.Getenv("GYRUS_MBOXLIST_FOLDERS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return 250
}

// makeTree creates user.alice with n folders (files included).
func makeTree(t testing.TB, l *mboxlist.List, n int) {
	t.Helper()
	if _, err := l.Create(mboxlist.CreateRequest{Name: "user.alice", IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("user.alice.f%04d", i)
		if i%10 == 9 {
			name = fmt.Sprintf("user.alice.f%04d.sub", i-1)
		}
		if _, err := l.Create(mboxlist.CreateRequest{Name: name, IsAdmin: true}); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot counts, in ONE read transaction, the active mailboxes of the
// two users.
func snapshot(l *mboxlist.List) (alice, carol int, err error) {
	tx, err := l.DB().BeginRead()
	if err != nil {
		return 0, 0, err
	}
	defer tx.Abort()
	c := l.Codec()
	err = tx.Foreach([]byte("N"), func(k, v []byte) error {
		e, err := c.Decode(string(k[1:]), v)
		if err != nil || !e.IsActive() {
			return nil
		}
		switch {
		case e.Name == "user.alice" || strings.HasPrefix(e.Name, "user.alice."):
			alice++
		case e.Name == "user.carol" || strings.HasPrefix(e.Name, "user.carol."):
			carol++
		}
		return nil
	})
	return
}

// reader prints "a c" for every snapshot until its stdin closes.
func reader(dir string) int {
	l, err := mboxlist.Open(settings(dir))
	if err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	defer l.Close()
	done := make(chan struct{})
	go func() { bufio.NewReader(os.Stdin).ReadString('\n'); close(done) }()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for {
		select {
		case <-done:
			return 0
		default:
		}
		a, c, err := snapshot(l)
		if err != nil {
			fmt.Fprintln(out, "ERR", err)
			return 1
		}
		fmt.Fprintln(out, a, c)
		// leave the writer a chance: fcntl locks do not queue, and three
		// readers in a tight loop could hold the shared lock for ever
		time.Sleep(time.Millisecond)
	}
}

func renamer(dir, from, to string) int {
	l, err := mboxlist.Open(settings(dir))
	if err != nil {
		return 1
	}
	defer l.Close()
	if err := l.RenameTree(mboxlist.RenameRequest{Old: from, New: to, IsAdmin: true}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func helper(t *testing.T, role, dir string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GYRUS_MBOXLIST_ROLE="+role, "GYRUS_MBOXLIST_DIR="+dir)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// A user rename of a thousand folders is one mailboxes.db transaction:
// processes reading meanwhile see all of the old tree or all of the new
// one, never a mix.
func TestRenameTreeIsAtomicForOtherProcesses(t *testing.T) {
	t.Parallel()
	dir := fastDir(t)
	l := open(t, dir)
	defer l.Close()
	n := folderCount()
	start := time.Now()
	makeTree(t, l, n)
	t.Logf("created %d mailboxes in %v", n+1, time.Since(start))

	type rd struct {
		cmd   *exec.Cmd
		stdin interface{ Close() error }
		out   *strings.Builder
	}
	var readers []rd
	for i := 0; i < 3; i++ {
		cmd := helper(t, "reader", dir)
		in, _ := cmd.StdinPipe()
		var out strings.Builder
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		readers = append(readers, rd{cmd, in, &out})
	}
	time.Sleep(200 * time.Millisecond)
	start = time.Now()
	if err := l.RenameTree(mboxlist.RenameRequest{Old: "user.alice", New: "user.carol", IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	t.Logf("rename of %d mailboxes under 3 readers in %v", n+1, time.Since(start))
	time.Sleep(200 * time.Millisecond)
	seen := map[string]int{}
	for _, r := range readers {
		r.stdin.Close()
		if err := r.cmd.Wait(); err != nil {
			t.Fatalf("reader: %v\n%s", err, r.out.String())
		}
		for _, line := range strings.Split(strings.TrimSpace(r.out.String()), "\n") {
			seen[line]++
		}
	}
	old, neu := fmt.Sprintf("%d 0", n+1), fmt.Sprintf("0 %d", n+1)
	for state, count := range seen {
		if state != old && state != neu {
			t.Errorf("a reader saw a mixed tree %q (%d times)", state, count)
		}
	}
	if seen[neu] == 0 {
		t.Logf("readers never caught the renamed tree (states: %v)", seen)
	}
	t.Logf("reader snapshots: %v", seen)
	a, c, _ := snapshot(l)
	if a != 0 || c != n+1 {
		t.Fatalf("after the rename: %d %d", a, c)
	}
}

// A rename killed with SIGKILL at any point leaves a state that Verify
// (ctl_mboxlist -v) reports and repairs: afterwards every mailbox exists
// once, under the old name or the new one, with its files and a
// cyrus.header that agrees with mailboxes.db.
func TestRenameSIGKILLThenVerify(t *testing.T) {
	t.Parallel()
	n := folderCount() / 2
	// measure one whole rename first, to aim the kills at its phases
	dir0 := fastDir(t)
	l0 := open(t, dir0)
	makeTree(t, l0, n)
	l0.Close()
	start := time.Now()
	if out, err := helper(t, "renamer", dir0, "GYRUS_MBOXLIST_FROM=user.alice", "GYRUS_MBOXLIST_TO=user.carol").CombinedOutput(); err != nil {
		t.Fatalf("rename: %v %s", err, out)
	}
	full := time.Since(start)
	t.Logf("rename of %d mailboxes in a fresh process: %v", n+1, full)
	// kill at a fraction of the measured time, and (f < 0) as soon as the
	// commit is visible, in the middle of the header rewrites
	fractions := []float64{0.3, -1, -1}
	phases := map[string]int{}
	for _, f := range fractions {
		dir := fastDir(t)
		l := open(t, dir)
		makeTree(t, l, n)
		ids := map[string]string{} // uniqueid -> suffix below the user
		l.Tree("user.alice", 0, func(e *mboxlist.Entry) error {
			ids[e.UniqueID] = strings.TrimPrefix(e.Name, "user.alice")
			return nil
		})
		l.Close()
		cmd := helper(t, "renamer", dir, "GYRUS_MBOXLIST_FROM=user.alice", "GYRUS_MBOXLIST_TO=user.carol")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if f > 0 {
			time.Sleep(time.Duration(float64(full) * f * (0.9 + 0.2*rand.Float64())))
		} else {
			pl := open(t, dir)
			deadline := time.Now().Add(time.Minute)
			for time.Now().Before(deadline) {
				if _, c, _ := snapshot(pl); c > 0 {
					break
				}
				time.Sleep(200 * time.Microsecond)
			}
			pl.Close()
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		l = open(t, dir)
		a, c, _ := snapshot(l)
		phase := "before commit"
		if c > 0 {
			phase = "after commit"
		}
		probs, err := l.Verify(mboxlist.VerifyOptions{Repair: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range probs {
			if !p.Fixed {
				t.Errorf("kill at %.0f%%: unrepaired: %s", f*100, p)
			}
		}
		if len(probs) > 0 {
			phase += ", repaired"
		}
		phases[phase]++
		if !(a == n+1 && c == 0 || a == 0 && c == n+1) {
			t.Fatalf("kill at %.0f%%: mixed tree %d/%d", f*100, a, c)
		}
		user := "user.alice"
		if c > 0 {
			user = "user.carol"
		}
		// every mailbox: once, files present, header agrees
		for id, suffix := range ids {
			e, err := l.Lookup(user + suffix)
			if err != nil || e.UniqueID != id {
				t.Fatalf("kill at %.0f%%: %s%s: %v %+v", f*100, user, suffix, err, e)
			}
			loc, _ := l.Settings().Locate(e)
			b, err := os.ReadFile(filepath.Join(loc.MetaDir, index.HeaderFile))
			if err != nil {
				t.Fatalf("%s: %v", e.Name, err)
			}
			mh, err := index.ParseMailboxHeader(b)
			if err != nil || mh.Name != e.Name {
				t.Fatalf("kill at %.0f%%: header of %s names %q (%v)", f*100, e.Name, mh.Name, err)
			}
			if !mailbox.Exists(loc) {
				t.Fatalf("%s: files missing", e.Name)
			}
		}
		if probs, _ := l.Verify(mboxlist.VerifyOptions{}); len(probs) != 0 {
			t.Fatalf("still reported after repair: %v", probs)
		}
		l.Close()
	}
	t.Logf("kill phases hit: %v", phases)
}

var _ = errors.New
