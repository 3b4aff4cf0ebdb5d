package timsieved

import (
	"crypto/tls"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"gyrus/test/harness"
)

// The differential test plays the same ManageSieve sessions against
// Gyrus and the real Cyrus 3.6.1 (the oracle) and compares every answer,
// after normalizing the one thing that must differ: the IMPLEMENTATION
// string. Each session that changes scripts has a user of its own, so
// that the sessions do not depend on each other.

// dstep is one exchange of a session.
type dstep struct {
	send string // raw bytes; {PLAIN} is the session user's PLAIN response
	n    int    // answers to read (0 means 1); -1: one SASL challenge
	tls  bool   // STARTTLS: handshake after the OK, then read the capabilities
	eof  bool   // close our side after sending and read until the server closes
}

type dsession struct {
	name  string
	user  string // "" = the shared read-only user alice
	steps []dstep
}

func c(s string) dstep            { return dstep{send: s + "\r\n"} }
func cn(s string, n int) dstep    { return dstep{send: s + "\r\n", n: n} }
func chal(s string) dstep         { return dstep{send: s + "\r\n", n: -1} }
func raw(s string, n int) dstep   { return dstep{send: s, n: n} }
func loginStep() dstep            { return c(`AUTHENTICATE "PLAIN" "{PLAIN}"`) }
func put(name, src string) dstep  { return c(`PUTSCRIPT ` + quote(name) + ` ` + literal(src)) }
func with(steps ...dstep) []dstep { return append([]dstep{loginStep()}, steps...) }

const goodScript = "require [\"fileinto\", \"reject\"];\r\nif header :contains \"subject\" \"spam\" {\r\n  fileinto \"INBOX.spam\";\r\n} elsif size :over 100K {\r\n  reject \"too big\";\r\n}\r\n"

