// Command pop3-bench times POP3 downloads on Gyrus's pop3d, the real
// Cyrus 3.6.1 pop3d and Dovecot 2.3's pop3, in the same run on the same
// machine: each server gets a user with the same N messages (appended
// over IMAP), then rounds alternate between the servers; in a round a
// client logs in, RETRieves every message one after the other (waiting
// for each answer, as fetchmail does), checks the total length read
// (the messages plus their dot-stuffing), and QUITs without deleting.
// It prints, per server, the median and best round,
// messages and megabytes per second, and the ratios to Gyrus.
//
//	go run ./bench/pop3                       # 1,000 messages, 5 rounds
//	go run ./bench/pop3 -n 1000 -rounds 9 -size 4096
//	go run ./bench/pop3 -pipeline             # all RETRs sent at once
//
// It must run as root (the oracle scripts in ../shared/oracle install and
// start Cyrus and Dovecot). Gyrus's imapd and pop3d are built from this
// tree and run standalone (--listen), without master.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

var (
	flagN        = flag.Int("n", 1000, "messages in the mailbox")
	flagRounds   = flag.Int("rounds", 5, "download rounds per server")
	flagSize     = flag.Int("size", 4096, "approximate message size in bytes")
	flagPipeline = flag.Bool("pipeline", false, "send all RETR commands at once (RFC 2449 PIPELINING)")
	flagKeep     = flag.Bool("keep", false, "keep the servers' directories")
)

const user, password = "bench", "bench-pw"

type server struct {
	name     string
	pop, imp string // host:port
	stop     func()
	times    []time.Duration
	bytes    int64
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pop3-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	if os.Geteuid() != 0 {
		return errors.New("must run as root (the Cyrus and Dovecot oracles need it)")
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	oracle := filepath.Join(filepath.Dir(root), "shared", "oracle")
	base, err := os.MkdirTemp("", "pop3-bench-")
	if err != nil {
		return err
	}
	os.Chmod(base, 0o755)
	if !*flagKeep {
		defer os.RemoveAll(base)
	}
	msgs := messages(*flagN, *flagSize)

	var servers []*server
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	g, err := startGyrus(root, filepath.Join(base, "gyrus"))
	if err != nil {
		return fmt.Errorf("gyrus: %w", err)
	}
	servers = append(servers, g)
	c, err := startCyrus(oracle, filepath.Join(base, "cyrus"))
	if err != nil {
		return fmt.Errorf("cyrus: %w", err)
	}
	servers = append(servers, c)
	d, err := startDovecot(oracle, filepath.Join(base, "dovecot"))
	if err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	servers = append(servers, d)

	for _, s := range servers {
		if err := fill(s, msgs); err != nil {
			return fmt.Errorf("%s: filling the mailbox: %w", s.name, err)
		}
	}
	// one warm-up round each, then the rounds, alternating servers so
	// that load from elsewhere falls on all of them alike
	want := wireBytes(msgs)
	for r := -1; r < *flagRounds; r++ {
		for _, s := range servers {
			d, n, err := download(s, len(msgs), *flagPipeline)
			if err != nil {
				return fmt.Errorf("%s: round %d: %w", s.name, r, err)
			}
			if n != want {
				return fmt.Errorf("%s: round %d: %d message bytes on the wire, want %d", s.name, r, n, want)
			}
			if r >= 0 {
				s.times = append(s.times, d)
				s.bytes = n
			}
		}
	}
	mode := "one RETR at a time"
	if *flagPipeline {
		mode = "pipelined RETRs"
	}
	fmt.Printf("POP3 RETR of %d messages (%.1f MB), %s, %d rounds\n", len(msgs), float64(servers[0].bytes)/1e6, mode, *flagRounds)
	fmt.Printf("%-8s %10s %10s %12s %10s %10s\n", "server", "median", "best", "msg/s", "MB/s", "vs gyrus")
	gm := median(servers[0].times)
	for _, s := range servers {
		m := median(s.times)
		fmt.Printf("%-8s %10s %10s %12.0f %10.1f %9.2fx\n", s.name, m.Round(time.Millisecond), best(s.times).Round(time.Millisecond),
			float64(len(msgs))/m.Seconds(), float64(s.bytes)/1e6/m.Seconds(), float64(m)/float64(gm))
	}
	fmt.Println("(vs gyrus: the server's median time over Gyrus's; above 1 means Gyrus is faster)")
	return nil
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func best(d []time.Duration) time.Duration {
	b := d[0]
	for _, x := range d {
		if x < b {
			b = x
		}
	}
	return b
}

// wireBytes is what a download must read between the +OK lines and the
// terminating dots: every message as appended, with one more dot on each
// line that starts with one (RFC 1939 3, byte-stuffing).
func wireBytes(msgs [][]byte) int64 {
	var n int64
	for _, m := range msgs {
		n += int64(len(m))
		for _, l := range bytes.SplitAfter(m, []byte("\n")) {
			if len(l) > 0 && l[0] == '.' {
				n++
			}
		}
	}
	return n
}

// messages makes n messages of about size bytes, CRLF, some lines that
// need dot-stuffing.
func messages(n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		var b bytes.Buffer
		fmt.Fprintf(&b, "From: sender@example.org\r\nTo: %s@example.org\r\nSubject: benchmark message %d\r\nMessage-ID: <bench-%d@example.org>\r\n\r\n", user, i, i)
		for l := 0; b.Len() < size; l++ {
			if l%20 == 7 {
				b.WriteString(".a line that starts with a dot\r\n")
			} else {
				fmt.Fprintf(&b, "line %4d of message %6d: the quick brown fox jumps over the lazy dog\r\n", l, i)
			}
		}
		out[i] = b.Bytes()
	}
	return out
}

// ---- the servers ---------------------------------------------------------------

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte("module gyrus")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run it inside the gyrus module")
		}
		dir = parent
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitPort(addr string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s does not answer", addr)
}

