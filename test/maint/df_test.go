package maint

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var dfLine = regexp.MustCompile(`^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)% (\S+)$`)

// TestCyrDf: the same table as Cyrus's (the used and available columns
// may move between the two runs on a busy disk: they must agree within
// 1%; Cyrus's row order is its config hash order, so rows are sorted).
func TestCyrDf(t *testing.T) {
	t.Parallel()
	f := getFixture(t)
	in := f.take(t)
	in.restore(t)
	conf := filepath.Join(in.dir, "etc", "df.conf")
	base, err := os.ReadFile(in.conf)
	if err != nil {
		t.Fatal(err)
	}
	extra := "\npartition-second: /tmp\npartition-gone: " + filepath.Join(in.dir, "nosuchdir") +
		"\nmetapartition-default: " + filepath.Join(in.dir, "lib") + "\n"
	if err := os.WriteFile(conf, append(base, extra...), 0o644); err != nil {
		t.Fatal(err)
	}
	saved := in.conf
	in.conf = conf
	defer func() { in.conf = saved }()
	for _, args := range [][]string{{}, {"-m"}} {
		gout, gerr, gcode := in.gyrus(t, "cyr_df", args...)
		cout, cerr, ccode := in.cyrus(t, "cyr_df", args...)
		if gcode != 0 || ccode != 0 {
			t.Fatalf("cyr_df %v: exit %d (%s), cyrus %d (%s)", args, gcode, gerr, ccode, cerr)
		}
		g, c := dfRows(t, gout), dfRows(t, cout)
		if len(g) != len(c) {
			t.Fatalf("cyr_df %v:\ngyrus:\n%s\ncyrus:\n%s", args, gout, cout)
		}
		for i := range g {
			if !dfClose(g[i], c[i]) {
				t.Errorf("cyr_df %v row %d:\ngyrus: %q\ncyrus: %q", args, i, g[i], c[i])
			}
		}
	}
	if _, _, code := in.gyrus(t, "cyr_df", "-x"); code != 64 {
		t.Errorf("cyr_df -x: exit %d, want 64", code)
	}
}

// dfRows checks the header and returns the other rows, sorted.
func dfRows(t *testing.T, out string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[0] != "Partition       1k-blocks         Used    Available Use% Location" {
		t.Errorf("header %q", lines[0])
	}
	rows := lines[1:]
	sort.Strings(rows)
	return rows
}

func dfClose(a, b string) bool {
	ma, mb := dfLine.FindStringSubmatch(a), dfLine.FindStringSubmatch(b)
	if ma == nil || mb == nil || ma[1] != mb[1] || ma[2] != mb[2] || ma[6] != mb[6] {
		return false
	}
	// the columns are where printf puts them
	if len(a) != len(b) && strings.Index(a, ma[6]) != strings.Index(b, mb[6]) {
		return false
	}
	for _, i := range []int{3, 4} {
		x, _ := strconv.ParseFloat(ma[i], 64)
		y, _ := strconv.ParseFloat(mb[i], 64)
		if d := x - y; d > x/100 || -d > x/100 {
			return false
		}
	}
	return true
}
