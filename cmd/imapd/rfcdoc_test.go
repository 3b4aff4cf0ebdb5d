package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docRow is one row of a table in doc/rfc.md.
type docRow struct {
	line   int
	rfc    string
	caps   []string
	status string
	where  []string
}

var (
	reBacktick = regexp.MustCompile("`([^`]+)`")
	reRFCNum   = regexp.MustCompile(`RFC [0-9]+`)
)

// readRFCDoc parses the tables of doc/rfc.md (columns RFC, Title,
// Capability, Gyrus, Where, Notes).
func readRFCDoc(t *testing.T) []docRow {
	t.Helper()
	data, err := os.ReadFile("../../doc/rfc.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []docRow
	for i, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(l, "| ") || strings.HasPrefix(l, "| RFC | Title") || strings.HasPrefix(l, "| ---") {
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(l), "|"), "|")
		for j := range cells {
			cells[j] = strings.TrimSpace(cells[j])
		}
		if len(cells) != 6 {
			t.Errorf("doc/rfc.md:%d: %d columns, want 6: %q", i+1, len(cells), l)
			continue
		}
		r := docRow{line: i + 1, rfc: cells[0], status: cells[3]}
		for _, m := range reBacktick.FindAllStringSubmatch(cells[2], -1) {
			r.caps = append(r.caps, m[1])
		}
		for _, m := range reBacktick.FindAllStringSubmatch(cells[4], -1) {
			r.where = append(r.where, m[1])
		}
		switch r.status {
		case "Yes", "Partial", "No":
		default:
			t.Errorf("doc/rfc.md:%d: status %q, want Yes, Partial or No", r.line, r.status)
		}
		rows = append(rows, r)
	}
	if len(rows) < 40 {
		t.Fatalf("doc/rfc.md: only %d rows read", len(rows))
	}
	return rows
}

// TestRFCDoc checks doc/rfc.md against the capability table: every
// capability is documented with its RFC and a status that matches
// Implemented, anything documented as offered is in the table (or
// produced by it at run time), and the files named exist.
func TestRFCDoc(t *testing.T) {
	rows := readRFCDoc(t)
	byCap := map[string][]docRow{}
	for _, r := range rows {
		for _, c := range r.caps {
			byCap[c] = append(byCap[c], r)
		}
		for _, w := range r.where {
			p := strings.TrimSuffix(w, "/")
			if !strings.Contains(p, "/") {
				continue // an identifier, not a path
			}
			if _, err := os.Stat(filepath.Join("../..", p)); err != nil {
				t.Errorf("doc/rfc.md:%d: %s does not exist", r.line, w)
			}
		}
	}

	inTable := map[string]bool{}
	for _, c := range capabilities {
		inTable[c.Name] = true
		docs := byCap[c.Name]
		if len(docs) == 0 {
			t.Errorf("%s (%s) is not in doc/rfc.md", c.Name, c.RFC)
			continue
		}
		for _, d := range docs {
			if !c.Implemented && d.status != "No" {
				t.Errorf("doc/rfc.md:%d: %s is not implemented but says %s", d.line, c.Name, d.status)
			}
			if c.Implemented && d.status == "No" {
				t.Errorf("doc/rfc.md:%d: %s is implemented but says No", d.line, c.Name)
			}
		}
		// each RFC of the row is named by one of the capability's rows;
		// a Cyrus or draft capability says so
		want := reRFCNum.FindAllString(c.RFC, -1)
		if len(want) == 0 {
			want = []string{strings.Fields(c.RFC)[0]}
		}
		for _, w := range want {
			found := false
			for _, d := range docs {
				found = found || strings.Contains(d.rfc, w)
			}
			if !found {
				t.Errorf("%s: doc/rfc.md does not name %s beside it", c.Name, w)
			}
		}
	}

	// Words the dynamic rows produce (AUTH=PLAIN, SASL-IR, X-QUOTA=...)
	// belong to the table as well.
	srv := newTestServer(t, map[string]string{"sasl_mech_list": "PLAIN LOGIN"})
	produced := map[string]bool{}
	for _, authed := range []bool{false, true} {
		s := &Session{srv: srv}
		if authed {
			s.userid = "alice"
		}
		for _, w := range s.capabilityWords(capBoth) {
			produced[w] = true
		}
	}
	if !produced["SASL-IR"] || !produced["IDLE"] {
		t.Fatalf("capability words of a test session: %v", produced)
	}
	for c, docs := range byCap {
		if inTable[c] || produced[c] {
			continue
		}
		for _, d := range docs {
			if d.status != "No" {
				t.Errorf("doc/rfc.md:%d: %s says %s but cmd/imapd/capability.go does not offer it", d.line, c, d.status)
			}
		}
	}
}