func sessions() []dsession {
	long := strings.Repeat("n", 1100)
	return []dsession{
		{name: "greeting, CAPABILITY, NOOP, LOGOUT", steps: []dstep{
			c("CAPABILITY"), c("NOOP"), c(`NOOP "tag"`), c(`NOOP {3+}` + "\r\nabc"), c("capability"), c("NoOp"), c("LOGOUT")}},
		{name: "commands before authentication", steps: []dstep{
			c("LISTSCRIPTS"), c(`GETSCRIPT "a"`), c(`SETACTIVE "a"`), c(`DELETESCRIPT "a"`), c(`RENAMESCRIPT "a" "b"`),
			c(`HAVESPACE "a" 10`), c(`PUTSCRIPT "a" {5+}` + "\r\nkeep;"), c("UNAUTHENTICATE"), c("NOOP")}},
		{name: "garbage first tokens", steps: []dstep{
			c("foo"), cn("!!!", 3), c(" "), c("123"), c(`"str"`), c("{3+}\r\nabc"), cn("()", 2), c("*"), c("\x01"), c("NOOP")}},
		{name: "NOOP argument errors", steps: []dstep{
			cn("NOOP {3}\r\nabc", 2), c(`NOOP "a\"b\\c"`), c(`NOOP "a\x"`), c("NOOP 123"), c(`NOOP "x" `),
			c("NOOP\r"), c("NOOP ("), c(`NOOP "a" "b"`), c(`NOOP "é"`), c("NOOP")}},
		{name: "LOGOUT variants", steps: []dstep{cn("LOGOUT x", 2), c("LOGOUT")}},
		{name: "pipelined commands", steps: []dstep{raw("NOOP\r\nCAPABILITY\r\nNOOP \"t\"\r\nLISTSCRIPTS\r\n", 4)}},
		{name: "AUTHENTICATE PLAIN, CAPABILITY", steps: with(c("CAPABILITY"), c("LISTSCRIPTS"), c("LOGOUT"))},
		{name: "AUTHENTICATE failures", steps: []dstep{
			c(`AUTHENTICATE "PLAIN" "` + plain("", "alice", "wrong") + `"`),
			c(`AUTHENTICATE "PLAIN" "!!"`), c(`AUTHENTICATE "PLAIN" "YWJj="`), c(`AUTHENTICATE "FOO"`),
			c(`AUTHENTICATE "PLAIN" "` + plain("", "nosuchuser", "pw") + `"`),
			c("AUTHENTICATE"), c(`AUTHENTICATE PLAIN`), cn(`AUTHENTICATE "PLAIN" "x" "y"`, 2), c(`AUTHENTICATE "PLAIN"x`),
			c("NOOP")}},
		{name: "AUTHENTICATE with continuations", steps: []dstep{
			chal(`AUTHENTICATE "PLAIN"`), c(`"{PLAIN}"`), c("CAPABILITY")}},
		{name: "LOGIN mechanism", steps: []dstep{
			chal(`AUTHENTICATE "LOGIN"`), chal(`"` + b64("alice") + `"`), c(`"` + b64("wrong") + `"`),
			chal(`authenticate "login"`), chal(`"` + b64("alice") + `"`), c(`"` + b64("alicepw") + `"`), c("LISTSCRIPTS")}},
		{name: "SASL cancellations and bad responses", steps: []dstep{
			chal(`AUTHENTICATE "LOGIN"`), c(`"*"`), chal(`AUTHENTICATE "LOGIN"`), cn("*", 1),
			chal(`AUTHENTICATE "PLAIN"`), c(`""`), chal(`AUTHENTICATE "PLAIN"`), cn(`"{PLAIN}" x`, 2),
			chal(`AUTHENTICATE "PLAIN"`), c(`abc`), c("NOOP")}},
		{name: "literal initial response, already authenticated", steps: []dstep{
			c(`AUTHENTICATE "PLAIN" {{PLAINLEN}+}` + "\r\n{PLAIN}"), c(`AUTHENTICATE "PLAIN" "{PLAIN}"`),
			c(`AUTHENTICATE "PLAIN" ""`), c("CAPABILITY")}},
		{name: "proxy authorization refused", steps: []dstep{
			c(`AUTHENTICATE "PLAIN" "` + plain("bob", "alice", "alicepw") + `"`), c("LISTSCRIPTS")}},
		{name: "UNAUTHENTICATE", steps: with(c("UNAUTHENTICATE"), c("CAPABILITY"), c("LISTSCRIPTS"), c("UNAUTHENTICATE"),
			loginStep(), c("CAPABILITY"), cn("UNAUTHENTICATE x", 2))},
		{name: "STARTTLS", steps: []dstep{cn("STARTTLS x", 2), {send: "STARTTLS\r\n", tls: true}, c("STARTTLS"), c("CAPABILITY"),
			loginStep(), c("CAPABILITY"), c("LOGOUT")}},
		{name: "empty account", steps: with(c("LISTSCRIPTS"), c(`GETSCRIPT "x"`), c(`DELETESCRIPT "x"`), c(`SETACTIVE "x"`),
			c(`SETACTIVE ""`), c(`RENAMESCRIPT "x" "y"`), c(`HAVESPACE "x" 0`))},
		{name: "HAVESPACE", steps: with(c(`HAVESPACE "x" 32768`), c(`HAVESPACE "x" 32769`), c(`HAVESPACE "x" 18446744073709551615`),
			c(`HAVESPACE "x" 18446744073709551616`), c(`HAVESPACE "" 1`), c(`HAVESPACE "a/b" 1`), c(`HAVESPACE "x"`),
			c(`HAVESPACE "x" "1"`), c(`HAVESPACE "x"  1`), c(`HAVESPACE "x" 1 `), c("HAVESPACE"))},
		{name: "invalid names", steps: with(c(`PUTSCRIPT "a/b" "keep;"`), c(`PUTSCRIPT "" "keep;"`), c(`GETSCRIPT ""`),
			c(`GETSCRIPT "a/b"`), c(`DELETESCRIPT ""`), c(`SETACTIVE "a/b"`), c(`RENAMESCRIPT "" "x"`), c(`RENAMESCRIPT "x" ""`),
			c(`RENAMESCRIPT "x" "a/b"`), c(`GETSCRIPT "`+long+`"`), c(`PUTSCRIPT "`+long+`" "keep;"`),
			c("GETSCRIPT {3+}\r\na\x00b"))},
		{name: "argument errors after login", steps: with(c("GETSCRIPT"), cn("GETSCRIPT x", 1), c(`GETSCRIPT "a" `),
			c("PUTSCRIPT"), c(`PUTSCRIPT "a"`), c(`PUTSCRIPT "a" `), cn(`PUTSCRIPT "a" x`, 1), c(`PUTSCRIPT "a" 5`),
			c("SETACTIVE"), c("DELETESCRIPT"), c("RENAMESCRIPT"), c(`RENAMESCRIPT "a"`), c(`RENAMESCRIPT "a" `),
			c("LISTSCRIPTS x"), cn("LISTSCRIPTS \"x\"", 1), c("CHECKSCRIPT"), c("CAPABILITY x"), c("NOOP"))},
		{name: "too-large literal and recovery", steps: with(
			c(`PUTSCRIPT "big" {40000+}`+"\r\n"+strings.Repeat("#", 40000)), c("NOOP"),
			c(`PUTSCRIPT "big" "`+strings.Repeat("x", 33000)+`"`), c("NOOP"),
			c(strings.Repeat("a", 33000)), c("NOOP"))},
		{name: "store, get, list", user: "s1", steps: with(put("b", "keep;\r\n"), put("c", goodScript),
			c("LISTSCRIPTS"), c(`GETSCRIPT "b"`), c(`GETSCRIPT "c"`), put("b", "discard;\r\n"), c(`GETSCRIPT "b"`),
			c(`PUTSCRIPT "d" "keep;"`), c("LISTSCRIPTS"))},
		{name: "activate, deactivate, delete", user: "s2", steps: with(put("a", "keep;\r\n"), put("b", "stop;\r\n"),
			c(`SETACTIVE "a"`), c("LISTSCRIPTS"), c(`SETACTIVE "a"`), c(`SETACTIVE "b"`), c("LISTSCRIPTS"),
			c(`DELETESCRIPT "b"`), c(`DELETESCRIPT "a"`), c(`SETACTIVE "nope"`), c("LISTSCRIPTS"), c(`SETACTIVE ""`),
			c("LISTSCRIPTS"), c(`DELETESCRIPT "b"`), c(`DELETESCRIPT "b"`), c("LISTSCRIPTS"))},
		{name: "rename", user: "s3", steps: with(put("a", "keep;\r\n"), put("b", "keep;\r\n"), c(`SETACTIVE "a"`),
			c(`RENAMESCRIPT "a" "b"`), c(`RENAMESCRIPT "x" "c"`), c(`RENAMESCRIPT "a" "c"`), c("LISTSCRIPTS"),
			c(`RENAMESCRIPT "b" "d"`), c("LISTSCRIPTS"), c(`GETSCRIPT "c"`), c(`GETSCRIPT "a"`), c(`RENAMESCRIPT "c" "c"`))},
		{name: "quota of scripts", user: "s4", steps: with(put("a", "keep;"), put("b", "keep;"), put("c", "keep;"),
			put("d", "keep;"), put("e", "keep;"), put("f", "keep;"), put("a", "discard;"), c(`HAVESPACE "g" 1`),
			c(`DELETESCRIPT "e"`), c(`HAVESPACE "g" 1`), put("g", "keep;"), c("LISTSCRIPTS"))},
		{name: "scripts with errors", user: "s5", steps: with(put("bad", "keepx;\r\n"),
			put("bad", "require \"nosuch\";\r\nkeep;\r\n"), put("bad", "if true {\r\n"), put("bad", "fileinto \"x\";\r\n"),
			put("bad", "keep;\r\nfoo;\r\nbar;\r\n"), c(`PUTSCRIPT "q" "keep"`), c("LISTSCRIPTS"))},
		{name: "CHECKSCRIPT", steps: []dstep{c(`CHECKSCRIPT "keep;"`), c(`CHECKSCRIPT {12+}` + "\r\nif true {}\r\n"),
			c(`CHECKSCRIPT "frob;"`), loginStep(), c(`CHECKSCRIPT ` + literal(goodScript)), c(`CHECKSCRIPT "x"`), c("LISTSCRIPTS")}},
		{name: "script names with odd bytes", user: "s6", steps: with(put("with space", "keep;"),
			// (no GETSCRIPT of naïve: Cyrus 3.6.1 stores a non-ASCII
			// name MIME-encoded and then cannot find it; Gyrus can, see
			// TestNonASCIIName)
			c("PUTSCRIPT "+literal("naïve")+" "+literal("keep;")), put(`q"uote`, "keep;"), put(`back\slash`, "keep;"),
			c(`GETSCRIPT "with space"`), c(`SETACTIVE "with space"`), c(`RENAMESCRIPT "q\"uote" "q2"`))},
		{name: "script contents round trip", user: "s7", steps: with(put("bin", "# \x01\x7f\r\nkeep;\r\n"),
			put("lf", "keep;\n# bare LF\n"), put("empty", ""), c(`GETSCRIPT "bin"`), c(`GETSCRIPT "lf"`), c(`GETSCRIPT "empty"`))},
		{name: "a script with a NUL", user: "s8", steps: with(put("nul", "keep;\x00garbage"), put("nul2", "keepx\x00;"),
			c(`GETSCRIPT "nul"`), c(`CHECKSCRIPT {9+}`+"\r\nkeep;\x00x\r\n"), c("LISTSCRIPTS"))},
		{name: "end of input mid-command", steps: []dstep{c("NOOP"), {send: "NOOP", eof: true}}},
		{name: "end of input after LOGOUT word", steps: []dstep{{send: "LOGOUT", eof: true}}},
	}
}

