package main

import "testing"

func TestParseDuration(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1", day, true}, {"2d", 2 * day, true}, {"1.5", day + day/2, true},
		{"3h", 3 * 3600, true}, {"90m", 5400, true}, {"45s", 45, true}, {"0.5s", 0, true},
		{"d", 0, true}, {"", 0, false}, {"-1", 0, false}, {"1w", 0, false}, {"1dd", 0, false},
		{"x", 0, false}, {"1.2.3", 0, false}, {"7 ", 0, false},
	} {
		got, ok := ParseDuration(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseDuration(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"0", "1.5d", "3h", "-1", "x", "1e3s", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		secs, ok := ParseDuration(s)
		if ok && secs < 0 {
			t.Fatalf("%q: negative %d", s, secs)
		}
		if !ok && secs != 0 {
			t.Fatalf("%q: failure with %d", s, secs)
		}
	})
}
