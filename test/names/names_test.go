// Package names holds the mailbox-name table collected from the real
// Cyrus 3.6.1 (collect_names.py) and the test that holds lib/mboxname
// to it.
package names

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"gyrus/lib/mboxname"
)

type table struct {
	Cyrus   string   `json:"cyrus"`
	Configs []config `json:"configs"`
}

type config struct {
	ID         string            `json:"id"`
	Opts       map[string]string `json:"opts"`
	ImapdConf  map[string]string `json:"imapd_conf"`
	Users      map[string]string `json:"users"`
	Admin      string            `json:"admin"`
	Rows       []row             `json:"rows"`
	Snapshots  []snapshot        `json:"snapshots"`
	ExtraUsers map[string]any    `json:"extra_users"`
	Viewers    map[string]string `json:"viewers"`
	Disk       *disk             `json:"disk"`
}

type row struct {
	Phase     int    `json:"phase"`
	Actor     string `json:"actor"`
	Cmd       string `json:"cmd"`
	Name      string `json:"name"`
	To        string `json:"to"`
	Status    string `json:"status"`
	Text      string `json:"text"`
	MailboxID string `json:"mailboxid"`
}

type mailbox struct {
	UniqueID string            `json:"uniqueid"`
	MBType   string            `json:"mbtype"`
	ACL      map[string]string `json:"acl"`
}

type listEntry struct {
	Name      string   `json:"name"`
	Flags     []string `json:"flags"`
	MailboxID string   `json:"mailboxid"`
}

type snapshot struct {
	Mailboxes map[string]mailbox           `json:"mailboxes"`
	Lists     map[string][]listEntry       `json:"lists"`
	byID      map[string]string            // uniqueid -> internal name
	listByID  map[string]map[string]string // viewer -> mailboxid -> listed name
}

func loadTable(t *testing.T, path string) *table {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read table: %v", err)
	}
	var tb table
	if err := json.Unmarshal(data, &tb); err != nil {
		t.Fatalf("parse table: %v", err)
	}
	for ci := range tb.Configs {
		for si := range tb.Configs[ci].Snapshots {
			s := &tb.Configs[ci].Snapshots[si]
			s.byID = map[string]string{}
			// A renamed or deleted mailbox leaves a tombstone (mbtype 'd')
			// under its old name with the same uniqueid: prefer the live one.
			for name, m := range s.Mailboxes {
				if old, dup := s.byID[m.UniqueID]; dup && !strings.Contains(s.Mailboxes[old].MBType, "d") {
					continue
				}
				s.byID[m.UniqueID] = name
			}
			s.listByID = map[string]map[string]string{}
			for who, l := range s.Lists {
				s.listByID[who] = map[string]string{}
				for _, e := range l {
					if e.MailboxID != "" {
						s.listByID[who][e.MailboxID] = e.Name
					}
				}
			}
		}
	}
	return &tb
}

// namespace builds the settings the instance ran with.
func (c *config) namespace(t *testing.T) mboxname.Namespace {
	ns := mboxname.DefaultNamespace()
	yes := func(v string) bool {
		switch strings.ToLower(v) {
		case "yes", "on", "true", "1", "t":
			return true
		}
		return false
	}
	for k, v := range c.ImapdConf {
		switch k {
		case "altnamespace":
			ns.AltNamespace = yes(v)
		case "unixhierarchysep":
			ns.UnixHierarchySep = yes(v)
		case "virtdomains":
			vd, err := mboxname.ParseVirtDomains(v)
			if err != nil {
				t.Fatal(err)
			}
			ns.VirtDomains = vd
		case "defaultdomain":
			ns.DefaultDomain = v
		case "userprefix":
			ns.UserPrefix = v
		case "sharedprefix":
			ns.SharedPrefix = v
		case "altprefix":
			ns.AltPrefix = v
		case "deletedprefix":
			ns.DeletedPrefix = v
		case "crossdomains":
			ns.CrossDomains = yes(v)
		case "crossdomains_onlyother":
			ns.CrossDomainsOnlyOther = yes(v)
		}
	}
	return ns
}

func (c *config) viewer(actor string) mboxname.Viewer {
	if actor == "admin" {
		return mboxname.Viewer{UserID: c.Admin, IsAdmin: true}
	}
	if u, ok := c.Viewers[actor]; ok {
		return mboxname.Viewer{UserID: u}
	}
	return mboxname.Viewer{UserID: c.Users[actor]}
}

// rights is a crude evaluation of a dump ACL for a user (no negative
// rights or groups appear in the collected instances).
func rights(acl map[string]string, userid string) string {
	return acl[userid] + acl["anyone"]
}

func TestCollectedNames(t *testing.T) {
	total := checkTable(t, loadTable(t, "testdata/names.json"))
	if total < 200 {
		t.Errorf("only %d rows in the table", total)
	}
}

