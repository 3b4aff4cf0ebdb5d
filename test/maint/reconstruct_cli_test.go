package maint

import (
	"strings"
	"testing"
	"time"

	"gyrus/lib/mboxlist"
)

// TestReconstructOptions: the options of reconstruct(8) beside Cyrus's,
// on the same spool.
func TestReconstructOptions(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	byName := map[string]damage{}
	for _, d := range catalogue {
		byName[d.name] = d
	}
	type tc struct {
		damage string
		args   []string
		sorted bool // compare the lines sorted (order of a whole walk)
		stderr bool // compare stderr too
		tree   bool // nothing on disk may change
	}
	for _, c := range []tc{
		{args: []string{"-k", "user.alice"}, stderr: true},
		{args: []string{"-g", "user.alice"}, stderr: true},
		{args: []string{"-r", "user.alice"}},
		{args: []string{"-r", "-q", "user.alice"}},
		{args: []string{"-u", "alice"}},
		{args: []string{"-u", "alice", "bob"}},
		{args: []string{"user.%"}},
		{args: []string{}, sorted: true},
		{args: []string{"-V", "max", "user.alice"}},
		{args: []string{"-V", "16", "user.alice"}},
		{args: []string{"-s", "user.alice"}},
		{args: []string{"-p", "default"}, stderr: true},
		{args: []string{"-p", "default", "user.*"}, stderr: true},
		{args: []string{"-p", "default", "user.alice"}, stderr: true},
		{args: []string{"-r"}, stderr: true},
		{args: []string{"-u"}, stderr: true},
		{args: []string{"-p", "default", "-x", "user.alice.fresh"}, stderr: true},
		{args: []string{"-p", "default", "-x", "user.alice"}, stderr: true},
		{damage: "message-file-missing", args: []string{"-n", "user.alice"}, tree: true},
		{damage: "wrong-counts", args: []string{"-n", "-q", "user.alice"}, tree: true},
		{damage: "orphan-file-in-uid-gap", args: []string{"-q", "user.alice"}},
		{damage: "message-file-empty", args: []string{"-s", "user.alice"}},
		{damage: "odd-file-O", args: []string{"-o", "user.alice"}},
		{damage: "uidvalidity-mismatch", args: []string{"-M", "user.alice"}},
		{damage: "record-wrong-guid-G-R", args: []string{"-G", "user.alice"}},
		{damage: "record-wrong-guid-G-R", args: []string{"-G", "-U", "user.alice"}},
	} {
		if c.damage == "" {
			in.restore(t)
		} else {
			in.inject(t, byName[c.damage])
		}
		before := in.tree(t)
		gout, gerr, gcode := in.gyrus(t, "reconstruct", c.args...)
		if c.tree && !sameTree(before, in.tree(t)) {
			t.Errorf("reconstruct %v changed files", c.args)
		}
		if c.damage == "" {
			in.restore(t)
		} else {
			in.inject(t, byName[c.damage])
		}
		cout, cerr, ccode := in.cyrus(t, "reconstruct", c.args...)
		g, cy := normOut(gout), normOut(cout)
		if c.sorted {
			g, cy = sortLines(g), sortLines(cy)
		}
		if c.stderr && gcode != 64 {
			g += "\n--- stderr\n" + gerr
			cy += "\n--- stderr\n" + cerr
		}
		if g != cy || gcode != ccode {
			t.Errorf("reconstruct %v (%s):\ngyrus (exit %d):\n%s%s\ncyrus (exit %d):\n%s%s", c.args, c.damage, gcode, gout, gerr, ccode, cout, cerr)
		}
	}
	// usage errors: the same status (the texts are each program's own)
	in.restore(t)
	for _, args := range [][]string{{"-d", "user.alice"}, {"-u", "-P", "x"}, {"-m", "user.alice"}, {"-r", "-m"}, {"-Z"}} {
		_, _, g := in.gyrus(t, "reconstruct", args...)
		_, _, c := in.cyrus(t, "reconstruct", args...)
		if g != c || g != 64 {
			t.Errorf("reconstruct %v: exit %d, cyrus %d", args, g, c)
		}
	}
	// -m is a mailboxes.db check (Cyrus 3.6.1 has none: it refuses)
	if out, errs, code := in.gyrus(t, "reconstruct", "-m"); code != 0 || errs != "" {
		t.Errorf("reconstruct -m: exit %d\n%s%s", code, out, errs)
	}
}

// TestReconstructUniqueIDClash: a uniqueid that mailboxes.db says belongs
// to another mailbox stops reconstruct (status 1) unless -I gives the
// mailbox a new one; its messages move with it. (Cyrus 3.6.1's -I gives
// a mailbox kept by uniqueid a new id but leaves its directory where it
// was, so it is not compared.)
func TestReconstructUniqueIDClash(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	in.restore(t)
	before := in.state(t, "user.alice.sub")
	env := in.env(t)
	sub, err := env.List.Lookup("user.alice.sub")
	if err != nil {
		t.Fatal(err)
	}
	fake := sub.Clone()
	fake.Name = "user.alice.Trash"
	if err := env.List.Update(func(tx *mboxlist.Tx) error {
		return tx.Raw().Store(mboxlist.IDKey(sub.UniqueID), env.List.Codec().EncodeID(fake, time.Now().Unix()))
	}); err != nil {
		t.Fatal(err)
	}
	env.Close()
	in.chown(t)
	out, _, code := in.gyrus(t, "reconstruct", "user.alice.sub")
	if code != 1 || !strings.Contains(out, "Wrong uniqueid! user.alice.Trash (should be user.alice.sub)") {
		t.Fatalf("without -I: exit %d\n%s", code, out)
	}
	out, errs, code := in.gyrus(t, "reconstruct", "-I", "user.alice.sub")
	if code != 0 {
		t.Fatalf("-I: exit %d\n%s%s", code, out, errs)
	}
	out2, _, _ := in.gyrus(t, "reconstruct", "user.alice.sub", "user.alice.Trash")
	if out2 != "user.alice.sub\nuser.alice.Trash\n" {
		t.Errorf("after -I, reconstruct still finds:\n%s", out2)
	}
	env = in.env(t)
	ne, err := env.List.Lookup("user.alice.sub")
	if err != nil || ne.UniqueID == sub.UniqueID {
		t.Fatalf("user.alice.sub: %v %v", ne, err)
	}
	env.Close()
	after := in.state(t, "user.alice.sub")
	if stateUIDs(before) != stateUIDs(after) {
		t.Errorf("messages moved badly:\n%s\n%s", stateUIDs(before), stateUIDs(after))
	}
	if probs := in.check(t, "user.alice.sub"); len(probs) > 0 {
		t.Errorf("check: %v", probs)
	}
}
