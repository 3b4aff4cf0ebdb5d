package charset

import "slices"

// canon is the stage after a charset decoder: uni2searchform, or with
// KeepCase uni2html (white space rules only), followed by uni2utf8. Its
// output is appended to out.
type canon struct {
	flags     Flags
	seenSpace bool
	out       []byte
}

const replacementChar = 0xfffd

// put sends one code point through the stage.
func (c *canon) put(r rune) {
	if r == replacementChar {
		c.out = appendRune(c.out, r)
		return
	}
	if c.flags&KeepCase != 0 {
		if r == ' ' || r == '\r' || r == '\n' {
			if c.flags&SkipSpace != 0 {
				return
			}
			if c.flags&MergeSpace != 0 {
				if c.seenSpace {
					return
				}
				c.seenSpace = true
				r = ' '
			}
		} else {
			c.seenSpace = false
		}
		c.out = appendRune(c.out, r)
		return
	}
	var kind foldKind
	var code rune
	var multi []rune
	if r >= 0 && r < 128 {
		kind, code = foldSingle, asciiFold[r]
		if r == 0 {
			kind = foldEmpty
		}
	} else {
		kind, code, multi = fold(r)
	}
	switch kind {
	case foldPass:
		c.out = appendRune(c.out, r)
		return
	case foldEmpty:
		return
	case foldSingle:
		if code == ' ' || code == '\r' || code == '\n' {
			if c.flags&SkipSpace != 0 {
				return
			}
			if c.flags&MergeSpace != 0 {
				if c.seenSpace {
					return
				}
				c.seenSpace = true
				code = ' '
			}
		} else {
			c.seenSpace = false
		}
		if c.flags&SkipDiacrit != 0 && code >= 0x300 && code <= 0x36f {
			return
		}
		c.out = appendRune(c.out, code)
	case foldMulti:
		c.seenSpace = false
		for _, m := range multi {
			// Cyrus drops the whole U+03xx block here (so Greek letters
			// vanish from decomposed sequences).
			if c.flags&SkipDiacrit != 0 && m&^0xff == 0x300 {
				continue
			}
			c.out = appendRune(c.out, m)
		}
	}
}

// putASCII sends bytes below 0x80 through the stage, each its own code
// point: the same as put for each, a table lookup per byte instead of
// the Unicode path.
func (c *canon) putASCII(p []byte) {
	if c.flags&KeepCase != 0 || !fastPaths {
		for _, b := range p {
			c.put(rune(b))
		}
		return
	}
	skip, merge := c.flags&SkipSpace != 0, c.flags&MergeSpace != 0
	seen := c.seenSpace
	n := len(c.out)
	out := slices.Grow(c.out, len(p))[:n+len(p)]
	for _, b := range p {
		f := asciiForm[b&0x7f]
		switch f {
		case ' ':
			if skip || (merge && seen) {
				continue
			}
			if merge {
				seen = true
			}
		case 0:
			continue // NUL: no search form, the space run goes on
		default:
			seen = false
		}
		out[n] = f
		n++
	}
	c.out, c.seenSpace = out[:n], seen
}
