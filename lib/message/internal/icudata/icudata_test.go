package icudata

import (
	"os"
	"strings"
	"testing"
)

// probe_vectors.txt holds what ICU's ucnv_open()/ucnv_getName() answered
// for mutated and unknown names ("icudump probe"); "-" means it failed.
// Not covered: ICU also rejects a name whose ",option" part it cannot
// parse (e.g. "ISO_2022,LOCALE=ZH"); Open looks at the name only.
func TestOpenMatchesICU(t *testing.T) {
	data, err := os.ReadFile("probe_vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		name, want, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		got, found := Open(name)
		if !found {
			got = "-"
		}
		// ICU appends the ",option" part of the name it was given to
		// some converter names; Open reports the converter only.
		if want != "-" && strings.Contains(name, ",") {
			want, _, _ = strings.Cut(want, ",")
			got, _, _ = strings.Cut(got, ",")
		}
		if got != want {
			t.Errorf("Open(%q) = %q, ICU says %q", name, got, want)
		}
		n++
	}
	if n < 500 {
		t.Fatalf("only %d vectors", n)
	}
}

func TestSingleByte(t *testing.T) {
	conv, ok := Open("iso-8859-3")
	if !ok {
		t.Fatal("iso-8859-3 unknown")
	}
	tab := SingleByte(conv)
	if tab == nil {
		t.Fatalf("%s has no table", conv)
	}
	if tab['A'] != 'A' || tab[0xa1] != 0x126 || tab[0xa5] != 0xfffd {
		t.Errorf("iso-8859-3 table: A=%x a1=%x a5=%x", tab['A'], tab[0xa1], tab[0xa5])
	}
	if SingleByte("UTF-8") != nil {
		t.Error("UTF-8 must not be single-byte")
	}
}
