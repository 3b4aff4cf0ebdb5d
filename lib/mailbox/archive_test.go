package mailbox

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gyrus/lib/mailbox/index"
)

// archiveSetup is a mailbox of 6 messages on partition "default" whose
// archive partition is <root>/archive.
func archiveSetup(t testing.TB, root string) (Location, Options) {
	loc := workerLoc(root)
	opts := DefaultOptions()
	opts.ArchiveRoots = map[string]ArchiveRoot{"default": {Data: filepath.Join(root, "spool"), Archive: filepath.Join(root, "archive")}}
	return loc, opts
}

func readAll(t testing.TB, mb *Mailbox, uid uint32) []byte {
	t.Helper()
	f, err := mb.OpenMessage(uid)
	if err != nil {
		t.Fatalf("open uid %d: %v", uid, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func archiveUIDs(max uint32) func(r *index.Record) bool {
	return func(r *index.Record) bool { return r.UID <= max }
}

// TestArchiveMovesFiles: archived messages' files and cache entries move
// to the archive partition, stay readable (file, cache, Check), keep
// their mtime and modseq; the old names go at Close; unarchiving brings
// them back; expunge cleanup removes files from where they are.
func TestArchiveMovesFiles(t *testing.T) {
	root := t.TempDir()
	loc, opts := archiveSetup(t, root)
	mb, err := Create(loc, CreateOptions{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	recs := appendN(t, mb, 1, 6)
	want := map[uint32][]byte{}
	for _, r := range recs {
		want[r.UID] = readAll(t, mb, r.UID)
	}
	arch := filepath.Join(root, "archive", "inbox")
	ml := mb.Location()
	if got := ml.ArchivePath(2); got != filepath.Join(arch, "2.") {
		t.Fatalf("ArchivePath = %s", got)
	}
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	modseq := tx.Header().HighestModSeq
	res, err := tx.Archive(archiveUIDs(3))
	if err != nil || res.Archived != 3 || res.Unarchived != 0 {
		t.Fatalf("Archive: %+v %v", res, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// before the cleanup, both names exist
	if !fileExists(loc.MessagePath(1)) || !fileExists(filepath.Join(arch, "1.")) {
		t.Fatal("both copies should exist until the cleanup")
	}
	if mb.Header().HighestModSeq != modseq {
		t.Errorf("archiving changed highestmodseq %d -> %d", modseq, mb.Header().HighestModSeq)
	}
	mb.Close()
	mb, err = Open(loc, opts, ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { mb.Close() }()
	for uid := uint32(1); uid <= 6; uid++ {
		inSpool, inArch := fileExists(loc.MessagePath(uid)), fileExists(filepath.Join(arch, fmt.Sprintf("%d.", uid)))
		if inSpool == (uid <= 3) || inArch != (uid <= 3) {
			t.Errorf("uid %d: in spool %v, in archive %v", uid, inSpool, inArch)
		}
		if !bytes.Equal(readAll(t, mb, uid), want[uid]) {
			t.Errorf("uid %d: content differs after archiving", uid)
		}
	}
	st, _ := os.Stat(filepath.Join(arch, "1."))
	if st.ModTime().Unix() != 1700000001 {
		t.Errorf("archived file mtime %v, want the internal date", st.ModTime())
	}
	if !fileExists(filepath.Join(arch, index.CacheFile)) {
		t.Error("no cyrus.cache in the archive directory")
	}
	if mb.Header().Options&(index.OptNeedsRepack|index.OptNeedsUnlink) != 0 {
		t.Errorf("cleanup left options %#x", mb.Header().Options)
	}
	v, err := mb.NewView()
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint32(1); seq <= v.Len(); seq++ {
		r, _ := v.Record(seq)
		if (r.InternalFlags&index.InternalArchived != 0) != (r.UID <= 3) {
			t.Errorf("uid %d: archived flag %v", r.UID, r.InternalFlags&index.InternalArchived != 0)
		}
		e, err := v.Cache(seq)
		if err != nil {
			t.Fatalf("cache of uid %d: %v", r.UID, err)
		}
		if !strings.Contains(string(e.Item(index.CacheEnvelope)), fmt.Sprintf("message %d", r.UID)) {
			t.Errorf("uid %d: cache entry of another message", r.UID)
		}
	}
	v.Close()
	mustCheckFiles(t, mb)

	// expunge 2 (archived) and 5 (not), clean up: their files go from
	// where they are
	tx, _ = mb.Begin()
	tx.Expunge(func(r *index.Record) bool { return r.UID == 2 || r.UID == 5 })
	tx.Commit()
	tx, _ = mb.Begin()
	if _, err := tx.ExpungeCleanup(time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	if err := mb.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if fileExists(filepath.Join(arch, "2.")) || fileExists(loc.MessagePath(5)) {
		t.Error("expunge cleanup left the files of 2 (archived) or 5")
	}
	mustCheckFiles(t, mb)

	// unarchive everything
	tx, _ = mb.Begin()
	res, err = tx.Archive(func(*index.Record) bool { return false })
	if err != nil || res.Unarchived != 2 {
		t.Fatalf("unarchive: %+v %v", res, err)
	}
	tx.Commit()
	if err := mb.Cleanup(); err != nil {
		t.Fatal(err)
	}
	for _, uid := range []uint32{1, 3, 4, 6} {
		if !fileExists(loc.MessagePath(uid)) || fileExists(filepath.Join(arch, fmt.Sprintf("%d.", uid))) {
			t.Errorf("uid %d not back in the spool alone", uid)
		}
		if !bytes.Equal(readAll(t, mb, uid), want[uid]) {
			t.Errorf("uid %d: content differs after unarchiving", uid)
		}
	}
	if fileExists(filepath.Join(arch, index.CacheFile)) {
		t.Error("unused archive cyrus.cache left after the repack")
	}
	mustCheckFiles(t, mb)
}

// TestArchiveSamePartition: without an archive partition the flag is
// set and nothing moves.
func TestArchiveSamePartition(t *testing.T) {
	mb, loc := newTestMailbox(t)
	appendN(t, mb, 1, 3)
	tx, _ := mb.Begin()
	res, err := tx.Archive(archiveUIDs(2))
	if err != nil || res.Archived != 2 {
		t.Fatalf("Archive: %+v %v", res, err)
	}
	tx.Commit()
	if err := mb.Cleanup(); err != nil {
		t.Fatal(err)
	}
	for uid := uint32(1); uid <= 3; uid++ {
		if !fileExists(loc.MessagePath(uid)) {
			t.Errorf("uid %d: file gone", uid)
		}
	}
	mustCheckFiles(t, mb)
}

func mustCheckFiles(t testing.TB, mb *Mailbox) {
	t.Helper()
	probs, err := mb.Check(CheckOptions{Files: true, GUIDs: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Error(p)
	}
}

// archivePointWorker (GYRUS_MAILBOX_WORKER=archivepoint:<point>:<root>)
// archives uids 1-3, commits and closes (cleanup and repack), killing
// itself at the named point.
func archivePointWorker(spec string) int {
	parts := strings.SplitN(spec, ":", 4)
	point, root := parts[1]+":"+parts[2], parts[3]
	crashHook = func(p string) {
		if p == point {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Hour)
		}
	}
	loc, opts := archiveSetup(nopTB{}, root)
	mb, err := Open(loc, opts, ReadWrite)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tx, err := mb.Begin()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := tx.Archive(archiveUIDs(3)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := tx.Commit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := mb.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestArchiveCrashPoints kills an archiving process at points from
// placing the files to the end of the repack (four by default, eight
// with GYRUS_ARCHIVE_CRASH_ALL=1): every message stays
// readable with its content, Check finds its file and cache entry, and
// archiving again afterwards converges (no file left twice).
func TestArchiveCrashPoints(t *testing.T) {
	points := []string{"archive:after-place", "commit:after-records", "repack:after-index-rename", "repack:after-cache-rename"}
	if os.Getenv("GYRUS_ARCHIVE_CRASH_ALL") != "" {
		points = append(points, "archive:after-cache", "commit:after-cache-write", "commit:after-index-header", "repack:after-new-files")
	}
	for _, point := range points {
		t.Run(strings.ReplaceAll(point, ":", "_"), func(t *testing.T) {
			root := t.TempDir()
			loc, opts := archiveSetup(t, root)
			mb, err := Create(loc, CreateOptions{}, opts)
			if err != nil {
				t.Fatal(err)
			}
			appendN(t, mb, 1, 6)
			want := map[uint32][]byte{}
			for uid := uint32(1); uid <= 6; uid++ {
				want[uid] = readAll(t, mb, uid)
			}
			mb.Close()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "GYRUS_MAILBOX_WORKER=archivepoint:"+point+":"+root)
			out, err := cmd.CombinedOutput()
			if ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() {
				t.Fatalf("worker not killed at %s: %v %s", point, err, out)
			}
			mb, err = Open(loc, opts, ReadWrite)
			if err != nil {
				t.Fatalf("open after a kill at %s: %v", point, err)
			}
			defer func() { mb.Close() }()
			check := func(stage string) {
				t.Helper()
				v, err := mb.NewView()
				if err != nil {
					t.Fatal(err)
				}
				defer v.Close()
				if v.Len() != 6 {
					t.Fatalf("%s: %d messages, want 6", stage, v.Len())
				}
				for seq := uint32(1); seq <= 6; seq++ {
					uid := v.UID(seq)
					if !bytes.Equal(readAll(t, mb, uid), want[uid]) {
						t.Errorf("%s: uid %d content lost", stage, uid)
					}
					if _, err := v.Cache(seq); err != nil {
						t.Errorf("%s: uid %d cache: %v", stage, uid, err)
					}
				}
				mustCheckFiles(t, mb)
			}
			check("after the kill")
			tx, err := mb.Begin()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Archive(archiveUIDs(3)); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := mb.Cleanup(); err != nil {
				t.Fatal(err)
			}
			check("after archiving again")
			for uid := uint32(1); uid <= 6; uid++ {
				inSpool := fileExists(loc.MessagePath(uid))
				inArch := fileExists(filepath.Join(root, "archive", "inbox", fmt.Sprintf("%d.", uid)))
				if inSpool == (uid <= 3) || inArch != (uid <= 3) {
					t.Errorf("uid %d: in spool %v, in archive %v", uid, inSpool, inArch)
				}
			}
		})
	}
}
