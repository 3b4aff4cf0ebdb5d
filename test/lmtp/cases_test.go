package lmtp_test

import (
	"fmt"
	"strings"
	"testing"
)

// The recipient, quota, protocol and malformed-message cases, each run
// on the real Cyrus 3.6.1 and on Gyrus with the same imapd.conf and
// mailboxes: every reply and every stored file must be the same.

type lmtpCase struct {
	name   string
	script []step
	unix   bool // on the UNIX socket (deliver's way in)
}

func hello(s ...any) []step { return steps(append([]any{"LHLO test.example"}, s...)...) }

// txn is MAIL FROM, the recipients and DATA with m.
func txn(from string, rcpts []string, m string) []step {
	s := []any{"MAIL FROM:" + from}
	for _, r := range rcpts {
		s = append(s, "RCPT TO:"+r)
	}
	return steps(append(s, data(m))...)
}

// Default configuration (as cyrus-ref sets it up).
var setupA = []string{
	"CREATE user.alice", "CREATE user.alice.Work", "CREATE user.alice.Private",
	"SETACL user.alice.Work anyone p",
	"CREATE user.bob",
	"CREATE user.quser", "SETQUOTA user.quser (STORAGE 2)",
	"CREATE user.dupe",
	"CREATE shared", "SETACL shared anyone lrsp",
	"CREATE noacl",
	"CREATE hidden", "DELETEACL hidden anyone",
	"CREATE postonly", "SETACL postonly carol p",
	"CREATE user.UPPER",
}

var mailboxesA = []string{"user.alice", "user.alice.Work", "user.alice.Private", "user.bob",
	"user.quser", "user.dupe", "shared", "noacl", "postonly", "user.UPPER"}

