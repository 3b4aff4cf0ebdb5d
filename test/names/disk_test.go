package names

import (
	"sort"
	"strings"
	"testing"

	"gyrus/lib/dlist"
	"gyrus/lib/mboxname"
)

// disk is what collect_names.py records of Cyrus's files after the last
// step: raw mailboxes.db records, mbpath's answers and the lock, user and
// sieve files. Paths start with "$D", the instance directory.
type disk struct {
	DB     [][2]string   `json:"db"`
	MBPath []mbpathEntry `json:"mbpath"`
	Files  []string      `json:"files"`
}

type mbpathEntry struct {
	Data   string `json:"data"`
	MBName struct {
		Boxes     []string `json:"boxes"`
		Domain    string   `json:"domain"`
		Intname   string   `json:"intname"`
		Localpart string   `json:"localpart"`
		Userid    string   `json:"userid"`
	} `json:"mbname"`
	User map[string]string `json:"user"`
}

func (c *config) layout(ns mboxname.Namespace) mboxname.Layout {
	hash := false
	switch strings.ToLower(c.ImapdConf["hashimapspool"]) {
	case "yes", "on", "true", "1", "t":
		hash = true
	}
	return mboxname.Layout{NS: ns, HashIMAPSpool: hash, ConfigDir: "$D/lib", LockDir: "$D/run/lock", SieveDir: "$D/sieve"}
}

// checkDisk holds lib/dlist and lib/mboxname to the bytes and paths the
// real Cyrus produced.
func checkDisk(t *testing.T, c *config, ns *mboxname.Namespace) {
	d := c.Disk
	if d == nil {
		t.Errorf("no disk facts recorded")
		return
	}
	final := &c.Snapshots[len(c.Snapshots)-1]
	l := c.layout(*ns)

	// mailboxes.db: every value is a dlist Gyrus prints back byte for
	// byte, every key and N field a dbname of a mailbox in the dump.
	nrec := 0
	for _, kv := range d.DB {
		key, val := kv[0], kv[1]
		v, err := dlist.Parse([]byte(val))
		if err != nil {
			t.Errorf("mailboxes.db %q: dlist: %v", key, err)
			continue
		}
		if got := string(v.Bytes()); got != val {
			t.Errorf("mailboxes.db %q: printed\n %q\nCyrus\n %q", key, got, val)
		}
		var dbname string
		switch {
		case strings.HasPrefix(key, "N"):
			dbname = key[1:]
		case strings.HasPrefix(key, "I"):
			dbname, _ = v.GetString("N")
			if id, _ := v.GetString("I"); id != "" {
				t.Errorf("I record %q carries an I field", key)
			}
		default:
			continue
		}
		nrec++
		in := ns.DBToInternal(dbname)
		if ns.InternalToDB(in) != dbname {
			t.Errorf("dbname %q -> %q -> %q", dbname, in, ns.InternalToDB(in))
		}
		if _, ok := final.Mailboxes[in]; !ok {
			t.Errorf("dbname %q: Gyrus reads %q, not in ctl_mboxlist -d", dbname, in)
		}
	}
	if nrec < 50 {
		t.Errorf("only %d mailboxes.db records", nrec)
	}

	// mbpath: parts, spool directory, per-user files.
	for _, e := range d.MBPath {
		in := e.MBName.Intname
		n := ns.ParseInternal(in)
		boxes := e.MBName.Boxes
		if len(boxes) == 0 {
			boxes = nil
		}
		if n.Domain != e.MBName.Domain || n.LocalPart != e.MBName.Localpart || n.UserID() != e.MBName.Userid ||
			strings.Join(n.Boxes, "\x00") != strings.Join(boxes, "\x00") || ns.Internal(n) != in {
			t.Errorf("mbpath %q: Gyrus parts %+v, Cyrus %+v", in, n, e.MBName)
		}
		mb, ok := final.Mailboxes[in]
		if !ok {
			t.Errorf("mbpath %q: not in ctl_mboxlist -d", in)
			continue
		}
		legacy := strings.Contains(mb.MBType, "l")
		if got := l.MailboxDir("$D/spool", in, mb.UniqueID, legacy); got != e.Data {
			t.Errorf("mbpath %q (%s): Gyrus %q, Cyrus %q", in, mb.MBType, got, e.Data)
		}
		if len(e.User) == 0 || n.LocalPart == "" {
			continue
		}
		inbox, ok := final.Mailboxes[ns.UserInbox(n.UserID(), "")]
		if !ok {
			continue // Cyrus then looks through the name history
		}
		ilegacy := strings.Contains(inbox.MBType, "l")
		for suffix, want := range e.User {
			var got string
			switch {
			case suffix == "sieve" && ilegacy:
				got = l.SieveDirLegacy(n)
			case suffix == "sieve":
				got = mboxname.UUIDPath(l.SieveDir, inbox.UniqueID)
			case ilegacy:
				got = l.UserFileLegacy(n, suffix)
			default:
				got = l.UserFileUUID(inbox.UniqueID, suffix)
			}
			if got != want {
				t.Errorf("mbpath %q %s: Gyrus %q, Cyrus %q", in, suffix, got, want)
			}
		}
	}

	// Lock files: each one is the lock of a mailbox, of a user's
	// namespace or the global one, for some name Cyrus saw.
	expect := map[string]bool{l.LockPath(mboxname.UserLockName("")): true}
	addName := func(in, uid string, legacy bool) {
		expect[l.LockPath(mboxname.MailboxLockName(in, uid, legacy))] = true
		expect[l.LockPath(in)] = true
		if u := ns.ParseInternal(in).UserID(); u != "" {
			expect[l.LockPath(mboxname.UserLockName(u))] = true
		}
	}
	for _, s := range c.Snapshots {
		for in, mb := range s.Mailboxes {
			addName(in, mb.UniqueID, strings.Contains(mb.MBType, "l"))
		}
	}
	for _, r := range c.Rows {
		for _, name := range []string{r.Name, r.To} {
			if n, err := ns.ParseExternal(name, c.viewer(r.Actor)); err == nil && name != "" {
				addName(ns.Internal(n), "", true)
			}
		}
	}
	var unexplained []string
	locks := 0
	for _, f := range d.Files {
		if !strings.HasPrefix(f, "$D/run/lock/") {
			continue
		}
		locks++
		if !expect[f] {
			unexplained = append(unexplained, f)
		}
	}
	sort.Strings(unexplained)
	for _, f := range unexplained {
		t.Errorf("lock file %q: no name Gyrus knows locks it", f)
	}
	if locks < 20 {
		t.Errorf("only %d lock files", locks)
	}
}