// checkTable checks every row and snapshot and returns the row count.
func checkTable(t *testing.T, tb *table) int {
	if len(tb.Configs) == 0 {
		t.Fatal("empty table")
	}
	total := 0
	for ci := range tb.Configs {
		c := &tb.Configs[ci]
		t.Run(c.ID, func(t *testing.T) {
			ns := c.namespace(t)
			for i, r := range c.Rows {
				total++
				checkRow(t, c, &ns, i, r)
			}
			for si := range c.Snapshots {
				checkSnapshot(t, c, &ns, si)
			}
			checkDisk(t, c, &ns)
		})
	}
	return total
}

func isBad(err error) bool { return errors.Is(err, mboxname.ErrBadName) }

// lookup finds an internal name the way Cyrus's mboxlist_lookup does:
// through the dbname, which re-parses it (so "DELETED.user.bob.zz",
// whose last part is no hex time, finds user.bob).
func (s *snapshot) lookup(ns *mboxname.Namespace, in string) (string, mailbox, bool) {
	canon := ns.DBToInternal(ns.InternalToDB(in))
	mb, ok := s.Mailboxes[canon]
	return canon, mb, ok
}

// renamedLater reports whether row i created a mailbox that the next
// row renames or deletes, so its final name is not the created one.
func (c *config) renamedLater(i int) bool {
	if i+1 >= len(c.Rows) {
		return false
	}
	nx := c.Rows[i+1]
	return (nx.Cmd == "RENAME" || nx.Cmd == "DELETE") && nx.Name == c.Rows[i].Name
}

func checkRow(t *testing.T, c *config, ns *mboxname.Namespace, i int, r row) {
	t.Helper()
	v := c.viewer(r.Actor)
	snap := &c.Snapshots[0]
	if r.Phase == 2 {
		snap = &c.Snapshots[1]
	}
	where := func() string {
		return r.Actor + " " + r.Cmd + " " + quote(r.Name) + map[bool]string{true: " " + quote(r.To), false: ""}[r.To != ""] +
			" -> " + r.Status + " " + r.Text
	}
	switch r.Cmd {
	case "CREATE":
		n, err := ns.CreateName(r.Name, v)
		switch {
		case r.Status == "OK":
			if err != nil {
				t.Errorf("row %d %s: Gyrus refuses: %v", i, where(), err)
				return
			}
			got := ns.Internal(n)
			if c.renamedLater(i) {
				snap = &c.Snapshots[0]
			}
			want, ok := snap.byID[r.MailboxID]
			if !ok {
				if !c.renamedLater(i) {
					t.Errorf("row %d %s: created mailbox not in mailboxes.db", i, where())
				}
				return
			}
			if got != want {
				t.Errorf("row %d %s: internal %q, Cyrus %q", i, where(), got, want)
			}
			if listed, ok := snap.listByID[r.Actor][r.MailboxID]; ok {
				ext, ok := ns.ToExternal(want, v)
				if !ok || ext != listed {
					t.Errorf("row %d %s: external %q %v, Cyrus lists %q", i, where(), ext, ok, listed)
				}
			}
		case r.Text == "Invalid mailbox name":
			if !isBad(err) {
				t.Errorf("row %d %s: Gyrus accepts it (internal %q)", i, where(), ns.Internal(n))
			}
		case r.Text == "Mailbox already exists":
			if err != nil {
				t.Errorf("row %d %s: Gyrus refuses: %v", i, where(), err)
				return
			}
			in := ns.Internal(n)
			_, _, ok0 := c.Snapshots[0].lookup(ns, in)
			_, _, ok1 := c.Snapshots[len(c.Snapshots)-1].lookup(ns, in)
			if !ok0 && !ok1 {
				if n.Deleted != 0 {
					// Cyrus creates the parent of a DELETED name first, and
					// that parent re-parses to a plain name ("DELETED.shared.q"
					// is "shared"): it is the parent that exists.
					t.Logf("row %d %s: parent of deleted name exists", i, where())
				} else {
					t.Errorf("row %d %s: Gyrus name %q is not in mailboxes.db", i, where(), in)
				}
			}
		case r.Text == "Permission denied":
			if err != nil {
				t.Errorf("row %d %s: Gyrus refuses the name: %v", i, where(), err)
			}
		default:
			t.Logf("row %d %s: answer not checked", i, where())
		}
	case "SELECT":
		n, err := ns.ParseExternal(r.Name, v)
		in, mb, exists := c.Snapshots[0].lookup(ns, ns.Internal(n))
		switch {
		case r.Status == "OK":
			if err != nil || !exists {
				t.Errorf("row %d %s: Gyrus finds no mailbox (internal %q, %v)", i, where(), in, err)
			}
		case r.Text == "Mailbox does not exist":
			// Users never reach the DELETED hierarchy.
			if err == nil && exists && !strings.Contains(mb.MBType, "i") &&
				(v.IsAdmin || (strings.Contains(rights(mb.ACL, v.UserID), "l") && ns.ParseInternal(in).Deleted == 0)) {
				t.Errorf("row %d %s: Gyrus finds visible mailbox %q", i, where(), in)
			}
		case r.Text == "Permission denied":
			if err != nil || !exists {
				t.Errorf("row %d %s: Gyrus finds no mailbox (internal %q, %v)", i, where(), in, err)
			}
		case r.Status == "DISCONNECT":
			t.Logf("row %d %s: Cyrus dropped the connection (internal %q)", i, where(), in)
		default:
			t.Logf("row %d %s: answer not checked", i, where())
		}
	case "RENAME":
		_, ferr := ns.RenameName(r.Name, v)
		to, terr := ns.RenameName(r.To, v)
		if terr == nil {
			terr = ns.PolicyCheck(ns.Internal(to))
		}
		switch {
		case r.Status == "OK":
			if ferr != nil || terr != nil {
				t.Errorf("row %d %s: Gyrus refuses: %v %v", i, where(), ferr, terr)
				return
			}
			if _, _, ok := snap.lookup(ns, ns.Internal(to)); !ok {
				t.Errorf("row %d %s: Gyrus target %q not in mailboxes.db", i, where(), ns.Internal(to))
			}
		case r.Text == "Invalid mailbox name":
			if ferr == nil && !isBad(terr) {
				t.Errorf("row %d %s: Gyrus accepts target %q", i, where(), ns.Internal(to))
			}
		default:
			if terr != nil && r.Text != "Mailbox does not exist" {
				t.Errorf("row %d %s: Gyrus refuses target: %v", i, where(), terr)
			}
		}
	case "DELETE":
		n, err := ns.ParseExternal(r.Name, v)
		if r.Status != "OK" {
			return
		}
		if err != nil {
			t.Errorf("row %d %s: Gyrus refuses: %v", i, where(), err)
			return
		}
		// The CREATE just before gave the mailbox id; after a delayed
		// DELETE it lives on as DELETED.<name>.<hex>.
		prev := c.Rows[i-1]
		if prev.Cmd != "CREATE" || prev.MailboxID == "" {
			return
		}
		now, ok := snap.byID[prev.MailboxID]
		if !ok {
			t.Errorf("row %d %s: deleted mailbox gone from mailboxes.db", i, where())
			return
		}
		d := ns.ParseInternal(now)
		if d.Deleted == 0 {
			t.Errorf("row %d %s: Gyrus does not see %q as deleted", i, where(), now)
			return
		}
		d.Deleted = 0
		if got, want := ns.Internal(d), ns.Internal(n); got != want {
			t.Errorf("row %d %s: deleted %q is %q undeleted, want %q", i, where(), now, got, want)
		}
		if got := ns.ToDeleted(ns.Internal(n), int64(ns.ParseInternal(now).Deleted)); got != now {
			t.Errorf("row %d %s: ToDeleted gives %q, Cyrus %q", i, where(), got, now)
		}
	}
}

