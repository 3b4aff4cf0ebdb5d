package mailbox

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
)

// The test binary re-executes itself as worker processes:
// GYRUS_MAILBOX_WORKER=<role>:<root>:<id>:<seconds>. Workers print one
// line per acknowledged fact on stdout:
//
//	A <uid> <guid>   an append whose Commit returned nil
//	X <uid>          an expunge whose Commit returned nil
func TestMain(m *testing.M) {
	if spec := os.Getenv("GYRUS_MAILBOX_WORKER"); spec != "" {
		os.Exit(worker(spec))
	}
	code := m.Run()
	for _, d := range sharedTmp {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// sharedTmp are directories that outlive one test or benchmark
// (removed when the test binary ends).
var sharedTmp []string

func tmpDirOutsideTest() (string, error) {
	d, err := os.MkdirTemp("", "gyrus-mailbox-bench-")
	if err == nil {
		sharedTmp = append(sharedTmp, d)
	}
	return d, err
}

func workerLoc(root string) Location {
	dir := filepath.Join(root, "spool", "inbox")
	return Location{Name: "user.alice", UniqueID: "id-inbox", Partition: "default",
		Dir: dir, MetaDir: dir, StageDir: filepath.Join(root, "spool", "stage."),
		NameLock: filepath.Join(root, "lock", "inbox.lock"),
		UserLock: filepath.Join(root, "lock", "*U*alice.lock"), Owner: "alice"}
}

func worker(spec string) int {
	if strings.HasPrefix(spec, "point:") {
		return pointWorker(spec)
	}
	if strings.HasPrefix(spec, "archivepoint:") {
		return archivePointWorker(spec)
	}
	parts := strings.Split(spec, ":")
	role, root := parts[0], parts[1]
	id, _ := strconv.Atoi(parts[2])
	secs, _ := strconv.ParseFloat(parts[3], 64)
	deadline := time.Now().Add(time.Duration(secs * float64(time.Second)))
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	rnd := rand.New(rand.NewSource(time.Now().UnixNano() + int64(id)))
	loc := workerLoc(root)
	opts := DefaultOptions()
	fail := func(err error) int {
		out.Flush()
		fmt.Fprintf(os.Stderr, "worker %s %d: %v\n", role, id, err)
		return 1
	}
	n := 0
	for time.Now().Before(deadline) {
		n++
		mb, err := Open(loc, opts, ReadWrite)
		if err != nil {
			return fail(err)
		}
		if n == 1 {
			fmt.Fprintln(out, "R") // ready: the crash test starts its clock
			out.Flush()
		}
		switch role {
		case "append", "crash":
			k := 1 + rnd.Intn(3)
			var staged []*Staged
			tx, err := mb.Begin()
			if err != nil {
				return fail(err)
			}
			for i := 0; i < k; i++ {
				body := []byte(fmt.Sprintf("From: w%d@example.com\r\nSubject: worker %d message %d.%d\r\nMessage-ID: <%d.%d.%d@x>\r\n\r\n%s\r\n",
					id, id, n, i, id, n, i, strings.Repeat("x", rnd.Intn(2000))))
				st, err := Stage(loc.StageDir, bytes.NewReader(body))
				if err != nil {
					return fail(err)
				}
				staged = append(staged, st)
				mi, err := st.Parse(message.DefaultOptions())
				if err != nil {
					return fail(err)
				}
				var sys uint32
				if role == "crash" && rnd.Intn(3) == 0 {
					sys = index.FlagDeleted
				}
				if _, err := tx.Append(&NewMessage{Staged: st, Info: mi, SystemFlags: sys}); err != nil {
					return fail(err)
				}
			}
			recs := append([]index.Record(nil), tx.appends...)
			if err := tx.Commit(); err != nil {
				return fail(err)
			}
			for _, r := range recs {
				fmt.Fprintf(out, "A %d %s\n", r.UID, hex.EncodeToString(r.GUID[:]))
			}
			out.Flush()
			for _, st := range staged {
				st.Close()
			}
		case "flag":
			tx, err := mb.Begin()
			if err != nil {
				return fail(err)
			}
			last := tx.Header().LastUID
			if last > 0 {
				bits, err := tx.UserFlagBits([]string{fmt.Sprintf("w%d", id%3)}, FlagCreateClient)
				if err != nil {
					return fail(err)
				}
				var uids []uint32
				for i := 0; i < 5; i++ {
					uids = append(uids, 1+uint32(rnd.Intn(int(last))))
				}
				ch := FlagChange{Mode: StoreMode(rnd.Intn(3)), System: uint32(rnd.Intn(32)), User: bits}
				if _, err := tx.SetFlags(uids, ch); err != nil {
					return fail(err)
				}
			}
			if err := tx.Commit(); err != nil {
				return fail(err)
			}
		case "expunge", "crashexpunge":
			tx, err := mb.Begin()
			if err != nil {
				return fail(err)
			}
			uids, err := tx.Expunge(func(r *index.Record) bool { return r.SystemFlags&index.FlagDeleted != 0 && rnd.Intn(2) == 0 })
			if err != nil {
				return fail(err)
			}
			announce(out, uids)
			if rnd.Intn(4) == 0 {
				if _, err := tx.ExpungeCleanup(time.Now()); err != nil {
					return fail(err)
				}
			}
			if err := tx.Commit(); err != nil {
				return fail(err)
			}
			for _, u := range uids {
				fmt.Fprintf(out, "X %d\n", u)
			}
			out.Flush()
		case "crashrepack":
			tx, err := mb.Begin()
			if err != nil {
				return fail(err)
			}
			uids, err := tx.Expunge(func(r *index.Record) bool { return rnd.Intn(3) == 0 })
			if err != nil {
				return fail(err)
			}
			announce(out, uids)
			tx.ExpungeCleanup(time.Now().Add(time.Hour))
			if err := tx.Commit(); err != nil {
				return fail(err)
			}
			for _, u := range uids {
				fmt.Fprintf(out, "X %d\n", u)
			}
			out.Flush()
			if err := mb.Cleanup(); err != nil {
				return fail(err)
			}
			appendOne(mb, loc, out, n, id)
		}
		if err := mb.Close(); err != nil {
			return fail(err)
		}
	}
	return 0
}

// announce prints "P <uid>" for expunges about to be committed: a kill
// after the commit but before the "X" line leaves an expunge that
// happened without an acknowledgement, and a later repack may then
// remove the record.
func announce(out *bufio.Writer, uids []uint32) {
	for _, u := range uids {
		fmt.Fprintf(out, "P %d\n", u)
	}
	out.Flush()
}

func appendOne(mb *Mailbox, loc Location, out *bufio.Writer, n, id int) {
	st, err := Stage(loc.StageDir, strings.NewReader(fmt.Sprintf("Subject: r%d.%d\r\n\r\nb\r\n", id, n)))
	if err != nil {
		return
	}
	defer st.Close()
	mi, err := st.Parse(message.DefaultOptions())
	if err != nil {
		return
	}
	tx, err := mb.Begin()
	if err != nil {
		return
	}
	r, err := tx.Append(&NewMessage{Staged: st, Info: mi})
	if err != nil {
		tx.Abort()
		return
	}
	if tx.Commit() == nil {
		fmt.Fprintf(out, "A %d %s\n", r.UID, hex.EncodeToString(r.GUID[:]))
		out.Flush()
	}
}

type workerProc struct {
	cmd   *exec.Cmd
	out   *bytes.Buffer // complete after wait()
	err   *bytes.Buffer
	ready chan struct{} // closed when the worker printed "R"
	eof   chan struct{}
}

func startWorker(t testing.TB, role, root string, id int, secs float64) *workerProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("GYRUS_MAILBOX_WORKER=%s:%s:%d:%g", role, root, id, secs))
	w := &workerProc{cmd: cmd, out: &bytes.Buffer{}, err: &bytes.Buffer{}, ready: make(chan struct{}), eof: make(chan struct{})}
	cmd.Stderr = w.err
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(w.eof)
		r := bufio.NewReader(pipe)
		signalled := false
		for {
			line, err := r.ReadBytes('\n')
			w.out.Write(line)
			if !signalled && bytes.Equal(line, []byte("R\n")) {
				close(w.ready)
				signalled = true
			}
			if err != nil {
				if !signalled {
					close(w.ready)
				}
				return
			}
		}
	}()
	return w
}

