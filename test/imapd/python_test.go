package imapd

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// pySession is the JSON the script prints at the end of a full session.
type pySession struct {
	Greeting      string   `json:"greeting"`
	Caps          []string `json:"caps"`
	Exists        int      `json:"exists"`
	UIDValidity   int64    `json:"uidvalidity"`
	Fetched       int      `json:"fetched"`
	UIDs          []int    `json:"uids"`
	Sizes         []int    `json:"sizes"`
	MessageIDs    []string `json:"message_ids"`
	Bodies        int      `json:"bodies"`
	BodiesSHA256  string   `json:"bodies_sha256"`
	SearchFlagged []int    `json:"search_flagged"`
	SearchKeyword []int    `json:"search_keyword"`
	SearchSeen    []int    `json:"search_seen"`
	SearchBody    []int    `json:"search_body"`
	SearchOr      []int    `json:"search_or"`
	SearchLarger  []int    `json:"search_larger"`
	Move          string   `json:"move"`
	MoveCopyUID   []string `json:"move_copyuid"`
	StatusArchive string   `json:"status_archive"`
	AfterMove     int      `json:"after_move"`
	IdleExists    *int     `json:"idle_exists"`
	IdleDone      string   `json:"idle_done"`
	Newest        string   `json:"newest"`
	Logout        string   `json:"logout"`
	TFetchHeaders float64  `json:"t_fetch_headers"`
	TFetchBodies  float64  `json:"t_fetch_bodies"`
	Timings       []string `json:"timings"`
	TLaunch       float64  `json:"t_launch"`
}

// python finds python3: the system's /usr/bin/python3 first (a pyenv
// shim first in $PATH costs seconds per start on a loaded machine).
func python(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed (scripts/test-deps installs it)")
	}
	return p
}