var (
	implementation = regexp.MustCompile(`^"IMPLEMENTATION" "(Cyrus|Gyrus) timsieved.*"$`)
)

// normalize hides the product in the IMPLEMENTATION string (with
// serverinfo: off both say "ManageSieve" and are compared).
func normalize(l string) string {
	return implementation.ReplaceAllString(l, `"IMPLEMENTATION" "*"`)
}

// play runs one session against addr and returns its transcript.
func play(t *testing.T, tg diffTarget, s dsession) []string {
	t.Helper()
	user := s.user
	if user == "" {
		user = "alice"
	}
	pl := plain("", user, password(user))
	expand := func(x string) string {
		x = strings.ReplaceAll(x, "{PLAINLEN}", fmt.Sprint(len(pl)))
		x = strings.ReplaceAll(x, "{ADMINPLAIN}", plain("", tg.admin, tg.adminPW))
		x = strings.ReplaceAll(x, "{ADMINFOR}", plain(user, tg.admin, tg.adminPW))
		return strings.ReplaceAll(x, "{PLAIN}", pl)
	}
	cl, greet := Dial(t, tg.addr)
	var out []string
	add := func(prefix string, lines []string) {
		for _, l := range lines {
			if l = normalize(l); l != "" {
				out = append(out, prefix+l)
			}
		}
	}
	add("S: ", greet)
	for _, st := range s.steps {
		send := expand(st.send)
		// the transcript shows the step as written: credentials differ
		if len(st.send) > 300 {
			out = append(out, fmt.Sprintf("C: %.60q... (%d bytes)", st.send, len(st.send)))
		} else {
			out = append(out, fmt.Sprintf("C: %q", st.send))
		}
		cl.Send(send)
		switch {
		case st.eof:
			cl.conn.(interface{ CloseWrite() error }).CloseWrite()
			add("S: ", cl.ExpectClosed())
		case st.n < 0:
			l, err := cl.ReadLine()
			if err != nil {
				t.Fatalf("%s: reading a challenge: %v", s.name, err)
			}
			add("S: ", []string{l})
		case st.tls:
			r := cl.Response()
			add("S: ", r)
			if r[len(r)-1] != `OK "Begin TLS negotiation now"` {
				return out
			}
			tc := tls.Client(cl.conn, &tls.Config{InsecureSkipVerify: true})
			if err := tc.Handshake(); err != nil {
				t.Fatalf("%s: TLS: %v", s.name, err)
			}
			cl.conn = tc
			cl.r.Reset(tc)
			add("S: ", cl.Response())
		default:
			n := st.n
			if n == 0 {
				n = 1
			}
			add("S: ", cl.Responses(n))
		}
	}
	return out
}

