package lmtp_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"gyrus/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// server is one of the two servers a differential test drives: a
// private Gyrus (master + lmtpd + imapd) or the real Cyrus 3.6.1.
type server interface {
	Name() string
	// LMTPAddr is the pre-authorized TCP LMTP listener (lmtpd -a).
	LMTPAddr() string
	// UnixSocket is the LMTP UNIX socket (deliver's way in).
	UnixSocket() string
	// Admin is an IMAP client logged in as an admin.
	Admin(t testing.TB) *imapclient.Client
	// MailboxDir is where a mailbox's message files are.
	MailboxDir(t testing.TB, mbox string) string
	// Tool runs one of the server's own programs (-C added).
	Tool(t testing.TB, name string, args ...string) (string, error)
	// ConfigDir is configdirectory.
	ConfigDir() string
}

type gyrusServer struct{ in *harness.Instance }

func (g gyrusServer) Name() string       { return "gyrus" }
func (g gyrusServer) LMTPAddr() string   { return g.in.Addr("lmtp") }
func (g gyrusServer) UnixSocket() string { return filepath.Join(g.in.Run, "lmtp") }
func (g gyrusServer) ConfigDir() string  { return g.in.ConfigDir }
func (g gyrusServer) Admin(t testing.TB) *imapclient.Client {
	c := harness.IMAPClient(t, g.in.Addr("imap"))
	if err := c.Login("admin", "adminpw").Wait(); err != nil {
		t.Fatalf("gyrus admin login: %v\n%s", err, g.in.LogTail(30))
	}
	return c
}
func (g gyrusServer) Tool(t testing.TB, name string, args ...string) (string, error) {
	cmd := exec.Command(harness.Bin(t, name), append([]string{"-C", g.in.IMAPDConf}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
func (g gyrusServer) MailboxDir(t testing.TB, mbox string) string {
	out, err := g.Tool(t, "mbpath", mbox)
	if err != nil {
		t.Fatalf("mbpath %s: %v %s", mbox, err, out)
	}
	return strings.TrimSpace(out)
}

type cyrusServer struct{ o *harness.Oracle }

func (c cyrusServer) Name() string       { return "cyrus" }
func (c cyrusServer) LMTPAddr() string   { return c.o.Addr("lmtp") }
func (c cyrusServer) UnixSocket() string { return filepath.Join(c.o.Dir, "run", "socket", "lmtp") }
func (c cyrusServer) ConfigDir() string  { return filepath.Join(c.o.Dir, "lib") }
func (c cyrusServer) Admin(t testing.TB) *imapclient.Client {
	cl := harness.IMAPClient(t, c.o.Addr("imap"))
	if err := cl.Login("cyrus", "cyrus-admin-pw").Wait(); err != nil {
		t.Fatalf("cyrus admin login: %v", err)
	}
	return cl
}
func (c cyrusServer) Tool(t testing.TB, name string, args ...string) (string, error) {
	return c.o.Tool(t, name, args...)
}
func (c cyrusServer) MailboxDir(t testing.TB, mbox string) string {
	out, err := c.o.Tool(t, "mbpath", mbox)
	if err != nil {
		t.Fatalf("mbpath %s: %v %s", mbox, err, out)
	}
	return strings.TrimSpace(out)
}

// gyrusOptions is the imapd.conf both sides share (Cyrus's oracle
// config has the same settings).
func startGyrus(t testing.TB, conf map[string]string) gyrusServer {
	t.Helper()
	return startGyrusAllow(t, conf, nil)
}

// startGyrusAllow is startGyrus with log lines the test provokes.
func startGyrusAllow(t testing.TB, conf map[string]string, allow []string) gyrusServer {
	t.Helper()
	if !harness.Have(t, "lmtpd") || !harness.Have(t, "imapd") {
		t.Skip("lmtpd or imapd does not build")
	}
	keys := map[string]string{"tls_server_cert": "", "quotawarn": "90"}
	for k, v := range conf {
		keys[k] = v
	}
	harness.Bin(t, "saslpasswd2")
	harness.Bin(t, "mbpath")
	in := harness.New(t, harness.Options{IMAPDConf: keys, AllowLog: allow})
	// older harnesses wrote only Cyrus SASL's "sasldb_path"; Gyrus
	// reads sasl_sasldb_path
	if b, err := os.ReadFile(in.IMAPDConf); err == nil && !strings.Contains(string(b), "sasl_sasldb_path:") {
		f, err := os.OpenFile(in.IMAPDConf, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "sasl_sasldb_path: %s\n", filepath.Join(in.Dir, "etc", "sasldb2"))
		f.Close()
	}
	in.Start()
	in.AddUser(t, "admin", "adminpw")
	return gyrusServer{in}
}

func startCyrus(t testing.TB, opts ...string) cyrusServer {
	t.Helper()
	o := harness.StartOracle(t, harness.OracleOptions{Opts: opts})
	return cyrusServer{o}
}

// createMailboxes makes mailboxes as an admin (user.x is a user).
func createMailboxes(t testing.TB, s server, names ...string) {
	t.Helper()
	c := s.Admin(t)
	defer c.Logout()
	for _, n := range names {
		if err := c.Create(n, nil).Wait(); err != nil {
			t.Fatalf("%s: CREATE %s: %v", s.Name(), n, err)
		}
	}
}

// messageFiles returns the message files of a mailbox in UID order.
func messageFiles(t testing.TB, s server, mbox string) [][]byte {
	t.Helper()
	dir := s.MailboxDir(t, mbox)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("%s: %v", s.Name(), err)
	}
	var uids []int
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".") {
			if u, err := strconv.Atoi(strings.TrimSuffix(n, ".")); err == nil {
				uids = append(uids, u)
			}
		}
	}
	sort.Ints(uids)
	var out [][]byte
	for _, u := range uids {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.", u)))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// rawConn is a line client for LMTP transcripts.
type rawConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t testing.TB, network, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (r *rawConn) send(s string) {
	r.t.Helper()
	if _, err := r.c.Write([]byte(s)); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// reply reads one (possibly multi-line) reply.
func (r *rawConn) reply() string {
	r.t.Helper()
	var b strings.Builder
	for {
		r.c.SetReadDeadline(time.Now().Add(20 * time.Second))
		line, err := r.br.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			if b.Len() == 0 {
				return "<closed>"
			}
			return b.String()
		}
		if len(line) < 4 || line[3] != '-' {
			return b.String()
		}
	}
}

// replyNoDeadline reads one reply from a stream without deadlines
// (a pipe).
func (r *rawConn) replyNoDeadline() string {
	var b strings.Builder
	for {
		line, err := r.br.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			if b.Len() == 0 {
				return "<closed>"
			}
			return b.String()
		}
		if len(line) < 4 || line[3] != '-' {
			return b.String()
		}
	}
}

// replies reads n replies.
func (r *rawConn) replies(n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, r.reply())
	}
	return out
}

