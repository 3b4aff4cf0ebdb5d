package proc

import (
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"gyrus/lib/config"
)

func TestSessionsAndList(t *testing.T) {
	dir := t.TempDir()
	// A Cyrus process file next to Gyrus directories.
	if err := os.WriteFile(filepath.Join(dir, "99"), []byte("pop3\t[10.0.0.1]\tbob\t\t\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "bogus"), []byte("x\ty\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "98.new"), []byte("x\ty\n"), 0o644)

	p := Open(dir, 1234)
	s1, s2 := p.Session(1), p.Session(2)
	if err := s1.Set(Info{Service: "imap", Host: "localhost [127.0.0.1]"}); err != nil {
		t.Fatal(err)
	}
	if err := s2.Set(Info{Service: "imap", Host: "[::1]", User: "alice", Mailbox: "user.alice", Command: "Select"}); err != nil {
		t.Fatal(err)
	}
	// tabs and newlines in values become spaces
	if err := s1.Set(Info{Service: "imap", Host: "localhost [127.0.0.1]", User: "a\tb\nc"}); err != nil {
		t.Fatal(err)
	}
	got, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{PID: 99, Info: Info{Service: "pop3", Host: "[10.0.0.1]", User: "bob"}},
		{PID: 1234, Session: 1, Info: Info{Service: "imap", Host: "localhost [127.0.0.1]", User: "a b c"}},
		{PID: 1234, Session: 2, Info: Info{Service: "imap", Host: "[::1]", User: "alice", Mailbox: "user.alice", Command: "Select"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("List =\n%+v\nwant\n%+v", got, want)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "1234", "2"))
	if string(b) != "imap\t[::1]\talice\tuser.alice\tSelect\n" {
		t.Errorf("file = %q", b)
	}
	h, u, err := Count(dir, "[::1]", "alice")
	if err != nil || h != 1 || u != 1 {
		t.Errorf("Count = %d %d %v", h, u, err)
	}
	h, _, _ = Count(dir, "localhost [127.0.0.1]", "")
	if h != 1 {
		t.Errorf("Count host = %d", h)
	}

	s1.Close()
	if _, err := os.Stat(filepath.Join(dir, "1234", "1")); !os.IsNotExist(err) {
		t.Errorf("session file left: %v", err)
	}
	p.Close()
	if _, err := os.Stat(filepath.Join(dir, "1234")); !os.IsNotExist(err) {
		t.Errorf("process dir left: %v", err)
	}
	RemovePID(dir, 99)
	if got, _ := List(dir); len(got) != 0 {
		t.Errorf("after RemovePID: %+v", got)
	}
	// A session writing after master removed its directory recreates it.
	s3 := p.Session(3)
	if err := s3.Set(Info{Service: "x", Host: "y"}); err != nil {
		t.Fatal(err)
	}
	RemovePID(dir, 1234)
	if err := s3.Set(Info{Service: "x", Host: "z"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := List(dir); len(got) != 1 || got[0].Host != "z" {
		t.Errorf("recreated: %+v", got)
	}
}

func TestListMissingDir(t *testing.T) {
	got, err := List(filepath.Join(t.TempDir(), "none"))
	if err != nil || got != nil {
		t.Errorf("List = %v, %v", got, err)
	}
}

func TestParseLine(t *testing.T) {
	for in, want := range map[string]*Info{
		"imap\thost\n":            {Service: "imap", Host: "host"},
		"imap\thost\tu\tm\tc\r\n": {Service: "imap", Host: "host", User: "u", Mailbox: "m", Command: "c"},
		"imap\th\tu\tm\tc\td":     {Service: "imap", Host: "h", User: "u", Mailbox: "m", Command: "c\td"},
		"nohost\n":                nil,
		"":                        nil,
	} {
		got, ok := parseLine([]byte(in))
		if (want == nil) == ok || want != nil && got != *want {
			t.Errorf("parseLine(%q) = %+v %v", in, got, ok)
		}
	}
}

func TestDir(t *testing.T) {
	c, err := config.FromMap(map[string]string{"configdirectory": "/var/lib/imap"}, "imap")
	if err != nil {
		t.Fatal(err)
	}
	if d, err := Dir(c); err != nil || d != "/var/lib/imap/proc" {
		t.Errorf("Dir = %q %v", d, err)
	}
	for v, ok := range map[string]bool{"/run/cyrus/proc/": true, "relative": false, "/": false} {
		c, err := config.FromMap(map[string]string{"configdirectory": "/x", "proc_path": v}, "imap")
		if err != nil {
			t.Fatal(err)
		}
		d, err := Dir(c)
		if (err == nil) != ok {
			t.Errorf("proc_path %q: %q %v", v, d, err)
		}
		if ok && d != "/run/cyrus/proc" {
			t.Errorf("proc_path %q: %q", v, d)
		}
	}
}

func TestConcurrentSessions(t *testing.T) {
	dir := t.TempDir()
	p := Open(dir, 7)
	var wg sync.WaitGroup
	for i := 1; i <= 50; i++ {
		wg.Add(1)
		go func(n uint64) {
			defer wg.Done()
			s := p.Session(n)
			for j := 0; j < 20; j++ {
				if err := s.Set(Info{Service: "imap", Host: "h", Command: string(rune('a' + j))}); err != nil {
					t.Error(err)
					return
				}
			}
			if n%2 == 0 {
				s.Close()
			}
		}(uint64(i))
	}
	wg.Wait()
	got, err := List(dir)
	if err != nil || len(got) != 25 {
		t.Fatalf("%d entries, %v", len(got), err)
	}
	for _, e := range got {
		if e.Command != "t" || e.Session%2 == 0 {
			t.Errorf("entry %+v", e)
		}
	}
}
