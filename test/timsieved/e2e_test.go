package timsieved

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gyrus/lib/config"
	"gyrus/lib/sieve"
)

// compilerReady tells whether lib/sieve compiles scripts yet; until it
// does, PUTSCRIPT answers NO "parse failed" and the tests that store
// scripts are skipped.
func compilerReady() bool {
	_, err := sieve.Compile([]byte("keep;\r\n"), sieve.Options{Extensions: config.Bits(^uint64(0))})
	return err == nil
}

func requireCompiler(t *testing.T) {
	t.Helper()
	if !compilerReady() {
		t.Skip("lib/sieve does not compile scripts yet")
	}
}

func login(t testing.TB, c *Client, user, pw string) {
	t.Helper()
	c.Cmd("OK", `AUTHENTICATE "PLAIN" "`+plain("", user, pw)+`"`)
}

func has(lines []string, l string) bool {
	for _, x := range lines {
		if x == l {
			return true
		}
	}
	return false
}

func TestCommandsWithoutScripts(t *testing.T) {
	in := startGyrus(t, makeCerts(t), nil, map[string]string{"alice": "alicepw"})
	c, greet := Dial(t, in.Addr("sieve"))
	for _, want := range []string{`"VERSION" "1.0"`, `"SASL" "PLAIN LOGIN"`, `"STARTTLS"`, `"UNAUTHENTICATE"`, "OK"} {
		if !has(greet, want) {
			t.Errorf("greeting %q lacks %q", greet, want)
		}
	}
	if !strings.HasPrefix(greet[0], `"IMPLEMENTATION" "Gyrus timsieved`) {
		t.Errorf("IMPLEMENTATION: %q", greet[0])
	}
	c.Cmd("NO", "LISTSCRIPTS")
	c.Cmd("OK", `NOOP "tag"`)
	login(t, c, "alice", "alicepw")
	r := c.Cmd("OK", "CAPABILITY")
	if !has(r, `"OWNER" "alice"`) || has(r, `"STARTTLS"`) || strings.Contains(strings.Join(r, "\n"), `"SASL"`) {
		t.Errorf("CAPABILITY after login: %q", r)
	}
	if r := c.Cmd("OK", "LISTSCRIPTS"); len(r) != 1 {
		t.Errorf("LISTSCRIPTS of a new user: %q", r)
	}
	c.Cmd("OK", `HAVESPACE "x" 32768`)
	c.Cmd("NO (QUOTA/MAXSIZE)", `HAVESPACE "x" 32769`)
	c.Cmd("NO (NONEXISTENT)", `GETSCRIPT "x"`)
	c.Cmd("NO (NONEXISTENT)", `SETACTIVE "x"`)
	c.Cmd("OK", `SETACTIVE ""`)
	c.Cmd("NO (NONEXISTENT)", `DELETESCRIPT "x"`)
	c.Cmd(`NO (NONEXISTENT) "Script x does not exist"`, `RENAMESCRIPT "x" "y"`)
	c.Cmd(`NO "Invalid script name"`, `PUTSCRIPT "a/b" "keep;"`)
	if !compilerReady() {
		c.Cmd(`NO "parse failed"`, `PUTSCRIPT "a" "keep;"`)
	}
	c.Cmd("OK", "UNAUTHENTICATE")
	c.Cmd(`NO "Authenticate first"`, "LISTSCRIPTS")
	c.Cmd(`OK "Logout Complete"`, "LOGOUT")
	c.ExpectClosed()
}

