package badger

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"gyrus/lib/cyrusdb"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv("GYRUS_BADGER_SECOND"); dir != "" {
		_, err := cyrusdb.Open(dir, "badger", 0)
		if errors.Is(err, cyrusdb.ErrLocked) {
			os.Exit(3)
		}
		fmt.Fprintln(os.Stderr, "second open:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func TestBasicAndSecondWriter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	db, err := cyrusdb.Open(dir, "badger", cyrusdb.Create|cyrusdb.NoSync)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, _ := db.Begin()
	for i := 0; i < 100; i++ {
		tx.Store([]byte(fmt.Sprintf("k%03d", i)), []byte(fmt.Sprint(i)))
	}
	if v, err := tx.Fetch([]byte("k050")); err != nil || string(v) != "50" {
		t.Fatalf("read own write: %q %v", v, err)
	}
	tx.Delete([]byte("k051"))
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	n := 0
	db.Foreach([]byte("k05"), func(k, v []byte) error { n++; return nil })
	if n != 9 {
		t.Fatalf("prefix scan found %d", n)
	}
	if _, err := db.Fetch([]byte("k051")); !errors.Is(err, cyrusdb.ErrNotFound) {
		t.Fatalf("deleted key: %v", err)
	}
	if err := db.Create([]byte("k000"), nil); !errors.Is(err, cyrusdb.ErrExists) {
		t.Fatalf("create: %v", err)
	}
	// A second handle in this process shares the instance.
	db2, err := cyrusdb.Open(dir, "badger", 0)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := db2.Fetch([]byte("k099")); string(v) != "99" {
		t.Fatalf("second handle: %q", v)
	}
	db2.Close()
	// Another process is refused with ErrLocked.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GYRUS_BADGER_SECOND="+dir)
	cmd.Stderr = os.Stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("second process: %v (want exit 3 = ErrLocked)", err)
	}
}
