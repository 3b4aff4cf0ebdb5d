package acl

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// The golden file is collected from the real Cyrus 3.6.1 by
// test/names/collect_acl.py.
type oracle struct {
	Identities map[string]struct {
		UserID string   `json:"userid"`
		Groups []string `json:"groups"`
		Admin  bool     `json:"admin"`
	} `json:"identities"`
	ImapdConf map[string]string `json:"imapd_conf"`
	Sequences struct {
		Owner map[string]string      `json:"owner"`
		Start map[string][][2]string `json:"start"`
		Steps []struct {
			Actor      string      `json:"actor"`
			Mailbox    string      `json:"mailbox"`
			Identifier string      `json:"identifier"`
			Rights     *string     `json:"rights"`
			Status     string      `json:"status"`
			Text       string      `json:"text"`
			ACL        [][2]string `json:"acl"`
		} `json:"steps"`
	} `json:"sequences"`
	Evals []struct {
		Kind       string                      `json:"kind"`
		Mailbox    string                      `json:"mailbox"`
		ACL        [][2]string                 `json:"acl"`
		Views      map[string]map[string][]any `json:"views"`
		ListRights map[string][]any            `json:"listrights"`
	} `json:"evals"`
}

func loadOracle(t *testing.T) *oracle { return loadOraclePath(t, "testdata/cyrus_acl.json") }

func loadOraclePath(t *testing.T, path string) *oracle {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var o oracle
	if err := json.Unmarshal(data, &o); err != nil {
		t.Fatal(err)
	}
	return &o
}

func (o *oracle) identity(who string) Identity {
	x := o.Identities[who]
	return Identity{UserID: x.UserID, Groups: x.Groups, IsAdmin: x.Admin}
}

func oraclePolicy(t *testing.T, o *oracle) *Policy {
	cfg := DefaultConfig()
	// The instance's admins (cyrus) are in the system groups the golden
	// file lists; "mail" exists on Debian. Resolve groups from the file so
	// the test does not depend on this machine's /etc/group.
	known := map[string]bool{}
	for _, id := range o.Identities {
		for _, g := range id.Groups {
			known[g] = true
		}
	}
	cfg.LookupGroup = func(name string) (string, bool) { return name, known[name] }
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// answer turns a Gyrus error into Cyrus's status and text.
func answer(err error) (string, string) {
	var ir *InvalidRightError
	switch {
	case err == nil:
		return "OK", "Completed"
	case errors.As(err, &ir):
		return "BAD", err.Error()
	}
	return "NO", err.Error()
}

func TestOracleSetACL(t *testing.T) { replaySetACL(t, loadOracle(t)) }

func TestOracleEvaluation(t *testing.T) { replayEvaluation(t, loadOracle(t)) }

func replaySetACL(t *testing.T, o *oracle) {
	p := oraclePolicy(t, o)
	state := map[string]ACL{}
	for mb, pairs := range o.Sequences.Start {
		state[mb] = FromPairs(pairs)
	}
	if len(o.Sequences.Steps) < 50 {
		t.Fatalf("only %d steps", len(o.Sequences.Steps))
	}
	for i, s := range o.Sequences.Steps {
		req := SetRequest{Actor: o.identity(s.Actor), Owner: o.Sequences.Owner[s.Mailbox],
			Identifier: s.Identifier, Rights: s.Rights}
		before := state[s.Mailbox]
		after, err := p.SetACL(before, req)
		st, text := answer(err)
		rights := "DELETEACL"
		if s.Rights != nil {
			rights = "SETACL " + *s.Rights
		}
		if st != s.Status || text != s.Text {
			t.Errorf("step %d %s %s %q %s: Gyrus %s %q, Cyrus %s %q", i, s.Actor, s.Mailbox, s.Identifier, rights, st, text, s.Status, s.Text)
		}
		if err != nil {
			after = before
		}
		if got, want := after.String(), FromPairs(s.ACL).String(); got != want {
			t.Errorf("step %d %s %s %q %s: ACL\n Gyrus %q\n Cyrus %q", i, s.Actor, s.Mailbox, s.Identifier, rights, got, want)
		}
		state[s.Mailbox] = FromPairs(s.ACL) // continue from Cyrus's state
	}
}

func replayEvaluation(t *testing.T, o *oracle) {
	p := oraclePolicy(t, o)
	admins := strings.Fields(o.ImapdConf["admins"])
	checked := 0
	for _, e := range o.Evals {
		a := FromPairs(e.ACL)
		owner := ""
		if e.Kind == "owned" {
			owner = "alice"
		}
		for who, v := range e.Views {
			id := o.identity(who)
			where := e.Mailbox + " (" + a.String() + ") as " + who
			// MYRIGHTS
			mr := v["myrights"]
			got, err := p.MyRights(id, a, owner)
			st, text := answer(err)
			if st != mr[0] || text != mr[1] {
				t.Errorf("%s: MYRIGHTS Gyrus %s %q, Cyrus %s %q", where, st, text, mr[0], mr[1])
			} else if err == nil && e.Mailbox+" "+got != mr[2] {
				t.Errorf("%s: MYRIGHTS Gyrus %q, Cyrus %q", where, got, mr[2])
			}
			// GETACL
			ga := v["getacl"]
			st, text = answer(p.CheckGetACL(id, a, owner))
			if st != ga[0] || text != ga[1] {
				t.Errorf("%s: GETACL Gyrus %s %q, Cyrus %s %q", where, st, text, ga[0], ga[1])
			}
			// EXAMINE
			ex := v["examine"]
			st, text = answer(p.CheckRead(id, a))
			if st == "OK" {
				text = "[READ-ONLY] Completed"
			}
			if st != ex[0] || text != ex[1] {
				t.Errorf("%s: EXAMINE Gyrus %s %q, Cyrus %s %q", where, st, text, ex[0], ex[1])
			}
			// LISTRIGHTS access
			lr := v["listrights_bob"]
			st, text = answer(p.CheckListRights(id, a, owner))
			if st != lr[0] || text != lr[1] {
				t.Errorf("%s: LISTRIGHTS Gyrus %s %q, Cyrus %s %q", where, st, text, lr[0], lr[1])
			} else if st == "OK" {
				if tail := e.Mailbox + " bob " + p.ListRights("bob", owner, false, admins); tail != lr[2] {
					t.Errorf("%s: LISTRIGHTS Gyrus %q, Cyrus %q", where, tail, lr[2])
				}
			}
			checked += 4
		}
		for ident, lr := range e.ListRights {
			if lr[0] != "OK" {
				t.Errorf("%s: admin LISTRIGHTS %q failed in Cyrus: %v", e.Mailbox, ident, lr)
				continue
			}
			want := lr[2].(string)
			// Cyrus prints the identifier as an astring.
			quoted := ident
			switch {
			case ident == "":
				quoted = `""`
			case strings.ContainsAny(ident, "%"):
				quoted = "{" + string(rune('0'+len(ident))) + "}\r\n" + ident
			}
			if got := e.Mailbox + " " + quoted + " " + p.ListRights(ident, owner, false, admins); got != want {
				t.Errorf("%s: LISTRIGHTS %q Gyrus %q, Cyrus %q", e.Mailbox, ident, got, want)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Errorf("only %d answers checked", checked)
	}
}