// checkSnapshot checks every LIST line both ways and the dbname and
// policy of every mailbox in mailboxes.db.
func checkSnapshot(t *testing.T, c *config, ns *mboxname.Namespace, si int) {
	s := &c.Snapshots[si]
	for who, entries := range s.Lists {
		v := c.viewer(who)
		for _, e := range entries {
			n, err := ns.ParseExternal(e.Name, v)
			if err != nil {
				t.Errorf("snapshot %d, %s lists %q: Gyrus cannot parse it: %v", si, who, e.Name, err)
				continue
			}
			in := ns.Internal(n)
			if _, ok := s.Mailboxes[in]; !ok {
				t.Errorf("snapshot %d, %s lists %q: Gyrus maps it to %q, not in mailboxes.db", si, who, e.Name, in)
				continue
			}
			if e.MailboxID != "" && s.byID[e.MailboxID] != in {
				t.Errorf("snapshot %d, %s lists %q: Gyrus maps it to %q, Cyrus %q", si, who, e.Name, in, s.byID[e.MailboxID])
			}
			if ext, ok := ns.ToExternal(in, v); !ok || ext != e.Name {
				t.Errorf("snapshot %d, %s: %q shown as %q %v, Cyrus lists %q", si, who, in, ext, ok, e.Name)
			}
		}
	}
	// The admin sees everything: every mailbox it lists is one Gyrus
	// can name, and every mailbox Gyrus can name for it is listed.
	listed := map[string]bool{}
	for _, e := range s.Lists["admin"] {
		listed[e.Name] = true
	}
	admin := c.viewer("admin")
	for in, mb := range s.Mailboxes {
		// Not listed: tombstones, and (Cyrus 3.6.1 quirk) the admin's own
		// user hierarchy, which LIST "*" leaves out for an admin.
		own := ns.ParseInternal(in).UserID() == admin.UserID
		if ext, ok := ns.ToExternal(in, admin); ok && !listed[ext] && !strings.Contains(mb.MBType, "d") && !own {
			t.Errorf("snapshot %d: admin would see %q as %q, Cyrus does not list it", si, in, ext)
		}
		db := ns.InternalToDB(in)
		if back := ns.DBToInternal(db); back != in {
			t.Errorf("snapshot %d: %q -> dbname %q -> %q", si, in, db, back)
		}
		if err := ns.PolicyCheck(in); err != nil && !strings.Contains(mb.MBType, "i") {
			t.Errorf("snapshot %d: Cyrus has %q, Gyrus policy refuses it: %v", si, in, err)
		}
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
