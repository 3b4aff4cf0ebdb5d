package imap

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestReadResponse(t *testing.T) {
	in := "* 1 FETCH (BODY[] {5}\r\nhe\r\no BODY[HEADER] {0}\r\n FLAGS ())\r\n" +
		"a1 OK done\n" +
		"* 2 FETCH (BODY[] {10}\r\nshort"
	r := bufio.NewReader(strings.NewReader(in))
	resp, err := ReadResponse(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Texts) != 3 || len(resp.Lits) != 2 || string(resp.Lits[0]) != "he\r\no" || resp.Texts[2] != " FLAGS ())" {
		t.Fatalf("got %q %q", resp.Texts, resp.Lits)
	}
	resp, err = ReadResponse(r)
	if err != nil || resp.Texts[0] != "a1 OK done<<BARE-LF>>" || !resp.Tagged("a1") || resp.Status() != "OK" {
		t.Fatalf("bare LF: %q %v", resp.Texts, err)
	}
	resp, err = ReadResponse(r)
	if err != io.ErrUnexpectedEOF || resp == nil {
		t.Fatalf("cut literal: %v %v", resp, err)
	}
	if _, err := ReadResponse(r); err != io.EOF {
		t.Fatalf("want EOF, got %v", err)
	}
	for _, c := range []struct {
		line         string
		cont, bye    bool
		tag, tagWant string
	}{
		{"+ go ahead", true, false, "a", ""},
		{"+", true, false, "a", ""},
		{"* BYE LOGOUT received", false, true, "a", ""},
		{"a NO [TRYCREATE] no", false, false, "a", "NO"},
	} {
		resp, _ := ReadResponse(bufio.NewReader(strings.NewReader(c.line + "\r\n")))
		if resp.Continuation() != c.cont || resp.Bye() != c.bye || (c.tagWant != "") != resp.Tagged(c.tag) {
			t.Errorf("%q: cont %v bye %v tagged %v", c.line, resp.Continuation(), resp.Bye(), resp.Tagged(c.tag))
		}
	}
}

