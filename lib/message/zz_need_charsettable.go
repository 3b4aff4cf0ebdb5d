package message

// Added by the lib/search engineer (see the brief's zz_need rule): the
// byte table of a single-byte charset, so that lib/charset can decode a
// body a run of bytes at a time instead of one Put call per byte.
// Nothing here changes how this package behaves.

// SingleByteTable returns the code point of each byte for a charset
// decoded through a single-byte table (iso-8859-*, windows-125x,
// koi8-*...), nil for every other charset. Put(out, b) appends the UTF-8
// of table[b] (surrogates as U+FFFD) and keeps no state.
func (d *CharsetDecoder) SingleByteTable() *[256]uint16 {
	if t, ok := d.t.(*tableToUni); ok {
		return t.t
	}
	return nil
}
