package corpus

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gyrus/lib/message"
)

// TestLiveOracle re-runs a sample of the corpus on a real Cyrus 3.6.1
// (shared/oracle/cyrus-ref, started privately on free ports): APPEND,
// FETCH ENVELOPE/BODYSTRUCTURE/BODY, and the cache entry read from the
// spool must equal both the golden files and lib/message's output, so
// that the golden files cannot drift. GYRUS_LIVE_N sets the sample size
// (default 24); it needs root, as cyrus-ref does.
func TestLiveOracle(t *testing.T) {
	ref := os.Getenv("CYRUS_REF")
	if ref == "" {
		ref = "/work/shared/oracle/cyrus-ref"
	}
	if _, err := os.Stat(ref); err != nil {
		t.Skipf("oracle script %s absent", ref)
	}
	if os.Geteuid() != 0 {
		t.Skip("cyrus-ref needs root")
	}
	n := 24
	if v, err := strconv.Atoi(os.Getenv("GYRUS_LIVE_N")); err == nil {
		n = v
	}
	corpus := loadCorpus(t)
	var sample []golden
	for i, g := range corpus {
		if g.Delivery == "append" && i%max(1, len(corpus)/n) == 0 && len(sample) < n {
			sample = append(sample, g)
		}
	}

	base, err := os.MkdirTemp("", "gyrus-live-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "cyrus")
	ports := freePorts(t, 5)
	args := []string{"start", dir, "--imap", ports[0], "--pop3", ports[1], "--lmtp", ports[2],
		"--sieve", ports[3], "--sync", ports[4], "--no-tls", "--opt", "munge8bit=no"}
	if out, err := exec.Command(ref, args...).CombinedOutput(); err != nil {
		t.Skipf("cyrus-ref cannot run here: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command(ref, "stop", dir).Run() })
	if out, err := exec.Command(ref, "adduser", dir, "alice", "alicepw").CombinedOutput(); err != nil {
		t.Fatalf("adduser: %v\n%s", err, out)
	}

	c := dialIMAP(t, "127.0.0.1:"+ports[0])
	c.cmd(t, "LOGIN alice alicepw", nil)
	uids := map[string]int{}
	for _, g := range sample {
		raw, err := os.ReadFile(filepath.Join("msgs", g.Message))
		if err != nil {
			t.Fatal(err)
		}
		tagged, _ := c.cmd(t, "APPEND INBOX", raw)
		i := strings.Index(tagged, "APPENDUID ")
		if i < 0 {
			t.Fatalf("%s: APPEND: %s", g.Message, tagged)
		}
		f := strings.Fields(tagged[i:])
		uid, _ := strconv.Atoi(strings.TrimRight(f[2], "]"))
		uids[g.Message] = uid
	}
	c.cmd(t, "EXAMINE INBOX", nil)

	out, err := exec.Command(ref, "tool", dir, "mbpath", "user.alice").Output()
	if err != nil {
		t.Fatalf("mbpath: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	entries := readSpoolEntries(t, strings.TrimSpace(lines[len(lines)-1]))

	for _, g := range sample {
		uid := uids[g.Message]
		_, untagged := c.cmd(t, fmt.Sprintf("UID FETCH %d (ENVELOPE BODYSTRUCTURE BODY)", uid), nil)
		items := map[string][]byte{}
		for _, u := range untagged {
			if strings.Contains(u, " FETCH (") {
				for k, v := range fetchItems(t, []byte(u)) {
					items[k] = v
				}
			}
		}
		raw, _ := os.ReadFile(filepath.Join("msgs", g.Message))
		m, err := message.ParseBytes(raw, message.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name   string
			golden string
			gyrus  []byte
		}{{"ENVELOPE", g.Envelope, m.Items[message.ItemEnvelope]},
			{"BODYSTRUCTURE", g.BodyStructure, m.Items[message.ItemBodyStructure]},
			{"BODY", g.Body, m.Items[message.ItemBody]}} {
			gold, _ := base64.StdEncoding.DecodeString(c.golden)
			if !bytes.Equal(items[c.name], gold) {
				t.Errorf("%s: live FETCH %s differs from the golden file", g.Message, c.name)
			}
			if !bytes.Equal(items[c.name], c.gyrus) {
				t.Errorf("%s: live FETCH %s differs from lib/message", g.Message, c.name)
			}
		}
		gold, _ := base64.StdEncoding.DecodeString(g.Cache)
		if !bytes.Equal(entries[uid], gold) {
			t.Errorf("%s: live cache entry differs from the golden file", g.Message)
		}
		if !bytes.Equal(entries[uid], m.CacheEntry()) {
			t.Errorf("%s: live cache entry differs from lib/message", g.Message)
		}
	}
	c.cmd(t, "LOGOUT", nil)
	t.Logf("%d messages re-checked on a live Cyrus", len(sample))
}

func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var ls []net.Listener
	var ports []string
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// readSpoolEntries maps UIDs to their cache entries (cyrus.index records
// point into cyrus.cache; spec/formats.md §6-7).
func readSpoolEntries(t *testing.T, mbdir string) map[int][]byte {
	t.Helper()
	idx, err := os.ReadFile(filepath.Join(mbdir, "cyrus.index"))
	if err != nil {
		t.Fatal(err)
	}
	cache, err := os.ReadFile(filepath.Join(mbdir, "cyrus.cache"))
	if err != nil {
		t.Fatal(err)
	}
	start := int(binary.BigEndian.Uint32(idx[12:]))
	recSize := int(binary.BigEndian.Uint32(idx[16:]))
	num := int(binary.BigEndian.Uint32(idx[20:]))
	out := map[int][]byte{}
	for i := 0; i < num; i++ {
		r := idx[start+i*recSize:]
		uid := int(binary.BigEndian.Uint32(r))
		off := int(binary.BigEndian.Uint32(r[24:])) | int(binary.BigEndian.Uint32(r[56:])&0xffff0000)<<16
		_, n, err := message.SplitCacheEntry(cache[off:])
		if err != nil {
			t.Fatalf("uid %d: %v", uid, err)
		}
		out[uid] = cache[off : off+n]
	}
	return out
}

type imapConn struct {
	c   net.Conn
	r   *bufio.Reader
	tag int
}

func dialIMAP(t *testing.T, addr string) *imapConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ic := &imapConn{c: c, r: bufio.NewReader(c)}
	ic.line(t) // greeting
	return ic
}

// line reads one response line with its literals.
func (ic *imapConn) line(t *testing.T) string {
	t.Helper()
	ic.c.SetReadDeadline(time.Now().Add(60 * time.Second))
	var out []byte
	for {
		l, err := ic.r.ReadBytes('\n')
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		out = append(out, l...)
		s := string(l)
		if !strings.HasSuffix(s, "}\r\n") {
			return string(out)
		}
		j := strings.LastIndexByte(s, '{')
		n, err := strconv.Atoi(s[j+1 : len(s)-3])
		if err != nil {
			return string(out)
		}
		lit := make([]byte, n)
		if _, err := io.ReadFull(ic.r, lit); err != nil {
			t.Fatalf("read literal: %v", err)
		}
		out = append(out, lit...)
	}
}

func (ic *imapConn) cmd(t *testing.T, cmd string, literal []byte) (tagged string, untagged []string) {
	t.Helper()
	ic.tag++
	tag := fmt.Sprintf("T%d", ic.tag)
	if literal != nil {
		fmt.Fprintf(ic.c, "%s %s {%d}\r\n", tag, cmd, len(literal))
		if l := ic.line(t); !strings.HasPrefix(l, "+") {
			t.Fatalf("%s: %s", cmd, l)
		}
		ic.c.Write(literal)
		ic.c.Write([]byte("\r\n"))
	} else {
		fmt.Fprintf(ic.c, "%s %s\r\n", tag, cmd)
	}
	for {
		l := ic.line(t)
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l, tag+" OK") {
				t.Fatalf("%s: %s", cmd, l)
			}
			return l, untagged
		}
		untagged = append(untagged, l)
	}
}

// fetchItems splits "* n FETCH (NAME value ...)" into its items.
func fetchItems(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	i := bytes.IndexByte(b, '(') + 1
	out := map[string][]byte{}
	for i < len(b) && b[i] != ')' {
		j := bytes.IndexByte(b[i:], ' ')
		if j < 0 {
			t.Fatalf("bad FETCH response %q", b)
		}
		name := string(b[i : i+j])
		k := valueEnd(b, i+j+1)
		out[name] = b[i+j+1 : k]
		i = k
		if i < len(b) && b[i] == ' ' {
			i++
		}
	}
	return out
}

// valueEnd returns the end of the IMAP value at b[i].
func valueEnd(b []byte, i int) int {
	switch {
	case i >= len(b):
		return i
	case b[i] == '(':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '(':
				depth++
				i++
			case ')':
				depth--
				i++
				if depth == 0 {
					return i
				}
			case '"', '{':
				i = valueEnd(b, i)
			default:
				i++
			}
		}
		return i
	case b[i] == '"':
		i++
		for i < len(b) && b[i] != '"' {
			i++
		}
		return i + 1
	case b[i] == '{':
		j := bytes.IndexByte(b[i:], '}')
		n, _ := strconv.Atoi(string(b[i+1 : i+j]))
		return i + j + 3 + n
	}
	for i < len(b) && b[i] != ' ' && b[i] != ')' {
		i++
	}
	return i
}