func TestNormalizer(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	d := &Differences{Capabilities: map[string]string{"X-FOO": "test"}, IDKeep: map[string]string{"name": "test"}}
	n := NewNormalizer(now, d)
	for _, c := range []struct{ in, want string }{
		{"* OK [UIDVALIDITY 1795787619] Ok", "* OK [UIDVALIDITY <<UIDVALIDITY.1>>] Ok"},
		{"a OK [APPENDUID 1795787619 3] Completed", "a OK [APPENDUID <<UIDVALIDITY.1>> 3] Completed"},
		{"a OK [COPYUID 1795787620 1:2 5:6] Completed", "a OK [COPYUID <<UIDVALIDITY.2>> 1:2 5:6] Completed"},
		{"* STATUS x (MAILBOXID (abcdef123456) UIDVALIDITY 1795787620)", "* STATUS x (MAILBOXID (<<MAILBOXID.1>>) UIDVALIDITY <<UIDVALIDITY.3>>)"},
		{`* METADATA x ("/shared/vendor/cmu/cyrus-imapd/uniqueid" "abcdef123456")`, `* METADATA x ("/shared/vendor/cmu/cyrus-imapd/uniqueid" "<<MAILBOXID.1>>")`},
		{"* 1 FETCH (EMAILID (M0123456789ab) THREADID (NIL))", "* 1 FETCH (EMAILID (<<EMAILID.1>>) THREADID (NIL))"},
		{"a OK User logged in SESSIONID=<cyrus-1-2-3>", "a OK User logged in SESSIONID=<<SESSIONID>>"},
		{"a OK Completed (0.001 secs 3 calls)", "a OK Completed (<<T>> secs 3 calls)"},
		{"a OK Completed (2 msgs in 0.010 secs)", "a OK Completed (2 msgs in <<T>> secs)"},
		{"a OK Completed (0.001 + 0.000 secs).", "a OK Completed (<<T>> secs)."},
		{`* 1 FETCH (INTERNALDATE "30-Nov-2026 11:59:58 +0000")`, `* 1 FETCH (INTERNALDATE "<<NOW>>")`},
		{`* 1 FETCH (INTERNALDATE "14-Mar-2024 08:15:00 +0000")`, `* 1 FETCH (INTERNALDATE "14-Mar-2024 08:15:00 +0000")`},
		{`* 1 FETCH (SAVEDATE " 1-Dec-2026 11:59:58 +0100")`, `* 1 FETCH (SAVEDATE " <<NOW>>")`},
		{"* CAPABILITY IMAP4rev1 X-FOO IDLE", "* CAPABILITY IMAP4rev1 IDLE"},
		{`* ID ("name" "Cyrus IMAPD" "version" "3.6.1")`, `* ID ("name" "Cyrus IMAPD" "version" "<<ID>>")`},
		{"* LIST () \".\" DELETED.user.a.Gone.6B098F44", "* LIST () \".\" DELETED.user.a.Gone.<<DELETED.1>>"},
		{"* OK see /INBOX;UIDVALIDITY=1795787620/;UID=1", "* OK see /INBOX;UIDVALIDITY=<<UIDVALIDITY.4>>/;UID=1"},
		{"* OK uniqueid abcdef123456 again", "* OK uniqueid <<MAILBOXID.1>> again"},
		{"* OK xabcdef123456 is not it", "* OK xabcdef123456 is not it"},
	} {
		if got := n.Text(c.in, false); got != c.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	// A UIDVALIDITY is counted per mailbox: the same value for another
	// mailbox gets its own token, an unknown mailbox reuses the value's.
	n.SetCommand(`a SELECT "Other"`)
	if got := n.Text("* OK [UIDVALIDITY 1795787619] Ok", false); got != "* OK [UIDVALIDITY <<UIDVALIDITY.5>>] Ok" {
		t.Errorf("same value, other mailbox: %q", got)
	}
	n.SetCommand(`a UID COPY 1:* {"Other"}`)
	if got := n.Text("a OK [COPYUID 1795787619 1 1] Done", false); got != "a OK [COPYUID <<UIDVALIDITY.5>> 1 1] Done" {
		t.Errorf("COPY target: %q", got)
	}
	if got := n.Text("* STATUS Other (UIDVALIDITY 1795787619)", false); got != "* STATUS Other (UIDVALIDITY <<UIDVALIDITY.5>>)" {
		t.Errorf("STATUS: %q", got)
	}
	n.SetCommand("a NOOP")
	if got := n.Text("* STATUS \"x y\" (UIDVALIDITY 1795787619)", false); got != "* STATUS \"x y\" (UIDVALIDITY <<UIDVALIDITY.6>>)" {
		t.Errorf("quoted STATUS name: %q", got)
	}
	if got := n.Text("* LIST () \".\" DELETED.user.a.Other.6B098F44", false); got != "* LIST () \".\" DELETED.user.a.Other.<<DELETED.2>>" {
		t.Errorf("second deleted mailbox, same stamp: %q", got)
	}
	if got := commandMailbox(`t UID MOVE 1 "a b"`); got != "a b" {
		t.Errorf("commandMailbox: %q", got)
	}
	if got := n.Text("* OK [CAPABILITY IMAP4rev1] localhost Cyrus IMAP 3.6.1-Debian-3.6.1-4 server ready", true); got != "* OK [CAPABILITY IMAP4rev1] localhost <<SERVER>> server ready" {
		t.Errorf("greeting: %q", got)
	}
	lit := string(n.Literal([]byte("Date: Tue, 1 Dec 2026 13:54:38 +0000\r\nX-Id: abcdef123456\r\n")))
	if lit != "Date: <<NOW>>\r\nX-Id: <<MAILBOXID.1>>\r\n" {
		t.Errorf("literal: %q", lit)
	}
	got, err := n.Expand("a SELECT INBOX (QRESYNC (<<UIDVALIDITY.2>> 1))")
	if err != nil || got != "a SELECT INBOX (QRESYNC (1795787620 1))" {
		t.Errorf("Expand: %q %v", got, err)
	}
	if _, err := n.Expand("a x <<MAILBOXID.9>>"); err == nil {
		t.Error("Expand of an unknown token must fail")
	}
}

func TestParseScript(t *testing.T) {
	s, err := ParseScript("t", []byte(`# comment
option altnamespace: yes
user alice secret
setup alice: CREATE INBOX.x
lmtp alice+x,alice plain.eml
C1 login alice
C1: a1 APPEND INBOX {"x"}
C1 send "a2 NOOP\r\n"
C1 wait
C2 connect
C2 read 2
C2 close
sleep 10ms
`))
	if err != nil {
		t.Fatal(err)
	}
	kinds := []StepKind{StepSetup, StepLMTP, StepLogin, StepLine, StepSend, StepWait, StepConnect, StepRead, StepClose, StepSleep}
	if len(s.Steps) != len(kinds) {
		t.Fatalf("%d steps", len(s.Steps))
	}
	for i, k := range kinds {
		if s.Steps[i].Kind != k {
			t.Errorf("step %d: kind %d, want %d", i, s.Steps[i].Kind, k)
		}
	}
	if s.Steps[4].Text != "a2 NOOP\r\n" || s.Steps[7].N != 2 || s.GroupKey() != "altnamespace=yes;" {
		t.Errorf("parsed %+v key %q", s.Steps[4], s.GroupKey())
	}
	for _, bad := range []string{
		"C1 login nobody\n",
		"user a b\nuser a c\nC1 login a\n",
		"C1 read x\n",
		"C1 send noquote\n",
		"frobnicate\n",
		"user cyrus x\nC1 connect\n",
		"lmtp bob x.eml\n",
		"# nothing\n",
		"sleep 1h\n",
	} {
		if _, err := ParseScript("bad", []byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if RcptUser("a+b@example.com") != "a@example.com" || RcptUser("a+b") != "a" {
		t.Error("RcptUser")
	}
}

func TestTranscriptRoundTripAndDiff(t *testing.T) {
	tr := &Transcript{Blocks: []Block{
		{Line: 3, Head: "C1: a1 FETCH 1 BODY[]", Lines: renderResponse(1, &Response{
			Texts: []string{"* 1 FETCH (BODY[] {12}", ")"}, Lits: [][]byte{[]byte("a\r\n\r\nb\x00\xffc")}},
			NewNormalizer(time.Now(), nil), false)},
		{Line: 4, Head: "C1 read 1", Lines: []string{"S1: * 2 EXISTS"}},
	}}
	text := tr.Format("header")
	want := "# header\nC1: a1 FETCH 1 BODY[]\nS1: * 1 FETCH (BODY[] {12}\nS1| a\nS1|\nS1|- b\\x00\\xffc\nS1+ )\nC1 read 1\nS1: * 2 EXISTS\n"
	if text != want {
		t.Fatalf("format:\n%s\nwant:\n%s", text, want)
	}
	back, err := ParseTranscript(text)
	if err != nil || Diff("s", back, tr, 5) != "" {
		t.Fatalf("round trip: %v\n%s", err, Diff("s", back, tr, 5))
	}
	other := &Transcript{Blocks: []Block{tr.Blocks[0], {Line: 4, Head: "C1 read 1", Lines: []string{"S1: * 3 EXISTS"}}}}
	d := Diff("s", back, other, 5)
	if !strings.Contains(d, "s.imap:4: step 2: C1 read 1") || !strings.Contains(d, "- S1: * 2 EXISTS") || !strings.Contains(d, "+ S1: * 3 EXISTS") {
		t.Errorf("diff:\n%s", d)
	}
	long := strings.Repeat("x", 120)
	g2 := &Transcript{Blocks: []Block{{Head: "C1: a", Lines: []string{"S1: " + long + "A" + long}}}}
	h2 := &Transcript{Blocks: []Block{{Head: "C1: a", Lines: []string{"S1: " + long + "B" + long}}}}
	if d := Diff("s", g2, h2, 5); !strings.Contains(d, "first difference at byte 124") {
		t.Errorf("long-line hint:\n%s", d)
	}
	short := &Transcript{Blocks: tr.Blocks[:1]}
	if d := Diff("s", back, short, 5); !strings.Contains(d, "not reached") {
		t.Errorf("diff of a stopped run:\n%s", d)
	}
	if _, err := ParseTranscript("S1: orphan\n"); err == nil {
		t.Error("server line before any step must fail")
	}
}

// fakeServer is a tiny IMAP server for testing the runner: enough
// commands to exercise literals, continuations, IDLE and tokens.
type fakeServer struct {
	ln net.Listener
	wg sync.WaitGroup
}

func (f *fakeServer) Name() string { return "fake" }
func (f *fakeServer) Addr(proto string) string {
	if proto == "imap" {
		return f.ln.Addr().String()
	}
	return "127.0.0.1:1"
}

func startFake(t *testing.T) *fakeServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{ln: ln}
	t.Cleanup(func() { ln.Close(); f.wg.Wait() })
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() { defer f.wg.Done(); serveFake(c) }()
		}
	}()
	return f
}

