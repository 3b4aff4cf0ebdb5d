package tlsutil

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gyrus/lib/config"
	"gyrus/lib/log"
)

// The cross-process test re-executes the test binary as a second server
// process (childServer) sharing the sessions database with this one.
const (
	childEnv     = "GYRUS_TLSUTIL_CHILD"
	childConfEnv = "GYRUS_TLSUTIL_CHILD_CONF"
)

type childConf struct {
	Ident string
	Opts  map[string]string
}

// childServer is main() of the child: it serves handshakes on a loopback
// port, answers each connection with "resumed=<bool>\n", and exits when
// its stdin closes.
func childServer() {
	log.Setup(log.Options{Ident: "tlsutil-child", Socket: "/nonexistent/tlsutil-test-log", Stderr: os.Stderr})
	var cc childConf
	data, err := os.ReadFile(os.Getenv(childConfEnv))
	if err == nil {
		err = json.Unmarshal(data, &cc)
	}
	var c *config.Config
	if err == nil {
		c, err = config.FromMap(cc.Opts, cc.Ident)
	}
	var s *Server
	if err == nil {
		s, err = NewServer(c, Options{})
	}
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("ADDR", ln.Addr())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			os.Exit(1)
		}
		go serveOne(s, conn)
	}
}

// serveOne is what a service does with one connection in these tests.
func serveOne(s *Server, conn net.Conn) {
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tc, st, err := s.Handshake(ctx, conn)
	if err != nil {
		return
	}
	fmt.Fprintf(tc, "resumed=%v\n", st.Resumed)
	tc.Close()
}

// startChild starts a child server process with the given config.
func startChild(t *testing.T, ident string, opts map[string]string) string {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "child.json")
	data, _ := json.Marshal(childConf{Ident: ident, Opts: opts})
	if err := os.WriteFile(conf, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", childConfEnv+"="+conf)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		t.Fatalf("child: %q %v", line, err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
}

// serveLocal runs s on a loopback port in this process.
func serveLocal(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveOne(s, conn)
		}
	}()
	return ln.Addr().String()
}

// connect does one handshake to addr and reads the server's line; it
// reports whether both sides saw a resumed session.
func connect(t *testing.T, addr string, cfg *tls.Config) (clientResumed bool, serverLine string) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n') // also reads TLS 1.3 tickets
	if err != nil {
		t.Fatalf("read from %s: %v", addr, err)
	}
	return c.ConnectionState().DidResume, strings.TrimSpace(line)
}

func TestResumptionAcrossProcesses(t *testing.T) {
	e := newEnv(t)
	local := serveLocal(t, e.server(t, "imap", Options{}))
	child := startChild(t, "imap", e.opts)
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		t.Run(versionName(v), func(t *testing.T) {
			for _, route := range [][2]string{{local, child}, {child, local}} {
				cfg := e.clientConfig()
				cfg.MaxVersion = v
				cfg.ClientSessionCache = tls.NewLRUClientSessionCache(8)
				if r, line := connect(t, route[0], cfg); r || line != "resumed=false" {
					t.Fatalf("first connection resumed: %v %s", r, line)
				}
				if r, line := connect(t, route[1], cfg); !r || line != "resumed=true" {
					t.Errorf("ticket from %s not resumed by %s: client %v server %q", route[0], route[1], r, line)
				}
			}
		})
	}
	// A ticket issued to imap does not resume at pop3, which shares the
	// database but not the sessions (Cyrus's session id context).
	pop := startChild(t, "pop3", e.opts)
	cfg := e.clientConfig()
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(8)
	connect(t, local, cfg)
	if r, line := connect(t, pop, cfg); r || line != "resumed=false" {
		t.Errorf("imap ticket resumed at pop3: %v %s", r, line)
	}
}

// TestOpenSSLClientResumesAcrossProcesses uses openssl s_client, the
// client library most mail clients on Linux sit on: a session saved from
// one process is resumed by another.
func TestOpenSSLClientResumesAcrossProcesses(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl(1) not installed")
	}
	e := newEnv(t)
	caFile := writeFile(t, e.dir, "ca.pem", e.ca.pem)
	local := serveLocal(t, e.server(t, "imap", Options{}))
	child := startChild(t, "imap", e.opts)
	for _, v := range []string{"-tls1_3", "-tls1_2"} {
		sess := filepath.Join(t.TempDir(), "sess.pem")
		sclient := func(addr, sessFlag string) string {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "openssl", "s_client", v, "-connect", addr, "-CAfile", caFile,
				"-servername", "localhost", "-ign_eof", sessFlag, sess)
			cmd.Stdin = strings.NewReader("")
			out, _ := cmd.CombinedOutput()
			return string(out)
		}
		first := sclient(local, "-sess_out")
		if !strings.Contains(first, "resumed=false") || !strings.Contains(first, "Verify return code: 0 (ok)") {
			t.Fatalf("%s first connection:\n%s", v, first)
		}
		second := sclient(child, "-sess_in")
		if !strings.Contains(second, "Reused,") || !strings.Contains(second, "resumed=true") {
			t.Errorf("%s: openssl session from %s not resumed by %s:\n%s", v, local, child, second)
		}
	}
}
