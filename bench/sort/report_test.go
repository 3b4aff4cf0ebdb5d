package main

import "testing"

func TestNumbers(t *testing.T) {
	got := numbers("(3 6 (4 23)(44 7 96)) (1)")
	want := []int{3, 6, 4, 23, 44, 7, 96, 1}
	if len(got) != len(want) {
		t.Fatalf("numbers = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("numbers = %v, want %v", got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	sortAll := command{name: "SORT (DATE)", line: "SORT (DATE) UTF-8 ALL", kind: "sort"}
	thread := command{name: "THREAD REFERENCES", line: "THREAD REFERENCES UTF-8 ALL", kind: "thread"}
	all := command{name: "SEARCH ALL", line: "SEARCH ALL", kind: "search"}
	body := command{name: "SEARCH BODY", line: "SEARCH BODY x", kind: "search", smallest: true}
	cases := []struct {
		cmd  command
		ans  string
		n    int
		good bool
	}{
		{sortAll, "3 1 2", 3, true},
		{sortAll, "3 1 1", 3, false}, // repeated
		{sortAll, "3 1", 3, false},   // missing
		{sortAll, "3 1 4", 3, false}, // out of range
		{thread, "(2 (3)(1))", 3, true},
		{thread, "(2)(3)", 3, false},
		{all, "1 2 3", 3, true},
		{all, "1 2", 3, false},
		{body, "", 3, true}, // no hit is a possible answer
	}
	for _, c := range cases {
		if bad := check(c.cmd, c.ans, c.n); (bad == "") != c.good {
			t.Errorf("check(%s, %q, %d) = %q, want good=%v", c.cmd.name, c.ans, c.n, bad, c.good)
		}
	}
}

func TestSame(t *testing.T) {
	cases := map[[2]string]string{
		{"1 2 3", "1 2 3"}:        "=",
		{"1 3 2", "1 2 3"}:        "≠ (2 positions)",
		{"1 2", "1 2 3"}:          "≠ (2 vs 3 numbers)",
		{"(1 2)(3)", "(1)(2 3)"}:  "≠ (same order, other grouping)",
		{"(1 (2)(3))", "(1 2 3)"}: "≠ (same order, other grouping)",
		{"(3 (1)(2))", "(1 2 3)"}: "≠ (3 positions)",
	}
	for in, want := range cases {
		if got := same(in[0], in[1]); got != want {
			t.Errorf("same(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}