func casesA() []lmtpCase {
	big := strings.Repeat("x", 1500)
	return []lmtpCase{
		{name: "session basics", script: steps("NOOP", "VRFY alice", "RSET", "HELO x", "EHLO x", "LHLO", "FOO bar", "MOO", "lhlo lower.example", "noop", "QUIT")},
		{name: "user", script: hello(txn("<sender@example.com>", []string{"<alice>"}, msg("c1")))},
		{name: "user upper case (downcased)", script: hello(txn("<sender@example.com>", []string{"<ALICE>"}, msg("c2")))},
		{name: "user with domain, virtdomains off", script: hello(txn("<sender@example.com>", []string{"<alice@anywhere.example>"}, msg("c3")))},
		{name: "user+detail with p for anyone", script: hello(txn("<sender@example.com>", []string{"<alice+Work>"}, msg("c4")))},
		{name: "user+detail without p: INBOX", script: hello(txn("<sender@example.com>", []string{"<alice+Private>"}, msg("c5")))},
		{name: "user+detail missing: INBOX", script: hello(txn("<sender@example.com>", []string{"<alice+Nosuch>"}, msg("c6")))},
		{name: "user+detail case differs: INBOX", script: hello(txn("<sender@example.com>", []string{"<alice+work>"}, msg("c7")))},
		{name: "user+ empty detail", script: hello(txn("<sender@example.com>", []string{"<alice+>"}, msg("c8")))},
		{name: "shared folder through postuser", script: hello(txn("<sender@example.com>", []string{"<+shared>"}, msg("c9")))},
		{name: "shared folder without p (has l)", script: hello(txn("<sender@example.com>", []string{"<+noacl>"}, msg("c10")))},
		{name: "shared folder hidden", script: hello(txn("<sender@example.com>", []string{"<+hidden>"}, msg("c11")))},
		{name: "shared folder missing", script: hello(txn("<sender@example.com>", []string{"<+nosuch@example.com>"}, msg("c12")))},
		{name: "shared folder, poster with p through AUTH=", script: hello(txn("<sender@example.com> AUTH=carol", []string{"<+postonly>"}, msg("c13")))},
		{name: "shared folder, AUTH=<>", script: hello(txn("<sender@example.com> AUTH=<>", []string{"<+postonly>"}, msg("c14")))},
		{name: "unknown user", script: hello(txn("<sender@example.com>", []string{"<nobody>"}, msg("c15")))},
		{name: "empty recipient", script: hello(txn("<sender@example.com>", []string{"<>"}, msg("c16")))},
		{name: "quoted local part", script: hello(txn("<sender@example.com>", []string{`<"alice">`, `<"al ice"@x>`, `<"bob\"x">`}, msg("c17")))},
		{name: "source route", script: hello(txn("<@relay.example,@b.example:sender@example.com>", []string{"<@relay.example:bob@example.com>"}, msg("c18")))},
		{name: "upper-case user mailbox", script: hello(txn("<sender@example.com>", []string{"<UPPER>", "<upper>"}, msg("c19")))},
		{name: "several recipients, one unknown", script: hello(txn("<sender@example.com>", []string{"<alice>", "<nobody>", "<bob>", "<+shared>"}, msg("c20")))},
		{name: "same recipient twice (duplicate suppression)", script: hello(txn("<sender@example.com>", []string{"<dupe>", "<dupe>"}, msg("c21")))},
		{name: "duplicate in a later session", script: hello(txn("<sender@example.com>", []string{"<dupe>"}, msg("c21")))},
		{name: "same id, other date: not a duplicate", script: hello(txn("<sender@example.com>", []string{"<dupe>"}, strings.Replace(msg("c21"), "10:00:00", "11:00:00", 1)))},
		{name: "no Message-ID: not suppressed", script: hello(txn("<sender@example.com>", []string{"<dupe>", "<dupe>"}, "Subject: no id\r\nDate: Mon, 02 Jan 2023 10:00:00 +0000\r\n\r\nbody\r\n"))},
		{name: "rcpt syntax", script: hello("MAIL FROM:<a@example.com>", "RCPT TO:alice", "RCPT TO: <alice>", "RCPT TO:<alice> IGNOREQUOTA X", "RCPT TO:<alice> FOO=1", "RCPT TO:<alice>  IGNOREQUOTA", "RCPT TO:<al ice>", "RCPT TO:<alice@[1.2.3.4]>", "RCPT TO:<alice@[1.2.x]>", "RCPT TO:<alice>x", "RCPT TO:<alice> ignorequota", "RCPT FROM:<alice>")},
		{name: "rcpt before mail", script: hello("RCPT TO:<alice>", "DATA")},
		{name: "mail syntax and parameters", script: hello("MAIL FROM: <a@example.com>", "MAIL FROM:a@example.com", "MAIL TO:<a@example.com>",
			"MAIL FROM:<a@example.com> BODY=BINARYMIME", "RSET",
			"MAIL FROM:<a@example.com> SIZE=abc", "RSET",
			"MAIL FROM:<a@example.com> SIZE=99999999999", "RSET",
			"MAIL FROM:<a@example.com> FOO=bar", "RSET",
			"MAIL FROM:<a@example.com> BODY=8BITMIMEX", "RSET",
			"MAIL FROM:<a@example.com> AUTH=a=b", "RSET",
			"MAIL FROM:<a@example.com> BODY=7BIT SIZE=100 AUTH=dave", "MAIL FROM:<b@example.com>")},
		{name: "data without recipients", script: hello("MAIL FROM:<a@example.com>", "DATA", "RCPT TO:<nobody>", "DATA")},
		{name: "return path without domain", script: hello(txn("<bob>", []string{"<alice>"}, msg("c30")))},
		{name: "null return path", script: hello(txn("<>", []string{"<alice>"}, msg("c31")))},
		{name: "AUTH= in Received", script: hello(txn("<a@example.com> AUTH=<dave>", []string{"<alice>"}, msg("c32")))},
		{name: "AUTH= with xtext", script: hello(txn("<a@example.com> AUTH=da+2Bve", []string{"<alice>"}, msg("c33")))},
		{name: "two transactions on one connection", script: hello(txn("<a@example.com>", []string{"<alice>"}, msg("c34a")), txn("<b@example.com>", []string{"<bob>"}, msg("c34b")))},
		{name: "LHLO twice, long LHLO", script: steps("LHLO one", "LHLO "+strings.Repeat("h", 300), txn("<a@example.com>", []string{"<alice>"}, msg("c35")))},
		{name: "quota: room left", script: hello(txn("<a@example.com>", []string{"<quser>"}, msg("q1", "X-Pad: "+big)))},
		{name: "quota: message goes over (non-strict accepts)", script: hello(txn("<a@example.com>", []string{"<quser>"}, msg("q2", "X-Pad: "+big)))},
		{name: "quota: already over", script: hello(txn("<a@example.com>", []string{"<quser>"}, msg("q3")))},
		{name: "quota: IGNOREQUOTA", script: hello("MAIL FROM:<a@example.com>", "RCPT TO:<quser> IGNOREQUOTA", data(msg("q4")))},
		{name: "quota: over, other recipient fine", script: hello(txn("<a@example.com>", []string{"<quser>", "<bob>"}, msg("q5")))},
		{name: "malformed: NUL in body", script: hello(txn("<a@example.com>", []string{"<alice>"}, "Subject: nul\r\n\r\nab\x00cd\r\n"))},
		{name: "malformed: NUL in header", script: hello(txn("<a@example.com>", []string{"<alice>", "<bob>"}, "Subject: n\x00ul\r\n\r\nbody\r\n"))},
		{name: "malformed: space in field name", script: hello(txn("<a@example.com>", []string{"<alice>"}, "Bad Header: x\r\n\r\nbody\r\n"))},
		{name: "malformed: line without colon", script: hello(txn("<a@example.com>", []string{"<alice>"}, "Subject: ok\r\nnocolon\r\n\r\nbody\r\n"))},
		{name: "malformed: bad header and NUL body", script: hello(txn("<a@example.com>", []string{"<alice>"}, "Bad Header: x\r\n\r\nb\x00dy\r\n"))},
		{name: "malformed: empty Message-ID", script: hello(txn("<a@example.com>", []string{"<alice>"}, "Message-ID:\r\nSubject: e\r\n\r\nbody\r\n"))},
		{name: "malformed: field starting with a space", script: hello(txn("<a@example.com>", []string{"<alice>"}, " Subject: x\r\n\r\nbody\r\n"))},
		{name: "8-bit header munged", script: hello(txn("<a@example.com>", []string{"<alice>"}, "Subject: caf\xc3\xa9\r\nX-Other:\xff\xfe\r\nMessage-ID: <m8@x>\r\n\r\nbody caf\xc3\xa9\r\n"))},
		{name: "bare LF message", script: hello(txn("<a@example.com>", []string{"<alice>"}, "Subject: lf\nFrom: a@b\nMessage-ID: <lf@x>\n\nline1\nline2\n"))},
		{name: "bare CR", script: hello(txn("<a@example.com>", []string{"<alice>"}, "Subject: c\rr\r\nMessage-ID: <cr@x>\r\n\r\nbo\rdy\r\nx\r\r\n"))},
		{name: "dots", script: hello(txn("<a@example.com>", []string{"<alice>"}, "Subject: dots\r\nMessage-ID: <dots@x>\r\n\r\n.leading\r\n..two\r\n.\r\n...\r\nend\r\n"))},
		{name: "raw dots not stuffed", script: hello("MAIL FROM:<a@example.com>", "RCPT TO:<alice>", rawData("Subject: raw\r\nMessage-ID: <rawdots@x>\r\n\r\n.x\r\n..y\r\n.\r\n"))},
		{name: "header only, no blank line", script: hello(txn("<a@example.com>", []string{"<alice>"}, "Subject: hdr only\r\nMessage-ID: <ho@x>\r\n"))},
		{name: "empty message", script: hello("MAIL FROM:<a@example.com>", "RCPT TO:<alice>", rawData(".\r\n"))},
		{name: "no Message-ID, no Date", script: hello(txn("<a@example.com>", []string{"<alice>"}, "Subject: gen\r\n\r\nbody\r\n"))},
		{name: "Return-Path in message dropped", script: hello(txn("<a@example.com>", []string{"<alice>"}, "Return-Path: <evil@example.com>\r\nReturn-path:\r\n <x@y>\r\nSubject: rp\r\nMessage-ID: <rp@x>\r\n\r\nbody\r\n"))},
		{name: "folded fields", script: hello(txn("<a@example.com>", []string{"<alice>"}, "Subject:\r\n folded\r\n\tmore\r\nX-Empty:\r\nX-Sp : v\r\nMessage-ID:\r\n <fold@x>\r\n\r\nbody\r\n"))},
		{name: "long line over 8190 bytes", script: hello(txn("<a@example.com>", []string{"<alice>"}, "Subject: long\r\nMessage-ID: <long@x>\r\n\r\n"+strings.Repeat("a", 8188)+"\r\r\n"+strings.Repeat("b", 8189)+".x\r\n"+strings.Repeat("c", 20000)+"\r\n"))},
		{name: "pipelined transaction", script: steps(step{cmd: "LHLO pipe.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<alice>\r\nRCPT TO:<bob>\r\nDATA"}, step{msg: msg("pipe")})},
		{name: "UNIX socket: Received and AUTH EXTERNAL", unix: true, script: hello(txn("<a@example.com> AUTH=erin", []string{"<alice>"}, msg("u1")))},
		{name: "UNIX socket: AUTH PLAIN refused", unix: true, script: hello("AUTH PLAIN AGFsaWNlAHB3", "AUTH FOO")},
		{name: "AUTH after RCPT", script: hello("MAIL FROM:<a@example.com>", "RCPT TO:<alice>", "AUTH EXTERNAL")},
		{name: "STARTTLS on a pre-authorized connection", script: hello("STARTTLS")},
		{name: "X-DeliveredInternalDate", script: hello(txn("<a@example.com>", []string{"<bob>"}, msg("xd", "X-DeliveredInternalDate: Tue, 03 Jan 2023 04:05:06 +0100")))},
	}
}