var (
	sessionIDRe = regexp.MustCompile(`SESSIONID=<[^>]*>`)
	versionRe   = regexp.MustCompile(`(Cyrus|Gyrus) LMTP [^ ]+`)
	// the size of a refused message includes lmtpd's own fields, whose
	// length depends on the product name and the session id
	msgSizeRe = regexp.MustCompile(`Message size \(\d+\)`)
)

// normReply makes replies of both servers comparable: session ids and
// the product name in the greeting.
func normReply(s string) string {
	s = sessionIDRe.ReplaceAllString(s, "SESSIONID=<*>")
	s = msgSizeRe.ReplaceAllString(s, "Message size (N)")
	return versionRe.ReplaceAllString(s, "PRODUCT LMTP VERSION")
}

var (
	receivedDateRe = regexp.MustCompile(`(?m)^(\t [A-Z][a-z][a-z], \d\d [A-Z][a-z][a-z] \d{4} \d\d:\d\d:\d\d [+-]\d{4})\r$`)
	productRe      = regexp.MustCompile(`\((Cyrus|Gyrus) [^)]*\) with LMTP`)
	sessionHdrRe   = regexp.MustCompile(`(?m)^X-Cyrus-Session-Id: .*\r$`)
	msgIDGenRe     = regexp.MustCompile(`<cmu-lmtpd-\d+-\d+-\d+@`)
)

// normMessage makes stored files comparable: the date lmtpd writes in
// its Received field (and in the Date field it adds to a message
// without one), the product in Received, the session id header, and
// the Message-ID lmtpd makes for a message without one.
func normMessage(b []byte) string {
	s := string(b)
	if m := receivedDateRe.FindStringSubmatch(s); m != nil {
		date := strings.TrimPrefix(m[1], "\t ")
		s = strings.Replace(s, "\r\nDate: "+date+"\r\n", "\r\nDate: GENERATED\r\n", 1)
	}
	s = receivedDateRe.ReplaceAllString(s, "\t DATE\r")
	s = productRe.ReplaceAllString(s, "(PRODUCT) with LMTP")
	s = sessionHdrRe.ReplaceAllString(s, "X-Cyrus-Session-Id: SID\r")
	s = msgIDGenRe.ReplaceAllString(s, "<cmu-lmtpd-GEN@")
	return s
}
