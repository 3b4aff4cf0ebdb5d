package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// What Cyrus 3.6.1 (Debian 3.6.1-4+deb12u4, cyrus-ref) answers without
// TLS configured, with allowplaintext: yes and sasl_mech_list: PLAIN
// LOGIN: the greeting's list, and the list after LOGIN. Gyrus leaves out X-REPLICATION and X-SIEVE-MAILBOX
// (replication over IMAP and the #sieve mailbox are not implemented),
// which Cyrus prints between X-CREATEDMODSEQ and XLIST.
const (
	cyrusPreAuth  = "IMAP4rev1 LITERAL+ ID ENABLE AUTH=PLAIN AUTH=LOGIN SASL-IR"
	cyrusPostAuth = "IMAP4rev1 LITERAL+ ID ENABLE ACL ANNOTATE-EXPERIMENT-1 BINARY CATENATE CHILDREN CONDSTORE " +
		"CREATE-SPECIAL-USE ESEARCH ESORT LIST-EXTENDED LIST-MYRIGHTS LIST-STATUS MAILBOX-REFERRALS METADATA MOVE " +
		"MULTIAPPEND NAMESPACE OBJECTID PREVIEW QRESYNC QUOTA RIGHTS=kxten SAVEDATE SEARCH=FUZZY SORT SORT=DISPLAY " +
		"SPECIAL-USE STATUS=SIZE THREAD=ORDEREDSUBJECT THREAD=REFERENCES UIDPLUS UNSELECT URLAUTH URLAUTH=BINARY " +
		"WITHIN DIGEST=SHA1 LIST-METADATA NO_ATOMIC_RENAME SCAN SORT=MODSEQ SORT=UID THREAD=REFS X-CREATEDMODSEQ " +
		"X-REPLICATION X-SIEVE-MAILBOX XLIST XMOVE LOGINDISABLED COMPRESS=DEFLATE X-QUOTA=STORAGE X-QUOTA=MESSAGE " +
		"X-QUOTA=X-ANNOTATION-STORAGE X-QUOTA=X-NUM-FOLDERS IDLE APPENDLIMIT=4294967295"
)

// notOffered are Cyrus capabilities Gyrus does not advertise although
// Cyrus shows them in every configuration: the rows marked
// !Implemented with no config switch. test/imap/differences.txt lists
// the same names as "not-offered" (TestNotOfferedListed).
var notOffered = func() []string {
	var out []string
	for _, r := range capabilities {
		if !r.Implemented && r.Config == "" {
			out = append(out, r.Name)
		}
	}
	return out
}()

func withoutNotOffered(list string) string {
	var out []string
	for _, w := range strings.Fields(list) {
		keep := true
		for _, n := range notOffered {
			if w == n {
				keep = false
			}
		}
		if keep {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

func capsOf(t *testing.T, line string) string {
	t.Helper()
	i := strings.Index(line, "[CAPABILITY ")
	j := strings.Index(line, "]")
	if i < 0 || j < i {
		t.Fatalf("no capability code in %q", line)
	}
	return line[i+len("[CAPABILITY ") : j]
}

func TestCapabilityLists(t *testing.T) {
	srv := newTestServer(t, map[string]string{"sasl_mech_list": "PLAIN LOGIN"})
	pc := startPipe(t, srv)
	greeting := pc.line()
	if got := withoutAdded(t, capsOf(t, greeting)); got != cyrusPreAuth {
		t.Errorf("greeting:\n got %s\nwant %s", got, cyrusPreAuth)
	}
	if !strings.Contains(greeting, "] localhost Gyrus IMAP ") || !strings.HasSuffix(greeting, " server ready") {
		t.Errorf("greeting text: %q", greeting)
	}
	// CAPABILITY before login: Cyrus asks for both masks
	u := pc.ok("a1", "CAPABILITY")
	if len(u) != 1 || !strings.HasPrefix(u[0], "* CAPABILITY ") {
		t.Fatalf("CAPABILITY: %q", u)
	}
	_, st := pc.cmd("a2", "LOGIN alice secret")
	want := withoutNotOffered(cyrusPostAuth)
	if got := withoutAdded(t, capsOf(t, st)); got != want {
		t.Errorf("after LOGIN:\n got %s\nwant %s", got, want)
	}
	u = pc.ok("a3", "CAPABILITY")
	if got := withoutAdded(t, strings.TrimPrefix(u[0], "* CAPABILITY ")); got != want {
		t.Errorf("CAPABILITY after login:\n got %s\nwant %s", got, want)
	}
}

// Every row of the table has an RFC (or says it is Cyrus's), and the
// rows Gyrus does not offer are exactly the documented ones.
func TestCapabilityTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range capabilities {
		if r.Name == "" && r.Words == nil {
			t.Errorf("row without a name: %+v", r)
		}
		if r.RFC == "" {
			t.Errorf("%s: no RFC", r.Name)
		}
		if r.Mask == 0 {
			t.Errorf("%s: shown in no state", r.Name)
		}
		if r.Name != "" && seen[r.Name] {
			t.Errorf("%s twice", r.Name)
		}
		seen[r.Name] = true
	}
	if want := []string{"X-REPLICATION", "X-SIEVE-MAILBOX"}; !slices.Equal(notOffered, want) {
		t.Errorf("capabilities Cyrus always shows and Gyrus does not: %q, want %q", notOffered, want)
	}
}

// The transcript comparison (test/imap) removes from Cyrus's recorded
// CAPABILITY lists exactly the names differences.txt marks
// "not-offered": they must be the table's unimplemented rows without a
// config switch, no more and no less.
func TestNotOfferedListed(t *testing.T) {
	data, err := os.ReadFile("../../test/imap/differences.txt")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && f[0] == "not-offered" && f[2] == "--" {
			listed = append(listed, f[1])
		}
	}
	slices.Sort(listed)
	want := slices.Sorted(slices.Values(notOffered))
	if !slices.Equal(listed, want) {
		t.Errorf("test/imap/differences.txt not-offered: %q; capability table: %q", listed, want)
	}
}

func TestSuppressCapabilities(t *testing.T) {
	srv := newTestServer(t, map[string]string{"suppress_capabilities": "ESEARCH QUOTA"})
	pc := startPipe(t, srv)
	pc.line()
	_, st := pc.cmd("a1", "LOGIN alice secret")
	caps := " " + capsOf(t, st) + " "
	for _, w := range []string{" ESEARCH ", " QUOTA "} {
		if strings.Contains(caps, w) {
			t.Errorf("%s not suppressed: %s", w, caps)
		}
	}
	if !strings.Contains(caps, " ESORT ") {
		t.Errorf("ESORT should stay: %s", caps)
	}
}
