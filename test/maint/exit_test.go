package maint

import (
	"strings"
	"testing"
)

// TestExitCodes: each tool exits as Cyrus's does (spec/tools.md §0 and
// each tool's section) when the configuration file is missing, for an
// unknown option and an option without its argument (the status of a
// valid run is compared by each tool's own test); and --help prints the
// tool's help and exits 0 (Cyrus has no --help: Gyrus only).
func TestExitCodes(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	in.restore(t)
	// arguments that are a valid run of each tool
	valid := map[string][]string{
		"reconstruct": {"user.bob"}, "quota": nil, "cyr_expire": {"-X", "1"}, "ipurge": {"-n", "-d", "1"},
		"unexpunge": {"-l", "user.bob"}, "chk_cyrus": {"-M", "user.bob"}, "mbexamine": {"-q", "user.bob"},
		"cyr_df": nil,
	}
	// an option each tool takes with an argument
	withArg := map[string]string{
		"reconstruct": "-p", "quota": "-d", "cyr_expire": "-X", "ipurge": "-d", "unexpunge": "-t",
		"chk_cyrus": "-P", "mbexamine": "-u", "cyr_df": "-C",
	}
	for _, tool := range tools {
		for _, args := range [][]string{
			append([]string{"-C", "/nonexistent/imapd.conf"}, valid[tool]...),
			append([]string{"-Y"}, valid[tool]...),
			append(append([]string{}, valid[tool]...), withArg[tool]),
		} {
			var g, c int
			if len(args) > 0 && args[0] == "-C" {
				// both programs without the instance's -C
				_, _, g = run(t, gyrusCmd(in, tool, args...))
				_, _, c = run(t, cyrusCmd(in, tool, args...))
			} else {
				_, _, g = in.gyrus(t, tool, args...)
				_, _, c = in.cyrus(t, tool, args...)
			}
			if g != c {
				t.Errorf("%s %v: exit %d, Cyrus's %d", tool, args, g, c)
			}
		}
		out, errs, code := in.gyrus(t, tool, "--help")
		if code != 0 || !strings.Contains(out, tool) || !strings.Contains(out, "-C") {
			t.Errorf("%s --help: exit %d\n%s%s", tool, code, out, errs)
		}
	}
}