func startGyrus(root, dir string) (*server, error) {
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{bin, "etc", "lib", "spool", "proc"} {
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	build := exec.Command("go", "build", "-o", bin+"/", "./cmd/imapd", "./cmd/pop3d", "./cmd/saslpasswd2")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build: %v\n%s", err, out)
	}
	conf := filepath.Join(dir, "etc", "imapd.conf")
	sasldb := filepath.Join(dir, "etc", "sasldb2")
	text := fmt.Sprintf(`configdirectory: %[1]s/lib
partition-default: %[1]s/spool
proc_path: %[1]s/proc
servername: localhost
admins: admin
cyrus_user: root
sasl_pwcheck_method: auxprop
sasl_sasldb_path: %[2]s
sasl_mech_list: PLAIN LOGIN
allowplaintext: yes
altnamespace: no
unixhierarchysep: no
hashimapspool: yes
`, dir, sasldb)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return nil, err
	}
	for _, u := range [][2]string{{"admin", "admin-pw"}, {user, password}} {
		cmd := exec.Command(filepath.Join(bin, "saslpasswd2"), "-p", "-c", "-f", sasldb, "-u", "localhost", u[0])
		cmd.Stdin = strings.NewReader(u[1])
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("saslpasswd2: %v: %s", err, out)
		}
	}
	ip, err := freePort()
	if err != nil {
		return nil, err
	}
	pp, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &server{name: "gyrus", imp: fmt.Sprintf("127.0.0.1:%d", ip), pop: fmt.Sprintf("127.0.0.1:%d", pp)}
	logf, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		return nil, err
	}
	var procs []*exec.Cmd
	for _, p := range [][2]string{{"imapd", s.imp}, {"pop3d", s.pop}} {
		// no retiring in the middle of the run (-U uses, -T idle seconds)
		cmd := exec.Command(filepath.Join(bin, p[0]), "-C", conf, "-U", "1000000", "-T", "86400", "--listen", p[1])
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		procs = append(procs, cmd)
	}
	s.stop = func() {
		for _, p := range procs {
			p.Process.Signal(os.Interrupt)
			p.Wait()
		}
		logf.Close()
	}
	if err := waitPort(s.imp); err != nil {
		s.stop()
		return nil, err
	}
	if err := waitPort(s.pop); err != nil {
		s.stop()
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		return nil, fmt.Errorf("%v\n%s", err, log)
	}
	a, err := imapLogin(s.imp, "admin", "admin-pw")
	if err != nil {
		s.stop()
		return nil, err
	}
	defer a.close()
	if err := a.simple(`CREATE "user.` + user + `"`); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func oracleStart(script, dir string, protos []string) (map[string]int, error) {
	ports := map[string]int{}
	args := []string{"start", dir}
	for _, p := range protos {
		n, err := freePort()
		if err != nil {
			return nil, err
		}
		ports[p] = n
		args = append(args, "--"+p, strconv.Itoa(n))
	}
	if out, err := exec.Command(script, args...).CombinedOutput(); err != nil {
		exec.Command(script, "stop", dir).Run()
		return nil, fmt.Errorf("%s start: %v\n%s", filepath.Base(script), err, out)
	}
	return ports, nil
}

func startCyrus(oracle, dir string) (*server, error) {
	return startReference("cyrus", filepath.Join(oracle, "cyrus-ref"), dir, []string{"imap", "pop3", "lmtp", "sieve", "sync"})
}

func startDovecot(oracle, dir string) (*server, error) {
	return startReference("dovecot", filepath.Join(oracle, "dovecot-ref"), dir, []string{"imap", "pop3", "lmtp"})
}

