package message

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
	"golang.org/x/text/transform"

	"gyrus/lib/message/internal/icudata"
)

// Charsets, the way Cyrus 3.6.1 lib/charset.c resolves them:
//
//  1. the name is looked up (case-insensitively) in Cyrus's alias table,
//     then among the alias table's canonical names;
//  2. a canonical name of "us-ascii" or "utf-8" uses Cyrus's own tables;
//  3. anything else is handed to ICU's ucnv_open() (canonical name if one
//     was found, else the name as written); if ICU does not know it, the
//     charset is unknown.
//
// The name as written by the message (the "alias name") is what Cyrus
// stores in the SECTION cache item.

const replacementChar = 0xfffd

type charsetKind int

const (
	kindASCII charsetKind = iota // Cyrus's us-ascii table
	kindUTF8                     // Cyrus's own UTF-8 decoder
	kindICU                      // an ICU converter
)

type charset struct {
	alias string // as given; charset_alias_name()
	canon string // charset_canon_name()
	kind  charsetKind
	conv  string // ICU converter name for kindICU
}

// cyrusAliases is lib/charset/aliases.txt of Cyrus 3.6.1 (lowercased
// alias -> canonical name). Written out here as data.
var cyrusAliases = map[string]string{
	"utf8": "utf-8", "utf7": "utf-7", "unicode-1-1-utf-8": "utf-8",
	"unicode-1-1-utf-7": "utf-7", "imap-utf-7": "IMAP-mailbox-name",
	"ascii": "us-ascii", "ansi_x3.4-1968": "us-ascii", "usascii": "us-ascii",
	"iso-8859-1": "windows-1252", "iso_8859_1": "windows-1252",
	"iso_8859-1": "windows-1252", "iso_8859": "windows-1252",
	"iso-8859": "windows-1252", "8859_1": "windows-1252",
	"iso--8859-1": "windows-1252", "so-8859-1": "windows-1252",
	"en_gb": "windows-1252", "auto": "windows-1252", "unknown": "windows-1252",
	"unknown-8bit": "windows-1252", "x-unknown": "windows-1252",
	"x-user-defined": "windows-1252", "x-europa": "windows-1252",
	"none": "windows-1252", "latin1": "windows-1252", "iso8859-1": "windows-1252",
	"8859-1": "windows-1252", "es-windows-1252": "windows-1252",
	"display": "windows-1252", "any": "windows-1252",
	"x-mac-roman": "macintosh", "mac": "macintosh", "csmacintosh": "macintosh",
	"646": "iso-8859-1", "iso646-us": "iso-8859-1",
	"8859_2": "iso-8859-2", "x-mac-turkish": "iso-8859-9",
	"greek-ccitt": "iso-8859-7", "iso-8859-8-i": "iso-8859-8",
	"iso8859_15_fdis": "iso-8859-15", "iso8859-15": "iso-8859-15",
	"tis-620": "iso-8859-11", "x-mac-thai": "iso-8859-11",
	"asmo-708": "iso-8859-6", "win-koi8": "koi8-r", "koi8-r": "koi8-r",
	"koi8-u": "koi8-u", "_iso-2022-jp$esc": "iso-2022-jp",
	"_iso-2022-jp": "iso-2022-jp", "csiso2022jp": "iso-2022-jp",
	"ks_c_5601": "ksc5601",
	"1250":      "windows-1250", "cp1250": "windows-1250", "win-1250": "windows-1250",
	"1251": "windows-1251", "cp1251": "windows-1251", "win-1251": "windows-1251",
	"1252": "windows-1252", "cp1252": "windows-1252", "cp-1252": "windows-1252",
	"win-1252": "windows-1252",
	"1254":     "windows-1254", "cp1254": "windows-1254", "win-1254": "windows-1254",
	"1255": "windows-1255", "cp1255": "windows-1255", "win-1255": "windows-1255",
	"1256": "windows-1256", "cp1256": "windows-1256", "win-1256": "windows-1256",
	"win1256": "windows-1256",
	"1257":    "windows-1257", "cp1257": "windows-1257", "win-1257": "windows-1257",
	"1258": "windows-1258", "cp1258": "windows-1258", "win-1258": "windows-1258",
	"cp850": "windows-850", "cp-850": "windows-850", "dos-latin1": "windows-850",
	"msdos-latin1": "windows-850",
	"cp932":        "windows-31j", "cp-932": "windows-31j", "win-31j": "windows-31j",
	"shift_jis": "windows-31j",
	"cp936":     "windows-936", "cp-936": "windows-936", "win-936": "windows-936",
	"238": "windows-1250", "136": "big5", "gbk": "windows-936",
	"x-gbk": "windows-936", "gb2312": "windows-936",
}

