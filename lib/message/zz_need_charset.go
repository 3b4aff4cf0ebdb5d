package message

// Added by the lib/search engineer (see the brief's zz_need rule): the
// charset decoders of this package, exported for lib/charset, which
// builds Cyrus's search pipelines (charset_searchfile,
// charset_search_mimeheader, charset_convert) on top of them. Nothing
// here changes how this package behaves.

// CharsetDecoder turns the bytes of one charset into UTF-8 exactly as
// Cyrus 3.6.1's to-Unicode converter for that charset does. It is not
// safe for concurrent use.
type CharsetDecoder struct {
	cs *charset
	t  toUni
}

// LookupCharset is charset_lookupname(): nil when Cyrus does not know
// the name (an unknown charset: BAD "Unrecognized character set" in
// SEARCH, nothing searchable in a body part).
func LookupCharset(name string) *CharsetDecoder {
	cs := lookupCharset(name)
	if cs == nil {
		return nil
	}
	return &CharsetDecoder{cs: cs, t: newToUni(cs)}
}

// CanonName is charset_canon_name().
func (d *CharsetDecoder) CanonName() string { return d.cs.canonName() }

// IsICU reports whether Cyrus converts this charset with ICU (everything
// but its own us-ascii and utf-8 tables). Cyrus feeds ICU converters in
// blocks of 4096 bytes and flushes them only at the end of a string it
// converts whole, which matters for body search.
func (d *CharsetDecoder) IsICU() bool { return d.cs.kind == kindICU }

// IsUTF8 reports whether this is Cyrus's own UTF-8 decoder.
func (d *CharsetDecoder) IsUTF8() bool { return d.cs.kind == kindUTF8 }

// Put converts one byte, appending UTF-8 to out.
func (d *CharsetDecoder) Put(out []byte, b byte) []byte { return d.t.put(out, b) }

// Replacement pushes a U+FFFD through the converter (what Cyrus does for
// an encoded word in an unknown charset).
func (d *CharsetDecoder) Replacement(out []byte) []byte { return d.t.replacement(out) }

// Flush ends the current input (ICU converters hold bytes until then).
func (d *CharsetDecoder) Flush(out []byte) []byte { return d.t.flush(out) }

// Reset drops any partial state without output.
func (d *CharsetDecoder) Reset() { d.t.reset() }