// TestScripts stores, reads, activates, renames and deletes scripts, and
// checks the files: Cyrus 3.6.1's directory for alice's INBOX (by its
// mailbox id), <name>.script, <name>.bc and defaultbc.
func TestScripts(t *testing.T) {
	requireCompiler(t)
	in := startGyrus(t, makeCerts(t), nil, map[string]string{"alice": "alicepw"})
	c, _ := Dial(t, in.Addr("sieve"))
	login(t, c, "alice", "alicepw")
	src := "require \"fileinto\";\r\nif header :contains \"subject\" \"x\" { fileinto \"INBOX.x\"; }\r\n"
	c.Cmd("OK", `PUTSCRIPT "one" `+literal(src))
	c.Cmd("OK", `PUTSCRIPT "two" "keep;"`)
	if r := c.Cmd("OK", `GETSCRIPT "one"`); r[0] != "{"+itoa(len(src))+"}\r\n"+src {
		t.Errorf("GETSCRIPT: %q", r)
	}
	c.Cmd("OK", `SETACTIVE "one"`)
	if r := c.Cmd("OK", "LISTSCRIPTS"); strings.Join(r, "|") != `"one" ACTIVE|"two"|OK` {
		t.Errorf("LISTSCRIPTS: %q", r)
	}
	c.Cmd("NO (ACTIVE)", `DELETESCRIPT "one"`)
	c.Cmd(`NO (ALREADYEXISTS) "Script two already exists."`, `RENAMESCRIPT "one" "two"`)
	c.Cmd("OK", `RENAMESCRIPT "one" "uno"`)
	dir := userDir(t, in)
	files := listDir(t, dir)
	if strings.Join(files, " ") != "defaultbc two.bc two.script uno.bc uno.script" {
		t.Errorf("files in %s: %v", dir, files)
	}
	if l, _ := os.Readlink(filepath.Join(dir, "defaultbc")); l != "uno.bc" {
		t.Errorf("defaultbc -> %q", l)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "uno.script")); string(b) != src {
		t.Errorf("uno.script holds %q", b)
	}
	if bc, _ := os.ReadFile(filepath.Join(dir, "uno.bc")); len(bc) == 0 {
		t.Error("uno.bc is empty")
	}
	c.Cmd("OK", `SETACTIVE ""`)
	c.Cmd("OK", `DELETESCRIPT "uno"`)
	c.Cmd("OK", `DELETESCRIPT "two"`)
	if files := listDir(t, dir); len(files) != 0 {
		t.Errorf("left after deleting everything: %v", files)
	}
	c.Cmd("OK", `CHECKSCRIPT "keep;"`)
	c.Cmd("NO", `CHECKSCRIPT "nosuchcommand;"`)
}

var uuidDir = regexp.MustCompile(`/sieve/uuid/([^/])/([^/])/([^/]+)$`)

