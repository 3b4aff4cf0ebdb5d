package charset

// The fast paths (ASCII runs through a byte table, single-byte charsets
// by table, a whole body at once, a Searcher reused from one text to the
// next) must give exactly the answers of the code-point-at-a-time path,
// which the Cyrus comparisons (cyrus_test.go) check. These tests run
// both on the same random inputs.

import (
	"bytes"
	"encoding/base64"
	"io"
	"math/rand"
	"mime/quotedprintable"
	"testing"
)

// slow runs fn with the fast paths off.
func slow[T any](fn func() T) T {
	fastPaths = false
	defer func() { fastPaths = true }()
	return fn()
}

var fastCharsets = []string{"us-ascii", "utf-8", "iso-8859-1", "windows-1252", "koi8-r", "iso-8859-7",
	"shift_jis", "iso-2022-jp", "utf-16", "ebcdic-us", "x-unknown", "cp437", "macintosh"}

var fastPieces = append([]string{"needle", "NEEDLE", "a", "b", "\x00", "  ", "\t\t", "\r\n", "\v\f",
	"\x7f", "\x01", "\xe9", "\xa0", "\xfc\x80", "The quick brown fox "}, pieces...)

func fastText(r *rand.Rand, n int) []byte {
	var b []byte
	for len(b) < n {
		if r.Intn(3) == 0 {
			b = append(b, "ascii text runs of some length, "...)
		} else {
			b = append(b, fastPieces[r.Intn(len(fastPieces))]...)
		}
	}
	return b
}

// allFlags are the flag combinations that matter for search.
func allFlags() []Flags {
	var out []Flags
	for f := Flags(0); f < 32; f++ {
		fl := f&0xf | (f&0x10)<<2 // bits 0-3, then MIMEUTF8
		out = append(out, fl)
	}
	return out
}

// bytesReader hands its rest over whole, like lib/search's sections.
type bytesReader struct{ b []byte }

func (r *bytesReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
func (r *bytesReader) Bytes() []byte { return r.b }

// oneByteReader returns one byte per Read: the most chunks.
type oneByteReader struct{ b []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}

func encodeBody(r *rand.Rand, b []byte) ([]byte, int) {
	switch r.Intn(3) {
	case 1:
		var out bytes.Buffer
		w := quotedprintable.NewWriter(&out)
		w.Write(b)
		w.Close()
		return out.Bytes(), EncodingQP
	case 2:
		return []byte(base64.StdEncoding.EncodeToString(b)), EncodingBase64
	}
	return b, EncodingNone
}

func TestFastPathsSameAnswers(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	var matched [3]int // string, header, body answers that were true
	n := 300
	if testing.Short() {
		n = 60
	}
	for i := 0; i < n; i++ {
		text := fastText(r, 1+r.Intn([]int{40, 300, 5000, 20000}[r.Intn(4)]))
		for _, fl := range allFlags() {
			want := slow(func() []byte { return SearchForm(text, fl) })
			if got := SearchForm(text, fl); !bytes.Equal(got, want) {
				t.Fatalf("SearchForm(%q, %#x) = %q, slow path %q", text, fl, got, want)
			}
		}
		cs := fastCharsets[r.Intn(len(fastCharsets))]
		fl := allFlags()[r.Intn(32)]
		var wantC []byte
		var werr error
		slow(func() int { wantC, werr = Convert(text, cs, fl); return 0 })
		gotC, gerr := Convert(text, cs, fl)
		if !bytes.Equal(gotC, wantC) || (gerr == nil) != (werr == nil) {
			t.Fatalf("Convert(%q, %s, %#x) = %q, slow path %q", text, cs, fl, gotC, wantC)
		}
		h := randHeader(r)
		h = append(h, text[:min(len(text), 200)]...)
		if got, want := DecodeHeader(h, fl), slow(func() []byte { return DecodeHeader(h, fl) }); !bytes.Equal(got, want) {
			t.Fatalf("DecodeHeader(%q, %#x) = %q, slow path %q", h, fl, got, want)
		}
		// patterns: pieces of the text's search form (so that some match),
		// and random ones
		form := SearchForm(text, fl&^KeepCase)
		var pats [][]byte
		for k := 0; k < 4; k++ {
			if len(form) > 0 {
				a := r.Intn(len(form))
				pats = append(pats, form[a:min(len(form), a+1+r.Intn(12))])
			}
			pats = append(pats, SearchForm(fastText(r, 1+r.Intn(8)), fl&^KeepCase))
		}
		pats = append(pats, nil)
		body, enc := encodeBody(r, text)
		se := map[string]*Searcher{}
		for _, pb := range pats {
			p := NewPattern(pb)
			key := string(pb)
			if se[key] == nil {
				se[key] = NewSearcher(p, fl)
			}
			s := se[key]
			type ans struct{ str, hdr, body bool }
			want := slow(func() ans {
				b, _ := SearchBody(p, bytes.NewReader(body), cs, enc, fl)
				return ans{SearchString(p, text, fl), SearchHeader(p, h, fl), b}
			})
			b1, _ := SearchBody(p, bytes.NewReader(body), cs, enc, fl)
			b2, _ := s.Body(&bytesReader{body}, cs, enc)
			b3, _ := s.Body(&oneByteReader{body}, cs, enc)
			got := []ans{
				{SearchString(p, text, fl), SearchHeader(p, h, fl), b1},
				{s.String(text), s.Header(h), b2},
				{s.String(text), s.Header(h), b3},
			}
			for k, v := range []bool{want.str, want.hdr, want.body} {
				if v {
					matched[k]++
				}
			}
			for k, g := range got {
				if g != want {
					t.Fatalf("pattern %q flags %#x charset %s encoding %d (way %d): fast %+v, slow %+v\ntext %q\nheader %q",
						pb, fl, cs, enc, k, g, want, text, h)
				}
			}
		}
	}
	t.Logf("true answers: %d string, %d header, %d body", matched[0], matched[1], matched[2])
	for k, c := range matched {
		if c < n/10 {
			t.Errorf("only %d true answers of kind %d: the inputs do not exercise matching", c, k)
		}
	}
}

// FuzzFastPaths compares the fast and slow paths on fuzzed text.
func FuzzFastPaths(f *testing.F) {
	f.Add([]byte("The quick\t\tbrown fox\r\n"), []byte("BROWN"), uint8(DefaultFlags), uint8(0))
	f.Add([]byte("caf\xe9 au lait"), []byte("CAFE"), uint8(DefaultFlags), uint8(2))
	f.Add([]byte("a\x00b  c"), []byte("A"), uint8(0), uint8(1))
	f.Fuzz(func(t *testing.T, text, pat []byte, fl, csi uint8) {
		flags := allFlags()[fl%32]
		cs := fastCharsets[int(csi)%len(fastCharsets)]
		p := NewPattern(pat)
		type ans struct {
			form      string
			str, body bool
		}
		run := func() ans {
			b, _ := SearchBody(p, bytes.NewReader(text), cs, EncodingNone, flags)
			return ans{string(SearchForm(text, flags)), SearchString(p, text, flags), b}
		}
		want := slow(run)
		if got := run(); got != want {
			t.Fatalf("fast %+v, slow %+v", got, want)
		}
		if b, _ := NewSearcher(p, flags).Body(&bytesReader{text}, cs, EncodingNone); b != want.body {
			t.Fatalf("whole body %v, slow %v", b, want.body)
		}
	})
}
