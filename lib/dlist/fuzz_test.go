package dlist

import (
	"bytes"
	"io"
	"testing"
)

// FuzzParse checks that any input either fails cleanly or parses into a
// tree that prints and parses back to the same tree.
func FuzzParse(f *testing.F) {
	for _, v := range cyrusVectors {
		f.Add([]byte(v))
	}
	f.Add([]byte("({3}\r\nabc \"q\\\"x\" NIL \\Seen %())"))
	f.Add([]byte("%(M %{default 0123456789012345678901234567890123456789 3}\r\nabc)"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(bytes.NewReader(data))
		d.Limits = Limits{MaxDepth: 16, MaxLiteral: 1 << 16, MaxString: 1 << 16, MaxTotal: 1 << 20}
		d.FileHook = func(part string, g [20]byte, size uint64, body io.Reader) (string, error) {
			_, err := io.Copy(io.Discard, body)
			return "", err
		}
		v, err := d.Decode(false)
		if err != nil {
			return
		}
		if hasFile(v) {
			return // printing a File reads the disk
		}
		out := v.Bytes()
		w, err := Parse(out)
		if err != nil {
			t.Fatalf("reparse of %q (from %q): %v", out, data, err)
		}
		if !Equal(v, w) {
			t.Fatalf("round trip changed the tree: %q -> %q", data, out)
		}
		if out2 := w.Bytes(); !bytes.Equal(out, out2) {
			t.Fatalf("printing not stable: %q vs %q", out, out2)
		}
	})
}

func hasFile(v *Value) bool {
	if v.Kind == File {
		return true
	}
	for _, c := range v.Items {
		if hasFile(c) {
			return true
		}
	}
	return false
}