// userDir finds the one user directory under sievedir and checks that it
// is Cyrus's uuid/<c0>/<c1>/<mailboxid>.
func userDir(t *testing.T, in interface{ Expand(string) string }) string {
	t.Helper()
	root := in.Expand("{dir}/sieve")
	var dirs []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && strings.Count(strings.TrimPrefix(p, root), "/") == 4 {
			dirs = append(dirs, p)
		}
		return nil
	})
	if len(dirs) != 1 {
		t.Fatalf("user directories under %s: %v", root, dirs)
	}
	m := uuidDir.FindStringSubmatch(dirs[0])
	if m == nil || m[3][:1] != m[1] || m[3][1:2] != m[2] {
		t.Fatalf("user directory %s is not sievedir/uuid/<c0>/<c1>/<mailboxid>", dirs[0])
	}
	return dirs[0]
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestSASL(t *testing.T) {
	cs := makeCerts(t)
	in := startGyrus(t, cs, map[string]string{
		"sasl_mech_list": "EXTERNAL SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN LOGIN",
		"allowplaintext": "no",
	}, map[string]string{"alice": "alicepw", "bob": "bobpw"})
	addr := in.Addr("sieve")

	t.Run("before TLS", func(t *testing.T) {
		c, greet := Dial(t, addr)
		if !has(greet, `"SASL" "SCRAM-SHA-256"`) {
			t.Errorf("mechanisms without TLS: %q", greet)
		}
		c.Cmd(`NO "Authentication Error"`, `AUTHENTICATE "PLAIN" "`+plain("", "alice", "alicepw")+`"`)
		if r := scramClient(t, c, "SCRAM-SHA-256", "alice", "wrong", nil); r[len(r)-1] != `NO "Authentication Error"` {
			t.Errorf("SCRAM with a wrong password: %q", r)
		}
		if r := scramClient(t, c, "SCRAM-SHA-256", "alice", "alicepw", nil); !strings.HasPrefix(r[len(r)-1], `OK (SASL "`) {
			t.Fatalf("SCRAM-SHA-256: %q", r)
		}
		if r := c.Cmd("OK", "CAPABILITY"); !has(r, `"OWNER" "alice"`) {
			t.Errorf("OWNER: %q", r)
		}
	})

	t.Run("STARTTLS, SCRAM-SHA-256-PLUS", func(t *testing.T) {
		c, _ := Dial(t, addr)
		st, caps := c.StartTLS(cs.tlsConfig(false))
		if !has(caps, `"SASL" "SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN LOGIN"`) || has(caps, `"STARTTLS"`) {
			t.Errorf("capabilities after STARTTLS: %q", caps)
		}
		c.Cmd(`NO "TLS already active"`, "STARTTLS")
		cb, err := st.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
		if err != nil {
			t.Fatal(err)
		}
		bad := append([]byte{}, cb...)
		bad[0] ^= 1
		if r := scramClient(t, c, "SCRAM-SHA-256-PLUS", "alice", "alicepw", bad); r[len(r)-1] != `NO "Authentication Error"` {
			t.Errorf("PLUS with a wrong channel binding: %q", r)
		}
		if r := scramClient(t, c, "SCRAM-SHA-256-PLUS", "alice", "alicepw", cb); !strings.HasPrefix(r[len(r)-1], `OK (SASL "`) {
			t.Fatalf("SCRAM-SHA-256-PLUS: %q", r)
		}
	})

	t.Run("EXTERNAL", func(t *testing.T) {
		c, _ := Dial(t, addr)
		_, caps := c.StartTLS(cs.tlsConfig(true))
		if !has(caps, `"SASL" "EXTERNAL SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN LOGIN"`) {
			t.Errorf("capabilities with a client certificate: %q", caps)
		}
		c.Cmd("OK", `AUTHENTICATE "EXTERNAL" ""`)
		if r := c.Cmd("OK", "CAPABILITY"); !has(r, `"OWNER" "alice"`) {
			t.Errorf("OWNER after EXTERNAL: %q", r)
		}
	})

	t.Run("PLAIN after TLS, proxying", func(t *testing.T) {
		c, _ := Dial(t, addr)
		c.StartTLS(cs.tlsConfig(false))
		c.Cmd(`NO "Authentication Error"`, `AUTHENTICATE "PLAIN" "`+plain("bob", "alice", "alicepw")+`"`)
		// an admin may act for a user, and then manages that user's scripts
		c.Cmd("OK", `AUTHENTICATE "PLAIN" "`+plain("bob", adminUser, adminPW)+`"`)
		if r := c.Cmd("OK", "CAPABILITY"); !has(r, `"OWNER" "bob"`) {
			t.Errorf("OWNER when the admin acts for bob: %q", r)
		}
		c.Cmd("OK", "UNAUTHENTICATE")
		// the admin as itself has no INBOX: refused, as by Cyrus 3.6.1
		c.Cmd(`NO "Authentication Error"`, `AUTHENTICATE "PLAIN" "`+plain("", adminUser, adminPW)+`"`)
		// LOGIN with continuations
		c.Send("AUTHENTICATE \"LOGIN\"\r\n")
		if string(c.Challenge()) != "Username:" {
			t.Fatal("LOGIN: no Username: prompt")
		}
		c.Send(`"` + b64("bob") + "\"\r\n")
		if string(c.Challenge()) != "Password:" {
			t.Fatal("LOGIN: no Password: prompt")
		}
		c.Cmd("OK", `"`+b64("bobpw")+`"`)
	})

	t.Run("tls_required", func(t *testing.T) {
		in := startGyrus(t, cs, map[string]string{"sieve_tls_required": "yes"}, map[string]string{"alice": "alicepw"})
		c, greet := Dial(t, in.Addr("sieve"))
		if strings.Contains(strings.Join(greet, "\n"), `"SASL"`) {
			t.Errorf("SASL offered before TLS with tls_required: %q", greet)
		}
		// refused before its arguments are read, which (as in Cyrus) are
		// then taken as commands of their own
		c.Send(`AUTHENTICATE "PLAIN" "` + plain("", "alice", "alicepw") + "\"\r\n")
		r := c.Responses(3)
		if r[0] != `NO "AUTHENTICATE only available under a layer"` || r[2] != `NO "Authenticate first"` {
			t.Errorf("AUTHENTICATE before TLS: %q", r)
		}
		c.StartTLS(cs.tlsConfig(false))
		login(t, c, "alice", "alicepw")
	})
}

func TestLimits(t *testing.T) {
	in := startGyrus(t, makeCerts(t), map[string]string{"sieve_maxscripts": "2", "sieve_maxscriptsize": "1"},
		map[string]string{"alice": "alicepw"})
	c, _ := Dial(t, in.Addr("sieve"))
	login(t, c, "alice", "alicepw")
	c.Cmd(`NO (QUOTA/MAXSIZE) "Script size is too large. Max script size is 1024 bytes"`, `HAVESPACE "a" 1025`)
	// a literal over the limit is read and dropped, the session goes on
	c.Cmd(`NO "Did not specify legal script data length"`, `PUTSCRIPT "a" `+literal(strings.Repeat("#", 5000)))
	c.Cmd("OK", "NOOP")
	// so are an atom and a quoted string over the limit
	c.Send(strings.Repeat("x", 3000) + "\r\n")
	c.Response()
	c.Cmd(`NO "Did not specify script name"`, `GETSCRIPT "`+strings.Repeat("n", 3000)+`"`)
	c.Cmd("OK", "NOOP")
	if !compilerReady() {
		return
	}
	c.Cmd("OK", `PUTSCRIPT "a" "keep;"`)
	c.Cmd("OK", `PUTSCRIPT "b" "keep;"`)
	quota := `NO (QUOTA/MAXSCRIPTS) "You are only allowed 2 scripts on this server"`
	c.Cmd(quota, `PUTSCRIPT "c" "keep;"`)
	c.Cmd(quota, `PUTSCRIPT "a" "discard;"`) // replacing counts too, as in Cyrus
	c.Cmd(quota, `HAVESPACE "c" 10`)
	c.Cmd("OK", `DELETESCRIPT "b"`)
	c.Cmd("OK", `HAVESPACE "c" 10`)
}

