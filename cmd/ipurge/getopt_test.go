package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestBadOption(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want string
	}{
		{[]string{"ipurge", "-n", "-d", "1"}, ""},
		{[]string{"ipurge", "-nd1", "user.*"}, ""},
		{[]string{"ipurge", "user.*", "-Y"}, "ipurge: invalid option -- 'Y'"},
		{[]string{"ipurge", "-nY"}, "ipurge: invalid option -- 'Y'"},
		{[]string{"ipurge", "-d"}, "ipurge: option requires an argument -- 'd'"},
		{[]string{"ipurge", "-C", "-Y"}, ""}, // -Y is -C's argument
		{[]string{"ipurge", "--", "-Y"}, ""},
		{[]string{"ipurge", "--help"}, ""},
		{[]string{"ipurge", "-:"}, "ipurge: invalid option -- ':'"},
	} {
		if got := badOption(c.argv); got != c.want {
			t.Errorf("%q: %q, want %q", c.argv, got, c.want)
		}
	}
	var out, errs bytes.Buffer
	if !checkOptions([]string{"ipurge", "-Y"}, &out, &errs) || !strings.HasPrefix(out.String(), "usage: ipurge") ||
		errs.String() != "ipurge: invalid option -- 'Y'\n" {
		t.Errorf("checkOptions: stdout %q, stderr %q", out.String(), errs.String())
	}
}

func FuzzBadOption(f *testing.F) {
	f.Add("-n -d 1 user.*")
	f.Add("-Y -- -d")
	f.Fuzz(func(t *testing.T, line string) {
		msg := badOption(append([]string{"ipurge"}, strings.Fields(line)...))
		if msg != "" && !strings.HasPrefix(msg, "ipurge: ") {
			t.Errorf("%q: %q", line, msg)
		}
	})
}
