package maint

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestToolsWaitForCyrusLocks: the tools that change a mailbox take the
// locks Cyrus's services take (spec/formats.md §3.4, DESIGN §4): while
// another process holds user.alice's cyrus.index with a classic fcntl
// write lock, as Cyrus's imapd or lmtpd does while it changes the
// mailbox, none of them touches the mailbox; each finishes normally once
// the lock is let go, and the mailbox is then one Cyrus's reconstruct
// finds nothing to repair in.
func TestToolsWaitForCyrusLocks(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	in.restore(t)
	env := in.env(t)
	loc, _ := in.location(t, env, "user.alice")
	env.Close()
	before := in.tree(t)
	indexRel, _ := filepath.Rel(in.dir, filepath.Join(loc.Dir, "cyrus.index"))

	fd, err := os.OpenFile(filepath.Join(loc.Dir, "cyrus.index"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK}
	if err := syscall.FcntlFlock(fd.Fd(), syscall.F_SETLKW, &lk); err != nil {
		t.Fatalf("fcntl lock: %v", err)
	}
	type job struct {
		args []string
		cmd  *exec.Cmd
		done chan error
	}
	jobs := []*job{
		{args: []string{"reconstruct", "-G", "user.alice"}},
		{args: []string{"unexpunge", "-a", "user.alice"}},
		{args: []string{"ipurge", "-f", "-d", "0", "user.alice"}},
		{args: []string{"cyr_expire", "-X", "0", "-u", "alice"}},
		{args: []string{"mbexamine", "-q", "user.alice"}},
	}
	for _, j := range jobs {
		j.cmd = exec.Command(filepath.Join(f.bin, j.args[0]), append([]string{"-C", in.conf}, j.args[1:]...)...)
		j.done = make(chan error, 1)
		if err := j.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { j.done <- j.cmd.Wait() }()
	}
	// the control: the same tools on another mailbox finish meanwhile,
	// so the time given was enough to finish
	for _, args := range [][]string{{"reconstruct", "-G", "user.bob"}, {"mbexamine", "-q", "user.bob"}} {
		if out, errs, code := in.gyrus(t, args[0], args[1:]...); code != 0 {
			t.Errorf("%v beside the lock: exit %d\n%s%s", args, code, out, errs)
		}
	}
	time.Sleep(500 * time.Millisecond)
	for _, j := range jobs {
		select {
		case err := <-j.done:
			t.Errorf("%v finished while Cyrus's index lock was held (%v)", j.args, err)
		default:
		}
	}
	if after := in.tree(t); after[indexRel] != before[indexRel] {
		t.Errorf("cyrus.index changed under the lock")
	}
	lk.Type = syscall.F_UNLCK
	if err := syscall.FcntlFlock(fd.Fd(), syscall.F_SETLK, &lk); err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		select {
		case err := <-j.done:
			if err != nil {
				t.Errorf("%v after the lock: %v", j.args, err)
			}
		case <-time.After(60 * time.Second):
			j.cmd.Process.Kill()
			t.Errorf("%v still waits after the lock was let go", j.args)
		}
	}
	in.chown(t)
	if out, errs, _ := in.cyrus(t, "reconstruct", "-n", "-G", "user.alice"); out != "user.alice\n" {
		t.Errorf("Cyrus's reconstruct -n -G after the tools:\n%s%s", out, errs)
	}
}