func serveFake(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(s string) { io.WriteString(c, s+"\r\n") }
	say("* OK [CAPABILITY IMAP4rev1] localhost Cyrus IMAP 9.9 server ready")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		// read literals announced at the end of the line
		for strings.HasSuffix(line, "}") {
			i := strings.LastIndex(line, "{")
			spec := line[i+1 : len(line)-1]
			sync := !strings.HasSuffix(spec, "+")
			n, _ := strconv.Atoi(strings.TrimSuffix(spec, "+"))
			if sync {
				say("+ go ahead")
			}
			buf := make([]byte, n)
			io.ReadFull(r, buf)
			rest, _ := r.ReadString('\n')
			line = line[:i] + "<" + string(buf) + ">" + strings.TrimRight(rest, "\r\n")
		}
		tag, cmd, _ := strings.Cut(line, " ")
		verb, arg, _ := strings.Cut(cmd, " ")
		switch strings.ToUpper(verb) {
		case "LOGIN":
			say(tag + " OK User logged in SESSIONID=<fake-1>")
		case "SELECT":
			say("* OK [UIDVALIDITY 1700000001] Ok")
			say("* OK [MAILBOXID (mbx0123456)] Ok")
			say(tag + " OK [READ-WRITE] Completed")
		case "APPEND":
			say(fmt.Sprintf("* ECHO %s", arg))
			say(tag + " OK [APPENDUID 1700000001 7] Completed")
		case "FETCH":
			say("* 1 FETCH (BODY[] {7}\r\nab\r\ncd FLAGS (\\Seen))")
			say(tag + " OK Completed (0.001 sec)")
		case "ECHO":
			say("* ECHO " + arg)
			say(tag + " OK Completed")
		case "IDLE":
			say("+ idling")
			say("* 2 EXISTS")
			l, _ := r.ReadString('\n')
			if strings.TrimSpace(l) == "DONE" {
				say(tag + " OK Completed")
			} else {
				say(tag + " BAD Invalid Idle continuation")
			}
		case "LOGOUT":
			say("* BYE LOGOUT received")
			say(tag + " OK Completed")
			return
		default:
			say(tag + " BAD Unrecognized command")
		}
	}
}

