package maint

import (
	"strings"
	"testing"

	"gyrus/lib/mailbox"
	"gyrus/lib/quota"
)

// TestQuotaReport: the report and its JSON form, for the whole instance
// and for selections, print what Cyrus prints.
func TestQuotaReport(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	in.restore(t)
	for _, args := range [][]string{
		nil, {"-J"}, {"user.alice"}, {"user"}, {"-u", "alice"}, {"-u", "bob", "alice"},
		{"shared"}, {"nosuch"}, {"-d", "example.com"}, {"-J", "nosuch"},
	} {
		gout, gerr, gcode := in.gyrus(t, "quota", args...)
		cout, cerr, ccode := in.cyrus(t, "quota", args...)
		if gout != cout || gcode != ccode {
			t.Errorf("quota %v:\ngyrus (exit %d):\n%s%s\ncyrus (exit %d):\n%s%s", args, gcode, gout, gerr, ccode, cout, cerr)
		}
	}
	gout, _, _ := in.gyrus(t, "quota")
	if !strings.Contains(gout, "STORAGE user.alice\n") || !strings.Contains(gout, "X-ANNOTATION-STORAGE shared\n") {
		t.Errorf("report lacks the fixture's roots:\n%s", gout)
	}
	if _, _, code := in.gyrus(t, "quota", "-x"); code != 64 {
		t.Errorf("quota -x: exit %d, want 64", code)
	}
}

// quotaDamage breaks the quota state: wrong usage on a root, a mailbox
// whose header names no root, a root no mailbox uses.
func quotaDamage(t *testing.T, in *inst) {
	t.Helper()
	env := in.env(t)
	q := env.Quota
	if err := q.Modify("user.alice", false, true, func(qr *quota.Quota) error {
		qr.Used[quota.Storage] += 123456
		qr.Used[quota.Message] = 99
		qr.Used[quota.NumFolders] = 0
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := q.SetLimits("user.nobody", map[quota.Resource]int64{quota.Storage: 10}); err != nil {
		t.Fatal(err)
	}
	// user.alice.sub's header forgets its root (the usage stays charged)
	loc, _ := in.location(t, env, "user.alice.sub")
	env.Mailbox.Quota = nil
	mb, err := mailbox.Open(loc, env.Mailbox, mailbox.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := mb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.SetQuotaRoot(""); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	mb.Close()
	env.Close()
	in.chown(t)
}

// TestQuotaFix: quota -f finds and fixes the same things as Cyrus, says
// so in the same words on stderr, and a second run finds nothing.
func TestQuotaFix(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	for _, args := range [][]string{{"-f"}, {"-f", "-q"}, {"-f", "user.alice"}, {"-f", "-u", "alice"}} {
		in.restore(t)
		quotaDamage(t, in)
		gout, gerr, gcode := in.gyrus(t, "quota", args...)
		g2out, g2err, _ := in.gyrus(t, "quota", args...)
		in.restore(t)
		quotaDamage(t, in)
		cout, cerr, ccode := in.cyrus(t, "quota", args...)
		if gout != cout || gerr != cerr || gcode != ccode {
			t.Errorf("quota %v:\ngyrus (exit %d):\n%s--- stderr:\n%s\ncyrus (exit %d):\n%s--- stderr:\n%s", args, gcode, gout, gerr, ccode, cout, cerr)
		}
		if g2err != "" {
			t.Errorf("quota %v a second time still fixes:\n%s", args, g2err)
		}
		if args[len(args)-1] == "-f" && !strings.Contains(gerr, "user.alice: STORAGE usage was") {
			t.Errorf("quota %v did not fix user.alice:\n%s", args, gerr)
		}
		_ = g2out
	}
	// -n reports the same and changes nothing
	in.restore(t)
	quotaDamage(t, in)
	_, n1, _ := in.gyrus(t, "quota", "-f", "-n")
	_, n2, _ := in.gyrus(t, "quota", "-f", "-n")
	if n1 == "" || n1 != n2 {
		t.Errorf("quota -f -n changed something or found nothing:\n%s---\n%s", n1, n2)
	}
}