// cyrusCanon maps a lowercased canonical name of the alias table to its
// spelling there.
var cyrusCanon = func() map[string]string {
	m := make(map[string]string)
	for _, c := range cyrusAliases {
		m[strings.ToLower(c)] = c
	}
	return m
}()

// lookupCharset is charset_lookupname(): nil means unknown.
func lookupCharset(name string) *charset {
	cs := &charset{alias: name}
	lname := strings.ToLower(name)
	if c, ok := cyrusAliases[lname]; ok {
		cs.canon = c
	} else if c, ok := cyrusCanon[lname]; ok {
		cs.canon = c
	}
	if cs.canon != "" {
		switch {
		case strings.EqualFold(cs.canon, "us-ascii"):
			cs.kind = kindASCII
			return cs
		case cs.canon == "utf-8":
			cs.kind = kindUTF8
			return cs
		}
	}
	open := name
	if cs.canon != "" {
		open = cs.canon
	}
	conv, ok := icudata.Open(open)
	if !ok {
		return nil
	}
	cs.kind = kindICU
	cs.conv = conv
	if cs.canon == "" {
		cs.canon = conv
	}
	return cs
}

func asciiCharset() *charset {
	return &charset{alias: "us-ascii", canon: "us-ascii", kind: kindASCII}
}

func utf8Charset() *charset {
	return &charset{alias: "utf-8", canon: "utf-8", kind: kindUTF8}
}

// canonName is charset_canon_name(), "unknown" for nil.
func (cs *charset) canonName() string {
	if cs == nil {
		return "unknown"
	}
	return cs.canon
}

// toUni is one stage of Cyrus's conversion pipeline that turns bytes of a
// charset into UTF-8 (the "to_uni" converter followed by uni2utf8).
type toUni interface {
	// put converts one byte, appending UTF-8 to out.
	put(out []byte, b byte) []byte
	// replacement handles a U+FFFD pushed into the converter.
	replacement(out []byte) []byte
	// flush ends the input (ICU converters are flushed after every
	// chunk Cyrus feeds them).
	flush(out []byte) []byte
	// reset drops any partial state without output.
	reset()
}

func newToUni(cs *charset) toUni {
	switch cs.kind {
	case kindASCII:
		return asciiToUni{}
	case kindUTF8:
		return &cyrusUTF8{}
	}
	if t := icudata.SingleByte(cs.conv); t != nil {
		return &tableToUni{t: t}
	}
	switch cs.conv {
	case "UTF-7":
		return &bufferedToUni{fn: func(out, src []byte) []byte { return decodeUTF7(out, src, false) }}
	case "IMAP-mailbox-name":
		return &bufferedToUni{fn: func(out, src []byte) []byte { return decodeUTF7(out, src, true) }}
	}
	if tb := icudata.TwoByteConv(cs.conv); tb != nil {
		return &bufferedToUni{fn: func(out, src []byte) []byte { return decodeTwoByte(out, src, tb) }}
	}
	if enc := icuEncoding(cs.conv); enc != nil {
		return &bufferedToUni{enc: enc, sub1: icudata.SubChar1(cs.conv)}
	}
	// An ICU converter Gyrus has no decoder for: treat it like
	// us-ascii (documented limitation).
	return asciiToUni{}
}