func TestRunnerAgainstFake(t *testing.T) {
	f := startFake(t)
	s, err := ParseScript("fake", []byte(`user u p
C1 connect
C1: a1 LOGIN u p
C1: a2 SELECT INBOX
C1: a3 APPEND INBOX (\Seen) {"hi"} {"there"+}
C1: a4 ECHO <<UIDVALIDITY.1>> <<MAILBOXID.1>>
C1: a5 FETCH 1 BODY[]
C1: a6 IDLE
C1 read 1
C1: DONE
C2 login u
C2 send "b1 ECHO raw\r\n"
C2 wait
C2: b2 LOGOUT
`))
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Target: f, Messages: t.TempDir(), Timeout: 5 * time.Second}
	got := r.Run(s).Format("")
	want := `C1 connect
S1: * OK [CAPABILITY IMAP4rev1] localhost <<SERVER>> server ready
C1: a1 LOGIN u p
S1: a1 OK User logged in SESSIONID=<<SESSIONID>>
C1: a2 SELECT INBOX
S1: * OK [UIDVALIDITY <<UIDVALIDITY.1>>] Ok
S1: * OK [MAILBOXID (<<MAILBOXID.1>>)] Ok
S1: a2 OK [READ-WRITE] Completed
C1: a3 APPEND INBOX (\Seen) {"hi"} {"there"+}
S1: + go ahead
S1: * ECHO INBOX (\Seen) <hi> <there>
S1: a3 OK [APPENDUID <<UIDVALIDITY.1>> 7] Completed
C1: a4 ECHO <<UIDVALIDITY.1>> <<MAILBOXID.1>>
S1: * ECHO <<UIDVALIDITY.1>> <<MAILBOXID.1>>
S1: a4 OK Completed
C1: a5 FETCH 1 BODY[]
S1: * 1 FETCH (BODY[] {7}
S1| ab
S1|- cd 
S1+ FLAGS (\Seen))
S1: a5 OK Completed (<<T>> sec)
C1: a6 IDLE
S1: + idling
C1 read 1
S1: * 2 EXISTS
C1: DONE
S1: a6 OK Completed
C2 login u
C2 send "b1 ECHO raw\r\n"
C2 wait
S2: * ECHO raw
S2: b1 OK Completed
C2: b2 LOGOUT
S2: * BYE LOGOUT received
S2: b2 OK Completed
`
	if got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s\ndiff:\n%s", got, want, lineDiffString(want, got))
	}

	// A step the server never answers ends the run with a "!!" line.
	s2, _ := ParseScript("stuck", []byte("C1 connect\nC1 read 1\nC1: x NOOP\n"))
	r.Timeout = 200 * time.Millisecond
	tr := r.Run(s2)
	if f := tr.Failed(); len(f) != 1 || !strings.Contains(f[0], "no answer within") || len(tr.Blocks) != 2 {
		t.Errorf("stuck run: %q, %d blocks", f, len(tr.Blocks))
	}
}