func ints(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

// TestPythonImaplibSession runs testdata/session.py (imaplib) on bob's
// INBOX of 5,000 messages and checks each of its findings against the
// corpus; while the script idles, lmtpd delivers a message, and the
// script's EXISTS must come within a second.
func TestPythonImaplibSession(t *testing.T) {
	t.Parallel()
	python(t)
	n := mailboxSize(t)
	exp := expectations(t, testCorpus(), n)
	t0 := time.Now()
	s := startServer(t, false)
	t1 := time.Now()
	ld := s.dialRaw(t, "bob", bobPass)
	ld.load(t, "INBOX", exp, 250)
	ld.logout()
	t.Logf("server started in %v, %d messages loaded by MULTIAPPEND in %v", t1.Sub(t0).Round(time.Millisecond), n, time.Since(t1).Round(time.Millisecond))

	runPython(t, s.Addr("imap"), s.Addr("lmtp"), exp)
}

// runPython runs testdata/session.py as bob on the server at imapAddr,
// whose INBOX holds exp (UIDs 1..len(exp)) and which has INBOX.Archive,
// delivers over LMTP at lmtpAddr while the script idles, and checks the
// script's findings.
func runPython(t *testing.T, imapAddr, lmtpAddr string, exp []expect) {
	t.Helper()
	py := python(t)
	n := len(exp)
	t2 := time.Now()
	host, port, _ := strings.Cut(imapAddr, ":")
	cmd := exec.Command(py, filepath.Join("testdata", "session.py"), host, port, "bob", bobPass)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
		case <-time.After(3 * time.Minute):
			cmd.Process.Kill()
		}
	}()
	var last string
	var delivered time.Time
	var idleWait time.Duration
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "IDLING":
			deliverTo(t, lmtpAddr, "bob", newMail("python idles"))
			delivered = time.Now()
		case strings.HasPrefix(line, "EXISTS "):
			idleWait = time.Since(delivered)
		default:
			last = line
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("session.py: %v\n%s", err, stderr.String())
	}
	var r pySession
	if err := json.Unmarshal([]byte(last), &r); err != nil {
		t.Fatalf("session.py's last line is not JSON: %v\n%.500s\nstderr: %s", err, last, stderr.String())
	}
	t.Logf("imaplib session %v: FETCH headers %.3fs, bodies %.3fs (phases %v, python started %.3fs after exec); EXISTS %v after the delivery", time.Since(t2).Round(time.Millisecond), r.TFetchHeaders, r.TFetchBodies, r.Timings, r.TLaunch-float64(t2.UnixNano())/1e9, idleWait.Round(time.Millisecond))

	if !strings.HasPrefix(r.Greeting, "* OK") || !slices.Contains(r.Caps, "IDLE") || !slices.Contains(r.Caps, "MOVE") {
		t.Errorf("greeting %q, capabilities %v", r.Greeting, r.Caps)
	}
	if r.Exists != n || r.Fetched != n || r.UIDValidity == 0 {
		t.Fatalf("SELECT said %d, FETCH 1:* gave %d (UIDVALIDITY %d); want %d", r.Exists, r.Fetched, r.UIDValidity, n)
	}
	h := sha256.New()
	var larger []int
	var rare []int
	for i, e := range exp {
		if r.UIDs[i] != i+1 || r.Sizes[i] != len(e.raw) || r.MessageIDs[i] != e.messageID {
			t.Fatalf("message %d: UID %d size %d id %q; want %d %d %q", i+1, r.UIDs[i], r.Sizes[i], r.MessageIDs[i], i+1, len(e.raw), e.messageID)
		}
		h.Write(e.raw)
		if len(e.raw) > 5000 {
			larger = append(larger, i+1)
		}
		if e.rare {
			rare = append(rare, i+1)
		}
	}
	if r.Bodies != n || r.BodiesSHA256 != hex.EncodeToString(h.Sum(nil)) {
		t.Errorf("BODY.PEEK[] sync: %d bodies, sha256 %s; want %d bodies equal to those appended", r.Bodies, r.BodiesSHA256, n)
	}
	check := func(what string, got, want []int) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("UID SEARCH %s: %d hits %v, want %d %v", what, len(got), head(got), len(want), head(want))
		}
	}
	flagged := slices.DeleteFunc(ints(1, 20), func(u int) bool { return u == 5 })
	check("FLAGGED", r.SearchFlagged, flagged)
	check("KEYWORD $Later", r.SearchKeyword, ints(21, 40))
	check("SEEN", r.SearchSeen, ints(21, 40))
	check("BODY "+rareWord, r.SearchBody, rare)
	check("OR FLAGGED KEYWORD $Later", r.SearchOr, append(slices.Clone(flagged), ints(21, 40)...))
	check("LARGER 5000", r.SearchLarger, larger)

	if r.Move != "OK" || r.AfterMove != n-10 {
		t.Errorf("UID MOVE 1:10: %s, INBOX then has %d; want OK, %d", r.Move, r.AfterMove, n-10)
	}
	if len(r.MoveCopyUID) != 1 || !strings.HasSuffix(r.MoveCopyUID[0], " 1:10 1:10") {
		t.Errorf("MOVE's COPYUID %q, want \"<validity> 1:10 1:10\"", r.MoveCopyUID)
	}
	if !strings.Contains(r.StatusArchive, "MESSAGES 10") || !strings.Contains(r.StatusArchive, "UIDNEXT 11") {
		t.Errorf("STATUS INBOX.Archive: %q", r.StatusArchive)
	}
	if r.IdleExists == nil || *r.IdleExists != n-10+1 {
		t.Errorf("EXISTS during IDLE: %v, want %d", r.IdleExists, n-10+1)
	} else if idleWait > time.Second {
		t.Errorf("EXISTS reached the idling imaplib %v after the delivery, want within 1 s", idleWait)
	}
	if !strings.Contains(r.IdleDone, "OK") {
		t.Errorf("IDLE ended with %q", r.IdleDone)
	}
	if want := fmt.Sprintf("UID %d", n+1); !strings.Contains(r.Newest, want) || !strings.Contains(r.Newest, "python idles") {
		t.Errorf("UID FETCH * after IDLE: %q, want %s and the subject", r.Newest, want)
	}
	if r.Logout != "BYE" {
		t.Errorf("LOGOUT: %q", r.Logout)
	}
}
