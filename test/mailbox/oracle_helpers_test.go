package mailboxtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gyrus/lib/mailbox"
	"gyrus/lib/mboxname"
)

// oracle is a private real Cyrus 3.6.1 (shared/oracle/cyrus-ref).
type oracle struct {
	t     testing.TB
	ref   string
	dir   string
	ports map[string]int
}

func cyrusRef() string {
	if p := os.Getenv("GYRUS_CYRUS_REF"); p != "" {
		return p
	}
	return "/work/shared/oracle/cyrus-ref"
}

func freePorts(t testing.TB, n int) []int {
	var ls []net.Listener
	var out []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// startOracle starts a real Cyrus in a fresh directory and adds alice.
func startOracle(t testing.TB, opts ...string) *oracle {
	t.Helper()
	ref := cyrusRef()
	if _, err := os.Stat(ref); err != nil {
		t.Skipf("real Cyrus oracle not available (%s): %v", ref, err)
	}
	if os.Getuid() != 0 {
		t.Skip("the Cyrus oracle needs root")
	}
	base, err := os.MkdirTemp("", "gyrus-mbox-oracle-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o755)
	o := &oracle{t: t, ref: ref, dir: filepath.Join(base, "cy"), ports: map[string]int{}}
	p := freePorts(t, 5)
	o.ports = map[string]int{"imap": p[0], "pop3": p[1], "lmtp": p[2], "sieve": p[3], "sync": p[4]}
	args := []string{"start", o.dir, "--imap", strconv.Itoa(p[0]), "--pop3", strconv.Itoa(p[1]),
		"--lmtp", strconv.Itoa(p[2]), "--sieve", strconv.Itoa(p[3]), "--sync", strconv.Itoa(p[4]), "--no-tls"}
	for _, kv := range opts {
		args = append(args, "--opt", kv)
	}
	out, err := exec.Command(ref, args...).CombinedOutput()
	if err != nil {
		os.RemoveAll(base)
		if bytes.Contains(out, []byte("must be run as root")) {
			t.Skipf("oracle cannot run: %s", out)
		}
		t.Fatalf("cyrus-ref start: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		exec.Command(ref, "stop", o.dir).Run()
		if os.Getenv("GYRUS_KEEP_ORACLE") == "" {
			os.RemoveAll(base)
		} else {
			t.Logf("oracle kept in %s", o.dir)
		}
	})
	if out, err := exec.Command(ref, "adduser", o.dir, "alice", "alicepw").CombinedOutput(); err != nil {
		t.Fatalf("adduser: %v\n%s", err, out)
	}
	return o
}

func (o *oracle) stop() {
	if out, err := exec.Command(o.ref, "stop", o.dir).CombinedOutput(); err != nil {
		o.t.Fatalf("cyrus-ref stop: %v\n%s", err, out)
	}
}

func (o *oracle) start() {
	o.t.Helper()
	out, err := exec.Command(o.ref, "start", o.dir, "--no-tls").CombinedOutput()
	if err != nil {
		o.t.Fatalf("cyrus-ref start: %v\n%s", err, out)
	}
}

// tool runs a Cyrus tool as the cyrus user.
func (o *oracle) tool(args ...string) (string, error) {
	out, err := exec.Command(o.ref, append([]string{"tool", o.dir}, args...)...).CombinedOutput()
	return string(out), err
}

// chownCyrus gives the instance's files back to the cyrus user (Gyrus
// ran as root in the test).
func (o *oracle) chownCyrus() {
	o.t.Helper()
	for _, d := range []string{"spool", "run/lock", "lib"} {
		if out, err := exec.Command("chown", "-R", "cyrus:mail", filepath.Join(o.dir, d)).CombinedOutput(); err != nil {
			o.t.Fatalf("chown: %v %s", err, out)
		}
	}
}

func (o *oracle) layout() *mboxname.Layout {
	ns := mboxname.DefaultNamespace()
	ns.AltNamespace, ns.UnixHierarchySep = false, false
	return &mboxname.Layout{NS: ns, HashIMAPSpool: true, ConfigDir: filepath.Join(o.dir, "lib"), LockDir: filepath.Join(o.dir, "run/lock")}
}

// location finds a mailbox through ctl_mboxlist -d.
func (o *oracle) location(name string) mailbox.Location {
	o.t.Helper()
	out, err := o.tool("ctl_mboxlist", "-d")
	if err != nil {
		o.t.Fatalf("ctl_mboxlist -d: %v\n%s", err, out)
	}
	var entries map[string]struct {
		UniqueID  string `json:"uniqueid"`
		MBType    string `json:"mbtype"`
		Partition string `json:"partition"`
	}
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		o.t.Fatalf("ctl_mboxlist json: %v\n%s", err, out)
	}
	e, ok := entries[name]
	if !ok {
		o.t.Fatalf("no mailbox %s in %s", name, out)
	}
	loc := mailbox.Locate(o.layout(), e.Partition, filepath.Join(o.dir, "spool"), name, e.UniqueID, strings.Contains(e.MBType, "l"))
	mbpath, err := o.tool("mbpath", name)
	if err != nil || strings.TrimSpace(mbpath) != loc.Dir {
		o.t.Fatalf("mbpath says %q (%v), Locate says %q", mbpath, err, loc.Dir)
	}
	return loc
}

// imapConn is a minimal IMAP client for the tests: one command at a time,
// literals read whole.
type imapConn struct {
	t   testing.TB
	c   net.Conn
	r   *bufio.Reader
	tag int
}

func (o *oracle) dial(user, pass string) *imapConn {
	o.t.Helper()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", o.ports["imap"]))
	if err != nil {
		o.t.Fatal(err)
	}
	ic := &imapConn{t: o.t, c: c, r: bufio.NewReader(c)}
	ic.readResponse() // greeting
	ic.must("LOGIN %s %s", user, pass)
	o.t.Cleanup(func() { c.Close() })
	return ic
}

// readResponse reads one response line with its literals.
func (ic *imapConn) readResponse() []byte {
	ic.t.Helper()
	ic.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	var out []byte
	for {
		line, err := ic.r.ReadBytes('\n')
		if err != nil {
			ic.t.Fatalf("imap read: %v (%q)", err, out)
		}
		out = append(out, line...)
		m := regexp.MustCompile(`\{(\d+)\}\r\n$`).FindSubmatch(line)
		if m == nil {
			return out
		}
		n, _ := strconv.Atoi(string(m[1]))
		buf := make([]byte, n)
		if _, err := ioReadFull(ic.r, buf); err != nil {
			ic.t.Fatal(err)
		}
		out = append(out, buf...)
	}
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// cmd sends a command and returns the untagged responses and the tagged
// status line.
func (ic *imapConn) cmd(format string, args ...any) ([][]byte, string) {
	ic.t.Helper()
	ic.tag++
	tag := fmt.Sprintf("t%d", ic.tag)
	fmt.Fprintf(ic.c, "%s %s\r\n", tag, fmt.Sprintf(format, args...))
	var untagged [][]byte
	for {
		resp := ic.readResponse()
		if bytes.HasPrefix(resp, []byte(tag+" ")) {
			return untagged, strings.TrimSpace(string(resp[len(tag)+1:]))
		}
		untagged = append(untagged, resp)
	}
}

func (ic *imapConn) must(format string, args ...any) [][]byte {
	ic.t.Helper()
	u, st := ic.cmd(format, args...)
	if !strings.HasPrefix(st, "OK") {
		ic.t.Fatalf("%s: %s", fmt.Sprintf(format, args...), st)
	}
	return u
}

// fetchItems splits "* n FETCH (K V K V ...)" into raw item values.
func fetchItems(t testing.TB, resp []byte) (seq int, items map[string][]byte) {
	t.Helper()
	m := regexp.MustCompile(`^\* (\d+) FETCH \(`).FindSubmatch(resp)
	if m == nil {
		return 0, nil
	}
	seq, _ = strconv.Atoi(string(m[1]))
	p := len(m[0])
	items = map[string][]byte{}
	for p < len(resp) && resp[p] != ')' {
		k := p
		for p < len(resp) && resp[p] != ' ' {
			if resp[p] == '[' { // BODY[...]
				for p < len(resp) && resp[p] != ']' {
					p++
				}
			}
			p++
		}
		key := string(resp[k:p])
		p++ // space
		end := skipValue(resp, p)
		items[key] = resp[p:end]
		p = end
		if p < len(resp) && resp[p] == ' ' {
			p++
		}
	}
	return seq, items
}

// skipValue returns the end of the IMAP value starting at p.
func skipValue(b []byte, p int) int {
	depth := 0
	for p < len(b) {
		switch c := b[p]; {
		case c == '"':
			p++
			for p < len(b) && b[p] != '"' {
				if b[p] == '\\' {
					p++
				}
				p++
			}
			p++
		case c == '{':
			e := bytes.IndexByte(b[p:], '}')
			n, _ := strconv.Atoi(string(b[p+1 : p+e]))
			p += e + 3 + n
		case c == '(':
			depth++
			p++
		case c == ')':
			if depth == 0 {
				return p
			}
			depth--
			p++
			if depth == 0 {
				return p
			}
		case c == ' ' && depth == 0:
			return p
		case c == '\r' && depth == 0:
			return p
		default:
			p++
		}
		if depth == 0 && p < len(b) && (b[p] == ' ' || b[p] == ')' || b[p] == '\r') {
			return p
		}
	}
	return p
}

// literalOrString returns the bytes of an IMAP string value.
func literalOrString(v []byte) []byte {
	if len(v) > 0 && v[0] == '{' {
		e := bytes.Index(v, []byte("}\r\n"))
		return v[e+3:]
	}
	if len(v) >= 2 && v[0] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}
