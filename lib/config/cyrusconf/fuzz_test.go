package cyrusconf

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParse: any input either parses or fails with a located *Error, and
// what parses is self-consistent.
func FuzzParse(f *testing.F) {
	f.Add([]byte("START {\n recover cmd=\"ctl_cyrusdb -r\"\n}\nSERVICES {\n imap cmd=imapd listen=imap prefork=1\n}\n"))
	f.Add([]byte("EVENTS {\n c cmd=x period=30 at=0400\n}\nDAEMON {\n d cmd=y wait=y\n}\n"))
	f.Add([]byte("SERVICES {\n a-b cmd=x\n}\n"))
	f.Add([]byte("START {{\n}\n}\n#\"\x00"))
	if data, err := os.ReadFile(DefaultPath); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Line < 1 || !strings.HasPrefix(err.Error(), "f:") {
				t.Fatalf("bad error %T %v", err, err)
			}
			return
		}
		for _, p := range c.Problems {
			if p.Line < 1 {
				t.Fatalf("problem without line: %v", p)
			}
		}
		for _, s := range c.Services {
			if s.Name == "" || len(s.Cmd) == 0 || s.Listen == "" {
				t.Fatalf("incomplete service %+v", s)
			}
			if !s.Stream() && (s.MaxChild != 1 || s.Prefork > 1) && !strings.HasPrefix(s.Listen, "/") {
				t.Fatalf("datagram limits not applied: %+v", s)
			}
			_, _ = ParseListen(s.Listen)
		}
		for _, e := range c.Events {
			if e.Period < 0 || len(e.Cmd) == 0 {
				t.Fatalf("bad event %+v", e)
			}
		}
		for _, d := range c.Daemons {
			if d.MaxForkRate == 0 {
				t.Fatalf("daemon without maxforkrate %+v", d)
			}
		}
		for _, e := range c.Raw.Services {
			if len(e.Args) > maxArgs {
				t.Fatalf("%d args", len(e.Args))
			}
		}
	})
}

func FuzzParseListen(f *testing.F) {
	for _, s := range []string{"imap", "[::1]:143", "127.0.0.1:143", "/tmp/s", "[x", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseListen(s)
		if err != nil {
			return
		}
		if l.Path == "" && l.Port == "" {
			t.Fatalf("%q: no port and no path: %+v", s, l)
		}
		if strings.ContainsAny(l.Host+l.Port, "[]") || strings.Contains(l.Port, ":") {
			return // such hosts cannot be written back unambiguously
		}
		l2, err := ParseListen(l.String())
		if err != nil || l2 != l {
			t.Fatalf("%q: round trip %q gives %+v, %v", s, l.String(), l2, err)
		}
	})
}