// Other settings: strict quota, permanent over-quota failure, a size
// limit, reject8bit, fuzzy matching, a catch-all, no downcasing, no
// strict RFC 2821, no duplicate suppression.
var optsB = map[string]string{
	"lmtp_strict_quota":            "1",
	"lmtp_over_quota_perm_failure": "1",
	"maxmessagesize":               "3000",
	"reject8bit":                   "1",
	"lmtp_fuzzy_mailbox_match":     "1",
	"lmtp_catchall_mailbox":        "catchall",
	"lmtp_downcase_rcpt":           "0",
	"lmtp_strict_rfc2821":          "0",
	"duplicatesuppression":         "0",
}

var setupB = []string{
	"CREATE user.alice", `CREATE "user.alice.Work Box"`, `SETACL "user.alice.Work Box" anyone p`,
	"CREATE user.catchall",
	"CREATE user.quser", "SETQUOTA user.quser (STORAGE 2)",
	`CREATE "Shared Folder"`, `SETACL "Shared Folder" anyone lrsp`,
}

var mailboxesB = []string{"user.alice", "user.alice.Work Box", "user.catchall", "user.quser", "Shared Folder"}

func casesB() []lmtpCase {
	pad := strings.Repeat("y", 1200)
	return []lmtpCase{
		{name: "LHLO with SIZE", script: hello()},
		{name: "fuzzy user folder", script: hello(txn("<a@example.com>", []string{"<alice+work-box>", "<alice+WORK_BOX>"}, msg("f1")))},
		{name: "fuzzy shared folder", script: hello(txn("<a@example.com>", []string{"<+shared-folder>"}, msg("f2")))},
		{name: "catch-all", script: hello(txn("<a@example.com>", []string{"<nobody>", "<>"}, msg("f3")))},
		{name: "no downcasing", script: hello(txn("<a@example.com>", []string{"<ALICE>"}, msg("f4")))},
		{name: "8-bit local part becomes X", script: hello(txn("<s\xe9nder@example.com>", []string{"<alic\xe9>"}, msg("f5")))},
		{name: "reject8bit", script: hello(txn("<a@example.com>", []string{"<alice>"}, "Subject: caf\xc3\xa9\r\n\r\nbody\r\n"))},
		{name: "SIZE over the limit", script: hello("MAIL FROM:<a@example.com> SIZE=5000", "MAIL FROM:<a@example.com> SIZE=100", "RCPT TO:<alice>")},
		{name: "message over the limit", script: hello(txn("<a@example.com>", []string{"<alice>"}, msg("f6", "X-Pad: "+strings.Repeat("z", 3000))), "RCPT TO:<alice>", data(msg("f6b")))},
		{name: "message just under the limit with the added fields", script: hello(txn("<a@example.com>", []string{"<alice>"}, msg("f7", "X-Pad: "+strings.Repeat("w", 2560))))},
		{name: "strict quota: SIZE too big at RCPT", script: hello("MAIL FROM:<a@example.com> SIZE=2500", "RCPT TO:<quser>", "RSET", "MAIL FROM:<a@example.com> SIZE=10", "RCPT TO:<quser>", data(msg("s1", "X-Pad: "+pad)))},
		{name: "strict quota: over at DATA (permanent)", script: hello(txn("<a@example.com>", []string{"<quser>"}, msg("s2", "X-Pad: "+pad)))},
		{name: "strict quota: IGNOREQUOTA", script: hello("MAIL FROM:<a@example.com>", "RCPT TO:<quser> IGNOREQUOTA", data(msg("s3")))},
		{name: "no duplicate suppression", script: hello(txn("<a@example.com>", []string{"<alice>", "<alice>"}, msg("f8")))},
	}
}