func lineDiffString(a, b string) string {
	return strings.Join(lineDiff(strings.Split(a, "\n"), strings.Split(b, "\n")), "\n")
}

func TestDeliver(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var got []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		io.WriteString(c, "220 lmtp ready\r\n")
		ok := 0
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			got = append(got, strings.TrimRight(l, "\r\n"))
			switch {
			case strings.HasPrefix(l, "LHLO"):
				io.WriteString(c, "250-hi\r\n250 PIPELINING\r\n")
			case strings.HasPrefix(l, "RCPT TO:<bad"):
				io.WriteString(c, "550 5.1.1 no\r\n")
			case strings.HasPrefix(l, "RCPT"), strings.HasPrefix(l, "MAIL"):
				ok++
				io.WriteString(c, "250 ok\r\n")
			case strings.HasPrefix(l, "DATA"):
				io.WriteString(c, "354 go\r\n")
				for {
					d, _ := r.ReadString('\n')
					got = append(got, strings.TrimRight(d, "\r\n"))
					if d == ".\r\n" {
						break
					}
				}
				io.WriteString(c, "250 one\r\n452 4.2.2 over quota\r\n")
			case strings.HasPrefix(l, "QUIT"):
				io.WriteString(c, "221 bye\r\n")
				return
			}
		}
	}()
	codes, err := Deliver(ln.Addr().String(), 5*time.Second, "s@x", []string{"a@x", "bad@x", "b@x"}, []byte("Subject: x\r\n\r\n.dot\r\nend"))
	<-done
	if err != nil || fmt.Sprint(codes) != "[250 550 452]" {
		t.Fatalf("codes %v err %v", codes, err)
	}
	if !strings.Contains(strings.Join(got, "|"), "|..dot|end|.") {
		t.Errorf("dot stuffing: %q", got)
	}
}

func TestCRLF(t *testing.T) {
	if got := string(CRLF([]byte("a\nb\r\nc\n"))); got != "a\r\nb\r\nc\r\n" {
		t.Errorf("%q", got)
	}
}