// startReference starts one of the oracle's servers (script: cyrus-ref or
// dovecot-ref) on free ports for protos and adds the benchmark's user.
func startReference(name, script, dir string, protos []string) (*server, error) {
	ports, err := oracleStart(script, dir, protos)
	if err != nil {
		return nil, err
	}
	s := &server{name: name, imp: fmt.Sprintf("127.0.0.1:%d", ports["imap"]), pop: fmt.Sprintf("127.0.0.1:%d", ports["pop3"]),
		stop: func() { exec.Command(script, "stop", dir).Run() }}
	if err := waitPort(s.imp); err != nil {
		s.stop()
		return nil, err
	}
	if out, err := exec.Command(script, "adduser", dir, user, password).CombinedOutput(); err != nil {
		s.stop()
		return nil, fmt.Errorf("adduser: %v\n%s", err, out)
	}
	return s, nil
}

// ---- IMAP, to fill the mailboxes --------------------------------------------------

type imapConn struct {
	c   net.Conn
	br  *bufio.Reader
	tag int
}

func imapLogin(addr, u, p string) (*imapConn, error) {
	c, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		return nil, err
	}
	ic := &imapConn{c: c, br: bufio.NewReader(c)}
	if _, err := ic.br.ReadString('\n'); err != nil {
		c.Close()
		return nil, err
	}
	if err := ic.simple(fmt.Sprintf("LOGIN %q %q", u, p)); err != nil {
		c.Close()
		return nil, err
	}
	return ic, nil
}

func (ic *imapConn) close() { ic.simple("LOGOUT"); ic.c.Close() }

func (ic *imapConn) result(tag string) error {
	for {
		l, err := ic.br.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(l, tag+" ") {
			if strings.HasPrefix(l, tag+" OK") {
				return nil
			}
			return errors.New(strings.TrimSpace(l))
		}
	}
}

func (ic *imapConn) simple(cmd string) error {
	ic.tag++
	tag := "b" + strconv.Itoa(ic.tag)
	if _, err := io.WriteString(ic.c, tag+" "+cmd+"\r\n"); err != nil {
		return err
	}
	return ic.result(tag)
}

// fill appends the messages to the user's INBOX, 100 per MULTIAPPEND.
func fill(s *server, msgs [][]byte) error {
	ic, err := imapLogin(s.imp, user, password)
	if err != nil {
		return err
	}
	defer ic.close()
	for i := 0; i < len(msgs); i += 100 {
		ic.tag++
		tag := "b" + strconv.Itoa(ic.tag)
		w := bufio.NewWriter(ic.c)
		w.WriteString(tag + " APPEND INBOX")
		for _, m := range msgs[i:min(i+100, len(msgs))] {
			fmt.Fprintf(w, " {%d}\r\n", len(m))
			w.Flush()
			l, err := ic.br.ReadString('\n')
			if err != nil {
				return err
			}
			if !strings.HasPrefix(l, "+") {
				return errors.New(strings.TrimSpace(l))
			}
			w.Write(m)
		}
		w.WriteString("\r\n")
		w.Flush()
		if err := ic.result(tag); err != nil {
			return err
		}
	}
	return nil
}

// ---- the measured part ----------------------------------------------------------------

// download logs in, retrieves every message and quits; it returns the
// time from connect to the answer to QUIT, and the message bytes read.
func download(s *server, n int, pipeline bool) (time.Duration, int64, error) {
	start := time.Now()
	c, err := net.DialTimeout("tcp", s.pop, 30*time.Second)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Minute))
	br := bufio.NewReaderSize(c, 64*1024)
	w := bufio.NewWriter(c)
	status := func() error {
		l, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(l, "+OK") {
			return errors.New(strings.TrimSpace(l))
		}
		return nil
	}
	if err := status(); err != nil {
		return 0, 0, err
	}
	fmt.Fprintf(w, "USER %s\r\nPASS %s\r\n", user, password)
	w.Flush()
	if err := status(); err != nil {
		return 0, 0, err
	}
	if err := status(); err != nil {
		return 0, 0, err
	}
	var total int64
	body := func() error {
		if err := status(); err != nil {
			return err
		}
		for {
			l, err := br.ReadSlice('\n')
			if err != nil && err != bufio.ErrBufferFull {
				return err
			}
			if len(l) == 3 && l[0] == '.' && l[1] == '\r' {
				return nil
			}
			total += int64(len(l))
		}
	}
	if pipeline {
		for i := 1; i <= n; i++ {
			fmt.Fprintf(w, "RETR %d\r\n", i)
		}
		w.Flush()
		for i := 1; i <= n; i++ {
			if err := body(); err != nil {
				return 0, 0, fmt.Errorf("RETR %d: %w", i, err)
			}
		}
	} else {
		for i := 1; i <= n; i++ {
			fmt.Fprintf(w, "RETR %d\r\n", i)
			w.Flush()
			if err := body(); err != nil {
				return 0, 0, fmt.Errorf("RETR %d: %w", i, err)
			}
		}
	}
	w.WriteString("QUIT\r\n")
	w.Flush()
	if err := status(); err != nil {
		return 0, 0, err
	}
	return time.Since(start), total, nil
}
