package message

import (
	"os"
	"path/filepath"
	"testing"
)

// envelopeItems are the cached ENVELOPE items of the test corpus.
func envelopeItems(tb testing.TB) [][]byte {
	files, _ := filepath.Glob("testdata/*.eml")
	more, _ := filepath.Glob("../../test/corpus/msgs/*.eml")
	if len(more) > 60 {
		more = more[:60]
	}
	var out [][]byte
	for _, f := range append(files, more...) {
		raw, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		m, err := ParseBytes(raw, DefaultOptions())
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		out = append(out, m.Items[ItemEnvelope])
	}
	return out
}

func TestEnvelopeIDs(t *testing.T) {
	items := append(envelopeItems(t),
		[]byte(`(NIL NIL NIL NIL NIL NIL NIL NIL "<a@b>" "<c@d>")`),
		[]byte(`("d" {3}`+"\r\n"+`s)s (("N" NIL "m" "h")) NIL NIL NIL NIL NIL NIL {5}`+"\r\n"+`<x@y>)`))
	if len(items) < 40 {
		t.Fatalf("only %d envelopes", len(items))
	}
	for _, it := range items {
		env, err := ParseEnvelope(it)
		if err != nil {
			t.Fatalf("%q: %v", it, err)
		}
		irt, id, err := EnvelopeIDs(it)
		if err != nil || irt != env.InReplyTo || id != env.MessageID {
			t.Errorf("%q: EnvelopeIDs = %q %q %v, ParseEnvelope %q %q", it, irt, id, err, env.InReplyTo, env.MessageID)
		}
	}
	for _, bad := range []string{"", "(", `(NIL NIL NIL NIL NIL NIL NIL NIL "a"`, `(NIL NIL NIL NIL NIL NIL NIL NIL "a" "b" `, `("x`} {
		if _, _, err := EnvelopeIDs([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// FuzzEnvelopeIDs: whatever ParseEnvelope accepts, EnvelopeIDs reads the
// same two identifiers from.
func FuzzEnvelopeIDs(f *testing.F) {
	for _, it := range envelopeItems(f) {
		f.Add(it)
	}
	f.Fuzz(func(t *testing.T, item []byte) {
		irt, id, err := EnvelopeIDs(item)
		env, perr := ParseEnvelope(item)
		if perr != nil {
			return
		}
		if err != nil || irt != env.InReplyTo || id != env.MessageID {
			t.Fatalf("%q: EnvelopeIDs = %q %q %v, ParseEnvelope %q %q", item, irt, id, err, env.InReplyTo, env.MessageID)
		}
	})
}