func FuzzReadResponse(f *testing.F) {
	f.Add([]byte("* 1 FETCH (BODY[] {3}\r\nabc)\r\n"))
	f.Add([]byte("a OK done\n+ go\r\n"))
	f.Add([]byte("* x ~{99999999999}\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(strings.NewReader(string(b)))
		for i := 0; i < 10; i++ {
			resp, err := ReadResponse(r)
			if resp != nil && len(resp.Lits) != len(resp.Texts)-1 {
				t.Fatalf("texts %d lits %d", len(resp.Texts), len(resp.Lits))
			}
			if err != nil {
				return
			}
		}
	})
}

func FuzzParseScript(f *testing.F) {
	f.Add([]byte("user a b\nC1 login a\nC1: x NOOP\n"))
	f.Add([]byte("option virtdomains: userid\nsetup cyrus: SETQUOTA user.a (STORAGE 1)\nlmtp a+b x.eml\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseScript("fuzz", b)
		if err == nil && len(s.Steps) == 0 {
			t.Fatal("a parsed script has steps")
		}
	})
}

func FuzzTranscript(f *testing.F) {
	f.Add("# h\nC1: a NOOP\nS1: a OK\n")
	f.Fuzz(func(t *testing.T, s string) {
		tr, err := ParseTranscript(s)
		if err != nil {
			return
		}
		back, err := ParseTranscript(tr.Format("x"))
		if err != nil || Diff("f", tr, back, 1) != "" {
			t.Fatalf("format/parse round trip: %v", err)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	f.Add("* OK [UIDVALIDITY 12] x MAILBOXID (abc) 27-Nov-2026 11:59:58 +0000")
	f.Fuzz(func(t *testing.T, s string) {
		n := NewNormalizer(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC), nil)
		out := n.Text(s, true)
		// every token the normalizer wrote can be expanded back
		if _, err := n.Expand(strings.Join(reToken.FindAllString(out, -1), " ")); err != nil && !strings.Contains(s, "<<") {
			t.Fatalf("%q -> %q: %v", s, out, err)
		}
	})
}

// TestDifferencesExpected: "not-offered" capabilities leave the golden
// (Cyrus) lines only, exactly those words, in untagged CAPABILITY
// responses and [CAPABILITY] codes; other lines and Gyrus's lines stay.
func TestDifferencesExpected(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/d.txt"
	if err := os.WriteFile(p, []byte("# c\nnot-offered X-BAR -- not done\ncapability X-FOO -- both\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := LoadDifferences(p)
	if err != nil {
		t.Fatal(err)
	}
	if d.NotOffered["X-BAR"] != "not done" || d.Capabilities["X-FOO"] != "both" {
		t.Fatalf("loaded %+v", d)
	}
	golden := &Transcript{Blocks: []Block{{Head: "C1: a CAPABILITY", Lines: []string{
		"S1: * CAPABILITY IMAP4rev1 X-BAR X-BARX X-FOO IDLE",
		"S1: a OK [CAPABILITY IMAP4rev1 X-BAR IDLE] done X-BAR",
		"S1: * 1 FETCH (FLAGS (X-BAR))",
	}}}}
	want := []string{
		"S1: * CAPABILITY IMAP4rev1 X-BARX IDLE",
		"S1: a OK [CAPABILITY IMAP4rev1 IDLE] done X-BAR",
		"S1: * 1 FETCH (FLAGS (X-BAR))",
	}
	got := d.Expected(golden)
	if !equalLines(got.Blocks[0].Lines, want) {
		t.Errorf("Expected:\n got %q\nwant %q", got.Blocks[0].Lines, want)
	}
	if golden.Blocks[0].Lines[0] != "S1: * CAPABILITY IMAP4rev1 X-BAR X-BARX X-FOO IDLE" {
		t.Errorf("golden changed in place: %q", golden.Blocks[0].Lines[0])
	}
	// Gyrus's side: the normalizer drops "capability" words only.
	n := NewNormalizer(time.Now(), d)
	if got := n.Text("* CAPABILITY IMAP4rev1 X-BAR X-FOO", false); got != "* CAPABILITY IMAP4rev1 X-BAR" {
		t.Errorf("normalizer: %q", got)
	}
	if err := os.WriteFile(p, []byte("not-offered X-BAR\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDifferences(p); err == nil {
		t.Error("a line without a reason was accepted")
	}
}