// diffTarget is a server to play against, with its users.
type diffTarget struct {
	name           string
	addr           string
	admin, adminPW string
}

func sessionUsers(all []dsession) []string {
	seen := map[string]bool{"alice": true, "bob": true}
	users := []string{"alice", "bob"}
	for _, s := range all {
		if s.user != "" && !seen[s.user] {
			seen[s.user] = true
			users = append(users, s.user)
		}
	}
	return users
}

func password(user string) string { return user + "pw" }

func TestDifferential(t *testing.T) {
	all := sessions()
	if len(all) < 25 {
		t.Fatalf("only %d sessions", len(all))
	}
	runDifferential(t, all, nil)
}

// TestDifferentialLimits plays sessions under other settings: two
// scripts of at most 1 KB, TLS required before authentication (for the
// sieve service only, so that the oracle's IMAP still creates users) and
// no implementation name.
func TestDifferentialLimits(t *testing.T) {
	runDifferential(t, limitSessions(), map[string]string{
		"sieve_maxscripts": "2", "sieve_maxscriptsize": "1", "sieve_tls_required": "yes", "serverinfo": "off",
	})
}

func limitSessions() []dsession {
	starttls := dstep{send: "STARTTLS\r\n", tls: true}
	return []dsession{
		{name: "TLS required", steps: []dstep{c("CAPABILITY"), cn(`AUTHENTICATE "PLAIN" "{PLAIN}"`, 3), c("AUTHENTICATE"),
			c("LISTSCRIPTS"), starttls, c("CAPABILITY"), loginStep(), c("CAPABILITY"), c("UNAUTHENTICATE"), c("CAPABILITY")}},
		{name: "size limit", steps: []dstep{starttls, loginStep(), c(`HAVESPACE "a" 1024`), c(`HAVESPACE "a" 1025`),
			c(`PUTSCRIPT "a" {1025+}` + "\r\n" + strings.Repeat("#", 1025)), c("NOOP"),
			c(`NOOP "` + strings.Repeat("t", 1013) + `"`), c(`NOOP "` + strings.Repeat("t", 1014) + `"`),
			c(strings.Repeat("z", 1014)), c("NOOP")}},
		{name: "script count limit", user: "l1", steps: []dstep{starttls, loginStep(), put("a", "keep;"), put("b", "keep;"),
			put("c", "keep;"), put("a", "stop;"), c(`HAVESPACE "c" 1`), c(`CHECKSCRIPT "keep;"`), c(`DELETESCRIPT "b"`),
			put("c", "keep;"), c("LISTSCRIPTS")}},
		{name: "admin", user: "l2", steps: []dstep{starttls, c(`AUTHENTICATE "PLAIN" "{ADMINPLAIN}"`),
			c(`AUTHENTICATE "PLAIN" "{ADMINFOR}"`), c("CAPABILITY"), put("mine", "keep;"), c("LISTSCRIPTS")}},
	}
}

