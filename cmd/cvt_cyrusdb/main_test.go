package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"gyrus/lib/cyrusdb"
)

func TestMain(m *testing.M) {
	if os.Getenv("GYRUS_RUN_TOOL") != "" {
		os.Args[0] = "cvt_cyrusdb"
		main()
		return
	}
	os.Exit(m.Run())
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "imapd.conf")
	os.WriteFile(conf, []byte("configdirectory: "+dir+"\n"), 0o644)
	src := filepath.Join(dir, "a.db")
	db, _ := cyrusdb.Open(src, "twoskip", cyrusdb.Create|cyrusdb.NoSync)
	want := map[string]string{}
	for i := 0; i < 500; i++ {
		k, v := fmt.Sprintf("k\x00%d\t", i), fmt.Sprintf("v\n%d\xff", i)
		db.Store([]byte(k), []byte(v))
		want[k] = v
	}
	db.Close()
	cvt := func(args ...string) string {
		cmd := exec.Command(os.Args[0], append([]string{"-C", conf}, args...)...)
		cmd.Env = append(os.Environ(), "GYRUS_RUN_TOOL=1", "CYRUS_USER=root")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return string(out)
	}
	flat := filepath.Join(dir, "a.flat")
	if out := cvt(src, "twoskip", flat, "flat"); out != fmt.Sprintf("Converting from %s (twoskip) to %s (flat)\n", src, flat) {
		t.Fatalf("output %q", out)
	}
	back := filepath.Join(dir, "b.db")
	cvt(flat, "flat", back, "twoskip")
	db, err := cyrusdb.Open(back, "twoskip", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := map[string]string{}
	db.Foreach(nil, func(k, v []byte) error { got[string(k)] = string(v); return nil })
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatal("round trip changed the data")
	}
	if out := cvt(filepath.Join(dir, "none.db"), "twoskip", back+"2", "flat"); !bytes.Contains([]byte(out), []byte("DBERROR: Conversion failed (r was -5)")) {
		t.Fatalf("missing source: %q", out)
	}
}
