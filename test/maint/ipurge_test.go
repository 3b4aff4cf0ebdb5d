package maint

import (
	"sort"
	"strings"
	"testing"
)

// TestIpurge: the dry-run listing, the statistics and the result of a
// purge are Cyrus's for the same spool.
func TestIpurge(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	for _, args := range [][]string{
		{"-n", "-d", "1"}, {"-n", "-f", "-b", "420"}, {"-n", "-f", "-x", "-b", "431", "user.alice"},
		{"-n", "-f", "-i", "-k", "1", "user.*"}, {"-n", "-f", "-s", "-o", "-d", "0"}, {"-n", "-f", "-X", "-d", "0", "user.alice"},
		{"-n", "-f", "-M", "-m", "0", "user.alice"}, {"-v", "-d", "1", "shared"}, {"-f", "-b", "440", "user.alice"},
		{"-n", "-x", "-d", "0", "shared"}, {"-n", "-f", "-x", "-i", "-d", "0", "%"},
		{}, {"-h"},
	} {
		in.restore(t)
		gout, gerr, gcode := in.gyrus(t, "ipurge", args...)
		ga, gs := in.state(t, "user.alice"), in.state(t, "shared")
		in.restore(t)
		cout, cerr, ccode := in.cyrus(t, "ipurge", args...)
		ca, cs := in.state(t, "user.alice"), in.state(t, "shared")
		if len(args) < 2 {
			// usage: Cyrus prints argv[0] and its own sentences; the
			// first line and the status must agree
			gout = strings.SplitN(gout, "\n", 3)[0]
			cout = strings.Replace(strings.SplitN(cout, "\n", 3)[0], "/usr/lib/cyrus/bin/", "", 1)
		} else {
			gout, cout = sortBlocks(gout), sortBlocks(cout)
		}
		if gout != cout || gcode != ccode {
			t.Errorf("ipurge %v:\ngyrus (exit %d):\n%s%s\ncyrus (exit %d):\n%s%s", args, gcode, gout, gerr, ccode, cout, cerr)
		}
		if stateUIDs(ga) != stateUIDs(ca) || stateUIDs(gs) != stateUIDs(cs) {
			t.Errorf("ipurge %v: different results\ngyrus:\n%s%s\ncyrus:\n%s%s", args, stateUIDs(ga), stateUIDs(gs), stateUIDs(ca), stateUIDs(cs))
		}
		if len(args) > 0 && args[0] == "-n" && !strings.Contains(gout, "Total messages") {
			t.Errorf("ipurge %v printed no statistics:\n%s", args, gout)
		}
	}
}

// sortBlocks puts the per-mailbox blocks of ipurge's output (each ends
// with its "Remaining bytes" line) in order: Gyrus's LIST order puts the
// DELETED hierarchy before the users' mailboxes, Cyrus's after the
// shared ones (a lib/mboxlist FindAll matter, reported).
func sortBlocks(out string) string {
	var blocks []string
	cur := ""
	for _, line := range strings.SplitAfter(out, "\n") {
		cur += line
		if strings.HasPrefix(line, "Remaining bytes") {
			blocks = append(blocks, cur)
			cur = ""
		}
	}
	sort.Strings(blocks)
	return strings.Join(blocks, "") + cur
}