// runDifferential starts Gyrus and the oracle with the same imapd.conf
// keys, the users the sessions need, and compares the sessions.
func runDifferential(t *testing.T, all []dsession, opts map[string]string) {
	users := sessionUsers(all)
	pwmap := map[string]string{}
	for _, u := range users {
		pwmap[u] = password(u)
	}
	// Gyrus gets the oracle's settings that matter (PLAIN LOGIN, plain
	// text allowed, TLS offered) from startGyrus
	in := startGyrus(t, makeCerts(t), opts, pwmap)
	var kv []string
	for k, v := range opts {
		kv = append(kv, k+"="+v)
	}
	o := harness.StartOracle(t, harness.OracleOptions{Opts: kv})
	for _, u := range users {
		o.AddUser(t, u, password(u))
	}
	targets := []diffTarget{
		{"gyrus", in.Addr("sieve"), adminUser, adminPW},
		{"cyrus", o.Addr("sieve"), "cyrus", oracleAdminPW()},
	}
	same := 0
	for _, s := range all {
		t.Run(s.name, func(t *testing.T) {
			got := map[string][]string{}
			for _, tg := range targets {
				got[tg.name] = play(t, tg, s)
			}
			g, cy := got["gyrus"], got["cyrus"]
			if os.Getenv("SIEVE_DIFF_SHOW") != "" {
				t.Logf("transcript:\n%s", strings.Join(g, "\n"))
			}
			if strings.Join(g, "\n") != strings.Join(cy, "\n") {
				t.Errorf("transcripts differ:\n%s", sideBySide(g, cy))
				return
			}
			same++
		})
	}
	t.Logf("%d of %d sessions identical", same, len(all))
}

// oracleAdminPW is cyrus-ref's admin password.
func oracleAdminPW() string {
	if pw := os.Getenv("CYRUS_REF_ADMIN_PW"); pw != "" {
		return pw
	}
	return "cyrus-admin-pw"
}

// sideBySide shows the two transcripts, marking the lines that differ.
func sideBySide(g, c []string) string {
	var b strings.Builder
	n := max(len(g), len(c))
	for i := 0; i < n; i++ {
		var x, y string
		if i < len(g) {
			x = g[i]
		}
		if i < len(c) {
			y = c[i]
		}
		mark := "  "
		if x != y {
			mark = "! "
		}
		fmt.Fprintf(&b, "%sgyrus: %.200q\n%scyrus: %.200q\n", mark, x, mark, y)
	}
	return b.String()
}
