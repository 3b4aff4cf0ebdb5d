package maint

import (
	"os"
	"regexp"
	"testing"

	"gyrus/lib/mboxlist"
)

// withoutDefaultPartition restores the pristine spool, moves user.alice,
// its folders and shared to partition "other" in mailboxes.db (the same
// directories: user.bob stays on "default"), then writes an imapd.conf
// whose spool is partition-other, with no partition-default (the
// defaultpartition: default line stays). orig is the instance's
// imapd.conf, put back at the end of the test.
func (in *inst) withoutDefaultPartition(t *testing.T, orig []byte) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^partition-default:`)
	if !re.Match(orig) || !regexp.MustCompile(`(?m)^defaultpartition: default$`).Match(orig) {
		t.Fatalf("imapd.conf has no partition-default or defaultpartition: default")
	}
	if err := os.WriteFile(in.conf, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	in.restore(t)
	env := in.env(t)
	err := env.List.Update(func(tx *mboxlist.Tx) error {
		for _, name := range []string{"user.alice", "user.alice.Trash", "user.alice.sub", "shared"} {
			e, err := tx.Lookup(name)
			if err != nil {
				return err
			}
			ne := e.Clone()
			ne.Partition = "other"
			if err := tx.Put(name, ne); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	env.Close()
	in.chown(t)
	if err := os.WriteFile(in.conf, re.ReplaceAll(orig, []byte("partition-other:")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNoDefaultPartition: with defaultpartition: default and no
// partition-default, cyr_expire, unexpunge and mbexamine work as Cyrus
// 3.6.1's do (they do not need partition data): the mailboxes on a named
// partition are handled, one on an unnamed partition fails alone, with
// Cyrus's words and status. reconstruct, chk_cyrus and quota refuse to
// start (EX_CONFIG), as Cyrus's.
func TestNoDefaultPartition(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	orig := in.appendConf(t, "")
	for _, c := range []struct {
		tool string
		args []string
	}{
		{"cyr_expire", []string{"-E", "3", "-X", "0", "-v"}},
		{"unexpunge", []string{"-l", "user.alice"}},
		{"unexpunge", []string{"-l", "user.bob"}},
		{"unexpunge", []string{"-a", "-v", "user.alice"}},
		{"unexpunge", []string{"-a", "user.bob"}},
		{"mbexamine", []string{"-u", "4", "user.alice"}},
		{"mbexamine", []string{"user.bob"}},
		{"reconstruct", []string{"user.alice"}},
		{"chk_cyrus", []string{}},
		{"quota", []string{}},
	} {
		var out, errs [2]string
		var code [2]int
		for i, prog := range []string{"gyrus", "cyrus"} {
			in.withoutDefaultPartition(t, orig)
			if prog == "gyrus" {
				out[i], errs[i], code[i] = in.gyrus(t, c.tool, c.args...)
			} else {
				out[i], errs[i], code[i] = in.cyrus(t, c.tool, c.args...)
			}
		}
		if code[1] == 78 {
			// (the config error's words are each program's own)
			if code[0] != 78 {
				t.Errorf("%s %v: exit %d, Cyrus 78\n%s%s", c.tool, c.args, code[0], out[0], errs[0])
			}
			continue
		}
		if c.tool == "cyr_expire" {
			// The Trash's expired message is also cleaned up by -X 0
			// only if no second passed since the run began, in Cyrus as
			// in Gyrus (see TestExpireRemovesExactly): that count is
			// timing, not behaviour.
			for i := range errs {
				errs[i] = expungedCount.ReplaceAllString(errs[i], "$1 N")
			}
		}
		if out[0] != out[1] || errs[0] != errs[1] || code[0] != code[1] {
			t.Errorf("%s %v\ngyrus (exit %d):\n%s--- stderr\n%s\ncyrus (exit %d):\n%s--- stderr\n%s",
				c.tool, c.args, code[0], out[0], errs[0], code[1], out[1], errs[1])
		}
	}
}
