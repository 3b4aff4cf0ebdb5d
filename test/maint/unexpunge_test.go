package maint

import (
	"testing"
)

// TestUnexpunge: -l lists (with ctime lines) and -a/-u/-t restore as
// Cyrus does, on the same spool.
func TestUnexpunge(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	for _, args := range [][]string{
		{"-l", "user.alice"}, {"-l", "user.alice", "5"}, {"-l", "user.alice", "4", "6"}, {"-l", "user.bob"},
		{"-a", "-v", "user.alice"}, {"-u", "-v", "-d", "user.alice", "5"}, {"-u", "user.alice", "7"},
		{"-t", "1h", "-v", "-f", "Restored", "user.alice"}, {"-a", "user.alice.sub"},
		{"-l", "user.nosuch"}, {"-a", "user.nosuch"},
		{"-l"}, {"-u", "user.alice"}, {"-a", "-l", "user.alice"}, {"-a", "-f", "\\Seen", "user.alice"},
	} {
		in.restore(t)
		gout, gerr, gcode := in.gyrus(t, "unexpunge", args...)
		gs := in.state(t, "user.alice")
		in.restore(t)
		cout, cerr, ccode := in.cyrus(t, "unexpunge", args...)
		cs := in.state(t, "user.alice")
		if gout != cout || gcode != ccode {
			t.Errorf("unexpunge %v:\ngyrus (exit %d):\n%s%s\ncyrus (exit %d):\n%s%s", args, gcode, gout, gerr, ccode, cout, cerr)
		}
		if a, b := stateUIDs(gs), stateUIDs(cs); a != b {
			t.Errorf("unexpunge %v: gyrus leaves\n%s\ncyrus\n%s", args, a, b)
		}
	}
}

func stateUIDs(s boxState) string {
	out := ""
	for _, m := range s.Msgs {
		out += m.UID2() + "\n"
	}
	return out
}
