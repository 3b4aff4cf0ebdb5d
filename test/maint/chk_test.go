package maint

import (
	"sort"
	"strings"
	"testing"
)

// TestChkCyrus: chk_cyrus reports the same problems as Cyrus's, for
// damage from the catalogue, and changes nothing.
func TestChkCyrus(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	byName := map[string]damage{}
	for _, d := range catalogue {
		byName[d.name] = d
	}
	// every damage with -P (the whole partition); -M on a few by default,
	// on all with GYRUS_MAINT_FULL
	withM := map[string]bool{"message-file-missing": true, "wrong-counts": true, "index-deleted": true}
	for _, name := range []string{"message-file-missing", "wrong-counts", "orphan-file-in-uid-gap",
		"orphan-file-above-last-uid", "odd-file-O", "record-bitflip", "cache-bitflip", "future-modseq",
		"index-deleted", "user-flag-without-name", "bogus-flag-name"} {
		dm := byName[name]
		for _, args := range [][]string{{"-M", "user.alice"}, {"-P", "default"}} {
			if args[0] == "-M" && !withM[name] && !fullRuns {
				continue
			}
			in.inject(t, dm)
			before := in.tree(t)
			gout, gerr, gcode := in.gyrus(t, "chk_cyrus", args...)
			if after := in.tree(t); !sameTree(before, after) {
				t.Errorf("%s: gyrus chk_cyrus changed files", name)
				in.inject(t, dm)
			}
			// (unchanged: Cyrus sees the same damaged spool)
			cout, cerr, ccode := in.cyrus(t, "chk_cyrus", args...)
			if normOut(gout) != normOut(cout) || gcode != ccode || sortLines(gerr) != sortLines(cerr) {
				t.Errorf("%s: chk_cyrus %v\ngyrus (exit %d):\n%s--- stderr\n%s\ncyrus (exit %d):\n%s--- stderr\n%s",
					name, args, gcode, gout, gerr, ccode, cout, cerr)
			}
		}
	}
	in.restore(t)
	for _, args := range [][]string{{}, {"-P", "nosuch"}, {"-M", "user.nosuch"}, {"-P", "x", "-M", "y"}} {
		gout, gerr, gcode := in.gyrus(t, "chk_cyrus", args...)
		cout, cerr, ccode := in.cyrus(t, "chk_cyrus", args...)
		if gout != cout || gcode != ccode || sortLines(gerr) != sortLines(cerr) {
			t.Errorf("chk_cyrus %v\ngyrus (exit %d):\n%s--- stderr\n%s\ncyrus (exit %d):\n%s--- stderr\n%s",
				args, gcode, gout, gerr, ccode, cout, cerr)
		}
	}
}

func sameTree(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func sortLines(s string) string {
	l := strings.Split(s, "\n")
	sort.Strings(l)
	return strings.Join(l, "\n")
}