func runCases(t *testing.T, p *pair, cases []lmtpCase) {
	for i, tc := range cases {
		name := fmt.Sprintf("%02d %s", i, tc.name)
		network := "tcp"
		if tc.unix {
			network = "unix"
		}
		p.compareOn(t, name, network, tc.script)
	}
}

// TestDifferentialCases compares Gyrus with the real Cyrus on the same
// scripts. The default configuration's pair (one Cyrus, one Gyrus)
// serves the LMTP cases, then swaks, then deliver(8), in that order:
// each step compares every mailbox, so the earlier steps' messages are
// part of the later comparisons. The two pairs, and the corpus test's,
// run in parallel (starting the oracle is mostly waiting).
func TestDifferentialCases(t *testing.T) {
	t.Parallel()
	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		p := startPair(t, nil, setupA, mailboxesA)
		t.Run("lmtp", func(t *testing.T) { runCases(t, p, casesA()) })
		t.Run("swaks", func(t *testing.T) { swaksDifferential(t, p) })
		t.Run("deliver", func(t *testing.T) { deliverDifferential(t, p) })
	})
	t.Run("strict", func(t *testing.T) {
		t.Parallel()
		p := startPair(t, optsB, setupB, mailboxesB)
		runCases(t, p, casesB())
	})
}
