package main

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// appendMsg appends a message given as lines (CRLF added).
func (pc *pipeClient) appendMsg(tag string, lines ...string) {
	pc.t.Helper()
	msg := strings.Join(lines, "\r\n") + "\r\n"
	pc.ok(tag, fmt.Sprintf("APPEND INBOX {%d+}\r\n%s", len(msg), msg))
}

// SEARCH, SORT and THREAD go through lib/search: Cyrus's search form
// (diacritics skipped, case folded, the CHARSET decoded) and a FUZZY
// string key failing the whole query, which Cyrus answers with OK and
// no untagged response (index_search: search_query_run failed).
func TestSearchCyrusSemantics(t *testing.T) {
	srv := newTestServer(t, map[string]string{"autocreate_quota": "0"})
	pc := startPipe(t, srv)
	pc.line()
	pc.ok("a1", "LOGIN alice x")
	pc.appendMsg("a2", "From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.com>", "Subject: Report", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "",
		"R\xc3\xa9union demain.")
	pc.appendMsg("a3", "From: Anna <a@example.com>", "Subject: other", "", "nothing here")
	pc.ok("a4", "SELECT INBOX")

	for _, c := range []struct {
		cmd  string
		want []string
	}{
		{"SEARCH FROM Jurgen", []string{"* SEARCH 1"}},
		{"SEARCH CHARSET UTF-8 FROM J\xc3\xbcrgen", []string{"* SEARCH 1"}},
		{"SEARCH BODY reunion", []string{"* SEARCH 1"}},
		{"SEARCH CHARSET ISO-8859-1 BODY R\xe9UNION", []string{"* SEARCH 1"}},
		{"SEARCH SUBJECT report", []string{"* SEARCH 1"}},
		{"SEARCH NOT SUBJECT report", []string{"* SEARCH 2"}},
		{"SEARCH FUZZY SUBJECT report", nil},
		{"SORT (SUBJECT) UTF-8 FUZZY BODY x", nil},
		{"THREAD REFERENCES UTF-8 FUZZY BODY x", nil},
		{"SORT (SUBJECT) UTF-8 ALL", []string{"* SORT 2 1"}},
	} {
		u, st := pc.cmd("s1", c.cmd)
		if !reflect.DeepEqual(u, c.want) || !strings.HasPrefix(st, "s1 OK Completed (") {
			t.Errorf("%s: %q %s, want %q", c.cmd, u, st, c.want)
		}
		if c.want == nil && !strings.HasPrefix(st, "s1 OK Completed (0 msgs in ") {
			t.Errorf("%s: %s", c.cmd, st)
		}
	}
}
