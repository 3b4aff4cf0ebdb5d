package mailbox

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gyrus/lib/mailbox/index"
)

// The fuzz targets put arbitrary bytes in one of the files of a small
// mailbox and run every reader over it: Open, a view, every record,
// every cache entry, Check, a transaction. Nothing may panic, and every
// error must be one of this package's (corruption errors name the file).

var (
	seedOnce  sync.Once
	seedFiles map[string][]byte
	seedErr   error
)

func seedMailbox(tb testing.TB) map[string][]byte {
	seedOnce.Do(func() {
		root, err := tmpDirOutsideTest()
		if err != nil {
			seedErr = err
			return
		}
		loc := testLoc(tb, root, "inbox")
		mb, err := Create(loc, CreateOptions{}, DefaultOptions())
		if err != nil {
			seedErr = err
			return
		}
		appendN(tb, mb, 1, 3)
		tx, _ := mb.Begin()
		bits, _ := tx.UserFlagBits([]string{"Junk"}, FlagCreateAny)
		tx.SetFlags([]uint32{2}, FlagChange{Mode: StoreAdd, System: index.FlagSeen, User: bits})
		tx.Commit()
		mb.Close()
		seedFiles = map[string][]byte{}
		for _, n := range []string{index.HeaderFile, index.IndexFile, index.CacheFile, "1.", "2.", "3."} {
			seedFiles[n], seedErr = os.ReadFile(filepath.Join(loc.Dir, n))
			if seedErr != nil {
				return
			}
		}
	})
	if seedErr != nil {
		tb.Fatal(seedErr)
	}
	return seedFiles
}

func fuzzFile(f *testing.F, name string) {
	seed := seedMailbox(f)
	f.Add(seed[name])
	f.Add(seed[name][:len(seed[name])/2])
	b := append([]byte(nil), seed[name]...)
	if len(b) > 200 {
		b[170] ^= 0xff
		b[len(b)-7] ^= 0x10
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		root := t.TempDir()
		loc := testLoc(t, root, "inbox")
		os.MkdirAll(loc.Dir, 0o755)
		for n, content := range seed {
			if n == name {
				content = data
			}
			os.WriteFile(filepath.Join(loc.Dir, n), content, 0o600)
		}
		exercise(t, loc)
	})
}

func acceptable(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, ok := range []error{ErrCorrupt, ErrNotFound, ErrDeleted, ErrExpunged, ErrStale, index.ErrVersion} {
		if errors.Is(err, ok) {
			if errors.Is(err, ErrCorrupt) && !strings.Contains(err.Error(), "cyrus.") {
				t.Fatalf("%s: corruption error without a file name: %v", what, err)
			}
			return
		}
	}
	t.Fatalf("%s: unexpected error: %v", what, err)
}

func exercise(t *testing.T, loc Location) {
	mb, err := Open(loc, DefaultOptions(), ReadWrite)
	if err != nil {
		acceptable(t, "open", err)
		return
	}
	defer mb.Close()
	v, err := mb.NewView()
	if err == nil {
		for seq := uint32(1); seq <= v.Len(); seq++ {
			_, err := v.Record(seq)
			acceptable(t, "record", err)
			_, err = v.Cache(seq)
			acceptable(t, "cache", err)
		}
		v.Close()
	} else {
		acceptable(t, "view", err)
	}
	_, err = mb.Check(CheckOptions{Files: true})
	acceptable(t, "check", err)
	err = mb.ForEachRecord(func(uint32, *index.Record) error { return nil })
	acceptable(t, "foreach", err)
	if tx, err := mb.Begin(); err == nil {
		tx.SetFlags([]uint32{1, 2, 3}, FlagChange{Mode: StoreAdd, System: index.FlagFlagged})
		tx.Abort()
	} else {
		acceptable(t, "begin", err)
	}
}

func FuzzIndexFile(f *testing.F)  { fuzzFile(f, index.IndexFile) }
func FuzzCacheFile(f *testing.F)  { fuzzFile(f, index.CacheFile) }
func FuzzHeaderFile(f *testing.F) { fuzzFile(f, index.HeaderFile) }