// wait waits for the process and for all of its output.
func (w *workerProc) wait() error {
	<-w.eof
	return w.cmd.Wait()
}

// acks parses the workers' output lines.
type acks struct {
	appended map[uint32]string // uid -> guid hex
	expunged map[uint32]bool
	pending  map[uint32]bool // expunges that may have been committed
}

func parseAcks(t testing.TB, outs ...[]byte) acks {
	t.Helper()
	a := acks{appended: map[uint32]string{}, expunged: map[uint32]bool{}, pending: map[uint32]bool{}}
	for _, o := range outs {
		for _, line := range strings.Split(string(o), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue // "R", or a torn line of a killed worker
			}
			uid64, _ := strconv.ParseUint(f[1], 10, 32)
			uid := uint32(uid64)
			switch f[0] {
			case "A":
				if len(f) < 3 {
					continue // torn last line of a killed worker: not acknowledged
				}
				if g, dup := a.appended[uid]; dup {
					t.Fatalf("uid %d acknowledged twice (%s and %s)", uid, g, f[2])
				}
				a.appended[uid] = f[2]
			case "X":
				a.expunged[uid] = true
			case "P":
				a.pending[uid] = true
			}
		}
	}
	return a
}

// verifyAcks checks the mailbox against what workers acknowledged:
// every acknowledged append is there with its GUID (or was expunged),
// records only go away when expunged, and Check is clean.
func verifyAcks(t testing.TB, loc Location, a acks, strictCounters, deep bool) {
	t.Helper()
	mb, err := Open(loc, DefaultOptions(), ReadOnly)
	if err != nil {
		t.Fatalf("open after workers: %v", err)
	}
	defer mb.Close()
	recs := map[uint32]index.Record{}
	var prev uint32
	err = mb.ForEachRecord(func(_ uint32, r *index.Record) error {
		if r.UID <= prev {
			return fmt.Errorf("uid %d after %d", r.UID, prev)
		}
		prev = r.UID
		recs[r.UID] = *r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for uid, g := range a.appended {
		r, ok := recs[uid]
		if !ok {
			if !a.expunged[uid] && !a.pending[uid] {
				t.Errorf("acknowledged uid %d is gone but was never expunged", uid)
			}
			continue
		}
		if hex.EncodeToString(r.GUID[:]) != g {
			t.Errorf("uid %d has guid %x, acknowledged %s", uid, r.GUID, g)
		}
		if !r.Expunged() && !fileExists(loc.MessagePath(uid)) {
			t.Errorf("uid %d: message file missing", uid)
		}
	}
	for uid := range a.expunged {
		if r, ok := recs[uid]; ok && !r.Expunged() {
			t.Errorf("uid %d expunged but live again", uid)
		}
	}
	probs, err := mb.Check(CheckOptions{GUIDs: deep, Files: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		if strictCounters {
			t.Error(p)
		} else {
			t.Log(p)
		}
	}
}