func TestMalformedAndEOF(t *testing.T) {
	in := startGyrus(t, makeCerts(t), nil, map[string]string{"alice": "alicepw"})
	c, _ := Dial(t, in.Addr("sieve"))
	login(t, c, "alice", "alicepw")
	c.Send("!!!\r\n")
	if r := c.Responses(3); r[2] != `NO "Expected a command. Got something else."` {
		t.Errorf("three bad bytes: %q", r)
	}
	c.Cmd(`NO "SPACE must occur after PUTSCRIPT"`, "PUTSCRIPT")
	c.Cmd(`NO "Expected SPACE"`, `PUTSCRIPT "a"x`)
	c.Cmd(`NO "Expected Number"`, `HAVESPACE "a" x`)
	c.Cmd("OK", "NOOP")
	// the connection ends in the middle of a command
	c.Send("NOOP")
	c.conn.(interface{ CloseWrite() error }).CloseWrite()
	if r := c.ExpectClosed(); len(r) != 1 || r[0] != `BYE "Shutdown TCP timeout"` {
		t.Errorf("at end of input: %q", r)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// A script name outside ASCII comes back as it was sent. Cyrus 3.6.1
// lists it MIME-encoded ("=?UTF-8?Q?na=C3=AFve?=") and then answers
// NONEXISTENT to every command that names it; Gyrus does not copy that.
func TestNonASCIIName(t *testing.T) {
	requireCompiler(t)
	in := startGyrus(t, makeCerts(t), nil, map[string]string{"alice": "alicepw"})
	c, _ := Dial(t, in.Addr("sieve"))
	login(t, c, "alice", "alicepw")
	c.Cmd("OK", "PUTSCRIPT "+literal("naïve")+" "+literal("keep;"))
	if r := c.Cmd("OK", "LISTSCRIPTS"); r[0] != `"naïve"` {
		t.Errorf("LISTSCRIPTS: %q", r)
	}
	c.Cmd("OK", "GETSCRIPT "+literal("naïve"))
	c.Cmd("OK", "DELETESCRIPT "+literal("naïve"))
}

// Two sessions of one user replace the same script at once: every
// PUTSCRIPT is answered OK, the script is always one of the versions
// whole, and no temporary file is left behind.
func TestConcurrentPuts(t *testing.T) {
	requireCompiler(t)
	in := startGyrus(t, makeCerts(t), nil, map[string]string{"alice": "alicepw"})
	versions := map[string]bool{}
	var clients []*Client
	for i := 0; i < 2; i++ {
		c, _ := Dial(t, in.Addr("sieve"))
		login(t, c, "alice", "alicepw")
		clients = append(clients, c)
	}
	done := make(chan string, 2)
	for i, c := range clients {
		src := "# writer " + strconv.Itoa(i) + "\r\n" + strings.Repeat("keep;\r\n", 500)
		versions[src] = true
		go func() {
			for j := 0; j < 30; j++ {
				c.Send(`PUTSCRIPT "shared" ` + literal(src) + "\r\n")
				if r, err := c.ReadLine(); err != nil || r != "OK" {
					done <- fmt.Sprintf("PUTSCRIPT: %q %v", r, err)
					return
				}
			}
			done <- ""
		}()
	}
	for range clients {
		if msg := <-done; msg != "" {
			t.Fatal(msg)
		}
	}
	r := clients[0].Cmd("OK", `GETSCRIPT "shared"`)
	if i := strings.Index(r[0], "\r\n"); i < 0 || !versions[r[0][i+2:]] {
		t.Errorf("GETSCRIPT returned a mix: %.80q", r[0])
	}
	if files := listDir(t, userDir(t, in)); strings.Join(files, " ") != "shared.bc shared.script" {
		t.Errorf("files left: %v", files)
	}
}

// The log has Cyrus's login and badlogin lines.
func TestLogLines(t *testing.T) {
	in := startGyrus(t, makeCerts(t), nil, map[string]string{"alice": "alicepw"})
	c, _ := Dial(t, in.Addr("sieve"))
	c.Cmd("NO", `AUTHENTICATE "PLAIN" "`+plain("", "alice", "nope")+`"`)
	login(t, c, "alice", "alicepw")
	in.WaitLog(10*time.Second, `badlogin: .*\[127\.0\.0\.1\] PLAIN authentication failure`)
	in.WaitLog(10*time.Second, `login: .*\[127\.0\.0\.1\] alice PLAIN User logged in`)
}