// appendRune is uni2utf8(): invalid code points become U+FFFD.
func appendRune(out []byte, c rune) []byte {
	if (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff || c < 0 {
		c = replacementChar
	}
	return utf8.AppendRune(out, c)
}

type asciiToUni struct{}

func (asciiToUni) put(out []byte, b byte) []byte {
	if b >= 0x80 {
		return appendRune(out, replacementChar)
	}
	return append(out, b)
}
func (asciiToUni) replacement(out []byte) []byte { return appendRune(out, replacementChar) }
func (asciiToUni) flush(out []byte) []byte       { return out }
func (asciiToUni) reset()                        {}

type tableToUni struct{ t *[256]uint16 }

func (t *tableToUni) put(out []byte, b byte) []byte { return appendRune(out, rune(t.t[b])) }
func (t *tableToUni) replacement(out []byte) []byte { return appendRune(out, replacementChar) }
func (t *tableToUni) flush(out []byte) []byte       { return out }
func (t *tableToUni) reset()                        {}

// cyrusUTF8 is Cyrus's utf8_2uni(): it does not reject overlong forms or
// surrogates (uni2utf8 turns the latter into U+FFFD), an ill-formed
// sequence yields one U+FFFD, and an unfinished sequence is dropped
// silently when the stream ends.
type cyrusUTF8 struct {
	left int
	cp   rune
}

func (u *cyrusUTF8) put(out []byte, c byte) []byte {
	switch {
	case c&0xf8 == 0xf0:
		if u.left > 0 {
			out = appendRune(out, replacementChar)
		}
		if c >= 0xf5 && c <= 0xf7 {
			return u.replacement(out)
		}
		u.left, u.cp = 3, rune(c&0x07)
	case c&0xf0 == 0xe0:
		if u.left > 0 {
			out = appendRune(out, replacementChar)
		}
		u.left, u.cp = 2, rune(c&0x0f)
	case c&0xe0 == 0xc0:
		if u.left > 0 {
			out = appendRune(out, replacementChar)
		}
		if c == 0xc0 || c == 0xc1 {
			return u.replacement(out)
		}
		u.left, u.cp = 1, rune(c&0x1f)
	case c&0xc0 == 0x80:
		if u.left == 0 {
			return u.replacement(out)
		}
		u.cp = u.cp<<6 | rune(c&0x3f)
		u.left--
		if u.left == 0 {
			out = appendRune(out, u.cp)
			u.cp = 0
		}
	case c >= 0xf8:
		return u.replacement(out)
	default:
		if u.left > 0 {
			out = appendRune(out, replacementChar)
		}
		out = append(out, c)
		u.left, u.cp = 0, 0
	}
	return out
}

func (u *cyrusUTF8) replacement(out []byte) []byte {
	u.left, u.cp = 0, 0
	return appendRune(out, replacementChar)
}
func (u *cyrusUTF8) flush(out []byte) []byte { return out }
func (u *cyrusUTF8) reset()                  { u.left, u.cp = 0, 0 }

// bufferedToUni holds the bytes for a multi-byte ICU converter until the
// stream is flushed, then decodes them (with the closest x/text decoder,
// or a UTF-7 decoder). Cyrus flushes its ICU converters at the end of
// every chunk it feeds, so the chunk boundaries are the same.
type bufferedToUni struct {
	enc  encoding.Encoding            // x/text decoder, or
	fn   func(out, src []byte) []byte // own decoder
	sub1 bool                         // ICU writes U+001A for a cut 1-byte sequence
	buf  []byte
}

func (b *bufferedToUni) put(out []byte, c byte) []byte {
	b.buf = append(b.buf, c)
	return out
}

func (b *bufferedToUni) replacement(out []byte) []byte {
	out = b.flush(out)
	return appendRune(out, replacementChar)
}

func (b *bufferedToUni) flush(out []byte) []byte {
	if len(b.buf) == 0 {
		return out
	}
	src := b.buf
	b.buf = b.buf[:0]
	if b.fn != nil {
		return b.fn(out, src)
	}
	if b.sub1 {
		// A sequence cut after its first byte: ICU calls that a one-byte
		// invalid sequence and writes the converter's U+001A.
		dst := make([]byte, 4*len(src)+16)
		nDst, nSrc, err := b.enc.NewDecoder().Transform(dst, src, false)
		if err == transform.ErrShortSrc && len(src)-nSrc == 1 {
			out = append(out, dst[:nDst]...)
			return append(out, 0x1a)
		}
	}
	dec, err := b.enc.NewDecoder().Bytes(src)
	if err != nil {
		return appendRune(out, replacementChar)
	}
	return append(out, dec...)
}

func (b *bufferedToUni) reset() { b.buf = b.buf[:0] }

// decodeTwoByte decodes src the way ICU's two-byte converter described by
// tb does, with its error units and re-reading of invalid second bytes.
func decodeTwoByte(out, src []byte, tb *icudata.TwoByte) []byte {
	var units []uint16
	dec := tb.XText.NewDecoder()
	var pair [2]byte
	var dst [16]byte
	for i := 0; i < len(src); {
		b := src[i]
		switch {
		case !tb.IsLead(b):
			units = append(units, tb.Single[b])
			i++
		case i+1 == len(src):
			units = append(units, tb.Alone[b])
			i++
		case !tb.Valid(b, src[i+1]):
			units = append(units, tb.Err[b])
			i++
		default:
			c := src[i+1]
			i += 2
			if ex, ok := tb.Exceptions[uint16(b)<<8|uint16(c)]; ok {
				units = append(units, ex...)
				continue
			}
			pair[0], pair[1] = b, c
			dec.Reset()
			n, _, _ := dec.Transform(dst[:], pair[:], true)
			units = append(units, utf16.Encode([]rune(string(dst[:n])))...)
		}
	}
	for _, r := range utf16.Decode(units) {
		out = appendRune(out, r)
	}
	return out
}

// decodeUTF7 decodes UTF-7 (RFC 2152), or with imap set the IMAP mailbox
// name variant (RFC 3501 5.1.3: '&' and ',' instead of '+' and '/').
func decodeUTF7(out, src []byte, imap bool) []byte {
	shift, slash := byte('+'), byte('/')
	if imap {
		shift, slash = '&', ','
	}
	val := func(c byte) int {
		switch {
		case c >= 'A' && c <= 'Z':
			return int(c - 'A')
		case c >= 'a' && c <= 'z':
			return int(c-'a') + 26
		case c >= '0' && c <= '9':
			return int(c-'0') + 52
		case c == '+' && !imap:
			return 62
		case c == slash:
			return 63
		}
		return -1
	}
	for i := 0; i < len(src); {
		c := src[i]
		if c != shift {
			if c >= 0x80 {
				out = appendRune(out, replacementChar)
			} else {
				out = append(out, c)
			}
			i++
			continue
		}
		i++
		if i < len(src) && src[i] == '-' {
			out = append(out, shift)
			i++
			continue
		}
		var bits uint32
		nbits := 0
		var high rune
		for i < len(src) {
			v := val(src[i])
			if v < 0 {
				break
			}
			bits = bits<<6 | uint32(v)
			nbits += 6
			i++
			if nbits >= 16 {
				nbits -= 16
				u := rune(bits>>uint(nbits)) & 0xffff
				switch {
				case u >= 0xd800 && u < 0xdc00:
					if high != 0 {
						out = appendRune(out, replacementChar)
					}
					high = u
				case u >= 0xdc00 && u < 0xe000 && high != 0:
					out = appendRune(out, 0x10000+(high-0xd800)<<10+(u-0xdc00))
					high = 0
				default:
					if high != 0 {
						out = appendRune(out, replacementChar)
						high = 0
					}
					out = appendRune(out, u)
				}
			}
		}
		if high != 0 || bits&(1<<uint(nbits)-1) != 0 {
			out = appendRune(out, replacementChar)
		}
		if i < len(src) && src[i] == '-' {
			i++
		}
	}
	return out
}

// icuEncoding maps the multi-byte ICU converters that mail uses to the
// x/text decoder for the same charset.
func icuEncoding(conv string) encoding.Encoding {
	base, opts, _ := strings.Cut(conv, ",")
	switch base {
	case "UTF-8", "CESU-8":
		return unicode.UTF8
	case "UTF-16":
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	case "UTF-16BE", "UTF-16BE,version=1":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	case "UTF-16LE":
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case "UTF-32":
		return utf32.UTF32(utf32.BigEndian, utf32.UseBOM)
	case "UTF-32BE":
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)
	case "UTF-32LE":
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)
	case "windows-936-2000", "ibm-1383_P110-1999", "ibm-1386_P100-2001", "ibm-5478_P100-1995":
		return simplifiedchinese.GBK
	case "gb18030":
		return simplifiedchinese.GB18030
	case "HZ":
		return simplifiedchinese.HZGB2312
	case "windows-950-2000", "ibm-950_P110-1999", "ibm-1373_P100-2002", "ibm-1375_P100-2008":
		return traditionalchinese.Big5
	case "ibm-943_P15A-2003", "ibm-943_P130-1999", "ibm-942_P12A-1999", "ibm-932_VSUB_VPUA":
		return japanese.ShiftJIS
	case "euc-jp-2007", "ibm-33722_P12A_P12A-2009_U2", "ibm-33722_P120-1999", "ibm-954_P101-2007":
		return japanese.EUCJP
	case "ibm-970_P110_P110-2006_U2", "windows-949-2000", "ibm-949_P110-1999", "ibm-949_P11A-1999", "ibm-1363_P11B-1998", "ibm-1363_P110-1997":
		return korean.EUCKR
	case "ISO_2022":
		if strings.Contains(opts, "locale=ja") {
			return japanese.ISO2022JP
		}
	}
	return nil
}
