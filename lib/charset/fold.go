package charset

// The search form of one code point (Cyrus lib/charset.c uni2searchform
// and the translation table lib/mkchartable.pl builds from Unicode 7.0
// data): title case, then compatibility and canonical decomposition,
// applied until nothing changes; every space separator becomes U+0020.
// foldtable.go holds the table as observed from Cyrus's own library.

import "unicode/utf8"

type foldKind uint8

const (
	// foldPass: outside the blocks the table covers. The code point is
	// passed on as it is and does not end a run of merged spaces.
	foldPass foldKind = iota
	// foldSingle: one code point (possibly the same).
	foldSingle
	// foldMulti: several code points.
	foldMulti
	// foldEmpty: nothing (NUL).
	foldEmpty
)

// page holds the mappings of one covered 256-code-point block: a value
// >= 0 is a single code point, a negative value -(i+1) is the sequence at
// foldPool[i] (length first).
type page [256]int32

var (
	foldPages [0x1100]*page
	foldPool  []rune
	// asciiFold is the search form of each ASCII character (all single).
	asciiFold [128]rune
	// asciiForm is asciiFold as bytes for the ASCII fast path (0 for NUL,
	// which has no search form).
	asciiForm [128]byte
)

func init() {
	for i := range asciiFold {
		asciiFold[i] = rune(i)
	}
	for i := 0; i < len(foldData); {
		cp, n := foldData[i], int(foldData[i+1])
		seq := foldData[i+2 : i+2+n]
		i += 2 + n
		blk := cp >> 8
		p := foldPages[blk]
		if p == nil {
			p = new(page)
			for j := range p {
				p[j] = int32(blk<<8) | int32(j)
			}
			foldPages[blk] = p
		}
		if n == 1 {
			p[cp&0xff] = int32(seq[0])
			if cp < 128 {
				asciiFold[cp] = rune(seq[0])
			}
			continue
		}
		p[cp&0xff] = -int32(len(foldPool)) - 1
		foldPool = append(foldPool, rune(n))
		for _, c := range seq {
			foldPool = append(foldPool, rune(c))
		}
	}
	for i, r := range asciiFold {
		if r <= 0 || r >= 0x80 {
			if i == 0 {
				continue
			}
			panic("charset: search form of an ASCII character is not ASCII")
		}
		asciiForm[i] = byte(r)
	}
}

// covered reports whether Cyrus's table has the block of r.
func covered(r rune) bool {
	b := uint32(r) >> 8
	if b >= 0x1100 {
		return false
	}
	return foldBlocks[b/64]&(1<<(b%64)) != 0
}

// fold returns the search form of r: a single code point, or a sequence.
func fold(r rune) (kind foldKind, single rune, multi []rune) {
	if r == 0 {
		return foldEmpty, 0, nil
	}
	if r < 0 || !covered(r) {
		return foldPass, r, nil
	}
	p := foldPages[uint32(r)>>8]
	if p == nil {
		return foldSingle, r, nil
	}
	v := p[r&0xff]
	if v >= 0 {
		return foldSingle, rune(v), nil
	}
	i := int(-v - 1)
	n := int(foldPool[i])
	return foldMulti, 0, foldPool[i+1 : i+1+n]
}

// appendRune is Cyrus's uni2utf8: surrogates and values beyond U+10FFFF
// become U+FFFD.
func appendRune(dst []byte, r rune) []byte {
	if r < 0x80 && r >= 0 {
		return append(dst, byte(r))
	}
	return utf8.AppendRune(dst, r) // invalid code points become U+FFFD
}
