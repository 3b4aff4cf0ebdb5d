package maint

import "testing"

// TestMbexamine: the dumps are Cyrus's, byte for byte, on the same spool.
func TestMbexamine(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	byName := map[string]damage{}
	for _, d := range catalogue {
		byName[d.name] = d
	}
	for _, dmg := range []string{"", "message-file-missing", "orphan-file-in-uid-gap", "record-wrong-size"} {
		if dmg == "" {
			in.restore(t)
		} else {
			in.inject(t, byName[dmg])
		}
		for i, args := range [][]string{
			{"user.alice"}, {"-q", "user.alice"}, {"-c", "user.alice"},
			{"-u", "4", "user.alice"}, {"-s", "1", "user.alice"}, {"-s", "2", "user.alice"},
			{"-u", "77", "user.alice"}, {"user.alice.*"}, {"-q"}, {"-u", "1", "-s", "1", "x"},
		} {
			// every option on the pristine spool; on a damaged one the
			// dump, -q and -c (all of them with GYRUS_MAINT_FULL)
			if dmg != "" && i >= 3 && !fullRuns {
				break
			}
			gout, gerr, gcode := in.gyrus(t, "mbexamine", args...)
			cout, cerr, ccode := in.cyrus(t, "mbexamine", args...)
			if len(args) == 1 && args[0] == "-q" {
				// every mailbox: Gyrus lists DELETED.* first, Cyrus last
				gout, cout = sortLines(gout), sortLines(cout)
			}
			if gout != cout || gcode != ccode {
				t.Errorf("%s: mbexamine %v\ngyrus (exit %d):\n%s%s\ncyrus (exit %d):\n%s%s", dmg, args, gcode, gout, gerr, ccode, cout, cerr)
			}
		}
	}
}
