package message

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Reading the section map back, so that FETCH BODY[1.2], BODY[1.MIME],
// BODY[HEADER], BINARY[n]... are served from the message file by offset,
// without parsing the message again. Like Cyrus 3.6.1 (imap/index.c
// loadbody, imap/message.c message_read_binarybody), the part types come
// from the cached BODYSTRUCTURE and the offsets from the SECTION item.

// Part is one node of the section tree.
type Part struct {
	Type, Subtype string // from BODYSTRUCTURE, as cached (uppercase)

	HeaderOffset, HeaderSize   uint32
	ContentOffset, ContentSize uint32
	Encoding                   int    // Cyrus ENCODING_* code (0xff: none/unknown)
	Charset                    string // charset name as stored ("" if none)
	ContentGUID                [20]byte
	DecodedSize                uint32
	Lines                      uint32

	Parts []*Part // multipart children
	Sub   *Part   // message/rfc822 child
}

func (p *Part) isRFC822() bool {
	return strings.EqualFold(p.Type, "MESSAGE") && strings.EqualFold(p.Subtype, "RFC822")
}

// SectionTree is a decoded section map.
type SectionTree struct {
	top  *Part // MESSAGE/RFC822 wrapper around the message
	size uint32
}

// Root returns the message's top-level part.
func (t *SectionTree) Root() *Part { return t.top.Sub }

// Location is where a section's bytes are in the message file.
type Location struct {
	Offset, Length uint32
	Encoding       int // transfer encoding to undo for BINARY (DecodeBody)
}

// DecodeSectionMap reads the BODYSTRUCTURE and SECTION cache items of a
// message of size bytes.
func DecodeSectionMap(bodystructure, section []byte, size uint32) (*SectionTree, error) {
	bp := &bsParser{b: bodystructure}
	root, err := bp.part()
	if err != nil {
		return nil, fmt.Errorf("cached bodystructure: %w", err)
	}
	top := &Part{Type: "MESSAGE", Subtype: "RFC822", Sub: root}
	sr := &sectionReader{b: section}
	if err := sr.read(top); err != nil {
		return nil, fmt.Errorf("section map: %w", err)
	}
	return &SectionTree{top: top, size: size}, nil
}

var errShort = errors.New("truncated")

type sectionReader struct {
	b []byte
	p int
}

func (r *sectionReader) u32() (uint32, error) {
	if r.p+4 > len(r.b) {
		return 0, errShort
	}
	v := binary.BigEndian.Uint32(r.b[r.p:])
	r.p += 4
	return v, nil
}

// entry reads one part record into p (nil: skip it).
func (r *sectionReader) entry(p *Part) error {
	var v [5]uint32
	for i := range v {
		x, err := r.u32()
		if err != nil {
			return err
		}
		v[i] = x
	}
	nlen := int(v[4] >> 16)
	if r.p+nlen+28 > len(r.b) {
		return errShort
	}
	name := r.b[r.p : r.p+nlen]
	r.p += nlen
	if p != nil {
		p.HeaderOffset, p.HeaderSize, p.ContentOffset, p.ContentSize = v[0], v[1], v[2], v[3]
		p.Encoding = int(v[4] & 0xff)
		p.Charset = string(name[:cLen(name)])
		copy(p.ContentGUID[:], r.b[r.p:r.p+20])
		p.DecodedSize = binary.BigEndian.Uint32(r.b[r.p+20:])
		p.Lines = binary.BigEndian.Uint32(r.b[r.p+24:])
	}
	r.p += 28
	return nil
}

// read is message_read_binarybody().
func (r *sectionReader) read(p *Part) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	var target *Part
	var subs []*Part
	switch {
	case p.isRFC822() && p.Sub != nil && len(p.Sub.Parts) > 0:
		target, subs = p.Sub, p.Sub.Parts
	case p.isRFC822() && p.Sub != nil:
		subs = []*Part{p.Sub}
	default:
		subs = p.Parts
	}
	if int(n)-1 != len(subs) {
		return fmt.Errorf("%d parts in section map, %d in bodystructure", n-1, len(subs))
	}
	if err := r.entry(target); err != nil {
		return err
	}
	for _, s := range subs {
		if err := r.entry(s); err != nil {
			return err
		}
	}
	for _, s := range subs {
		if err := r.read(s); err != nil {
			return err
		}
	}
	return nil
}

// findPart is index.c find_part().
func findPart(p *Part, n int) *Part {
	if p.isRFC822() {
		p = p.Sub
	} else if len(p.Parts) == 0 {
		return nil
	}
	if p == nil {
		return nil
	}
	if len(p.Parts) > 0 {
		if n > len(p.Parts) {
			return nil
		}
		return p.Parts[n-1]
	}
	if n > 1 {
		return nil
	}
	return p
}

// Resolve finds an IMAP section-spec (RFC 3501 section without brackets:
// "", "1.2", "1.MIME", "HEADER", "2.TEXT"...) the way Cyrus's
// index_fetchsection() does. ok is false where Cyrus answers NIL.
// HEADER.FIELDS is not a location (Cyrus filters the header block).
func (t *SectionTree) Resolve(spec string) (loc Location, ok bool) {
	if spec == "" {
		return Location{Offset: 0, Length: t.size}, true
	}
	p := t.top
	wantHeader := false
	rest := spec
	for rest != "" {
		switch {
		case rest == "HEADER":
			if !p.isRFC822() || p.Sub == nil {
				return loc, false
			}
			p, wantHeader, rest = p.Sub, true, ""
		case rest == "TEXT":
			if !p.isRFC822() || p.Sub == nil {
				return loc, false
			}
			p, rest = p.Sub, ""
		case rest == "MIME":
			if p == t.top {
				return loc, false
			}
			wantHeader, rest = true, ""
		default:
			num, after, _ := strings.Cut(rest, ".")
			n, err := strconv.ParseUint(num, 10, 31)
			if err != nil || n == 0 {
				return loc, false
			}
			if p = findPart(p, int(n)); p == nil {
				return loc, false
			}
			rest = after
		}
	}
	if wantHeader {
		return Location{Offset: p.HeaderOffset, Length: p.HeaderSize, Encoding: p.Encoding}, true
	}
	return Location{Offset: p.ContentOffset, Length: p.ContentSize, Encoding: p.Encoding}, true
}

// ReadSection returns the bytes of a section the way Cyrus sends them
// (index_fetchmsg): a range that runs past the end of the file is padded
// with spaces to its recorded length, one that starts past the end is
// empty.
func ReadSection(r io.ReaderAt, size int64, loc Location) ([]byte, error) {
	off, n := int64(loc.Offset), int64(loc.Length)
	if n == 0 || off >= size {
		return []byte{}, nil
	}
	out := make([]byte, n)
	have := min(n, size-off)
	if _, err := r.ReadAt(out[:have], off); err != nil && !(errors.Is(err, io.EOF) && have == size-off) {
		return nil, fmt.Errorf("read section at %d: %w", off, err)
	}
	for i := have; i < n; i++ {
		out[i] = ' '
	}
	return out, nil
}

// InFile tells whether the location lies within a file of size bytes;
// Cyrus refuses to decode (BINARY) a part that does not.
func (l Location) InFile(size int64) bool {
	return int64(l.Offset)+int64(l.Length) <= size
}

// bsParser reads a cached BODYSTRUCTURE (Cyrus's own output: quoted
// strings without escapes, literals, NIL, numbers, lists).
type bsParser struct {
	b []byte
	p int
}

func (bp *bsParser) peek() byte {
	if bp.p < len(bp.b) {
		return bp.b[bp.p]
	}
	return 0
}

func (bp *bsParser) expect(c byte) error {
	if bp.peek() != c {
		return fmt.Errorf("want %q at %d", c, bp.p)
	}
	bp.p++
	return nil
}

// nstring reads NIL, "..." or {n}\r\n...; valid=false for NIL.
func (bp *bsParser) nstring() (s string, valid bool, err error) {
	switch c := bp.peek(); {
	case c == '"':
		end := -1
		for i := bp.p + 1; i < len(bp.b); i++ {
			if bp.b[i] == '"' {
				end = i
				break
			}
		}
		if end < 0 {
			return "", false, errShort
		}
		s = string(bp.b[bp.p+1 : end])
		bp.p = end + 1
		return s, true, nil
	case c == '{':
		close := -1
		for i := bp.p + 1; i < len(bp.b); i++ {
			if bp.b[i] == '}' {
				close = i
				break
			}
		}
		if close < 0 {
			return "", false, errShort
		}
		n, err := strconv.Atoi(string(bp.b[bp.p+1 : close]))
		if err != nil || n < 0 || close+3+n > len(bp.b) {
			return "", false, errShort
		}
		s = string(bp.b[close+3 : close+3+n])
		bp.p = close + 3 + n
		return s, true, nil
	case c == 'N' && strings.HasPrefix(string(bp.b[bp.p:min(len(bp.b), bp.p+3)]), "NIL"):
		bp.p += 3
		return "", false, nil
	}
	return "", false, fmt.Errorf("bad string at %d", bp.p)
}

// skip passes over one value (list, string, atom).
func (bp *bsParser) skip(depth int) error {
	if depth > 10000 {
		return errors.New("nested too deep")
	}
	switch bp.peek() {
	case '(':
		bp.p++
		for bp.peek() != ')' {
			if bp.p >= len(bp.b) {
				return errShort
			}
			if bp.peek() == ' ' {
				bp.p++
				continue
			}
			if err := bp.skip(depth + 1); err != nil {
				return err
			}
		}
		bp.p++
		return nil
	case '"':
		// a quoted string: to the next quote, nothing copied
		for i := bp.p + 1; i < len(bp.b); i++ {
			if bp.b[i] == '"' {
				bp.p = i + 1
				return nil
			}
		}
		return errShort
	case '{':
		_, _, err := bp.nstring()
		return err
	case 0:
		return errShort
	}
	for bp.p < len(bp.b) && bp.b[bp.p] != ' ' && bp.b[bp.p] != ')' && bp.b[bp.p] != '(' {
		bp.p++
	}
	return nil
}

// part reads one body part (message_read_body for what the section map
// needs: types and the nesting).
func (bp *bsParser) part() (*Part, error) {
	return bp.partDepth(0)
}

func (bp *bsParser) partDepth(depth int) (*Part, error) {
	if depth > 10000 {
		return nil, errors.New("nested too deep")
	}
	if err := bp.expect('('); err != nil {
		return nil, err
	}
	p := &Part{}
	if bp.peek() == '(' {
		for bp.peek() == '(' {
			c, err := bp.partDepth(depth + 1)
			if err != nil {
				return nil, err
			}
			p.Parts = append(p.Parts, c)
		}
		p.Type = "MULTIPART"
		if err := bp.expect(' '); err != nil {
			return nil, err
		}
		st, _, err := bp.nstring()
		if err != nil {
			return nil, err
		}
		p.Subtype = st
	} else {
		t, _, err := bp.nstring()
		if err != nil {
			return nil, err
		}
		if err := bp.expect(' '); err != nil {
			return nil, err
		}
		st, _, err := bp.nstring()
		if err != nil {
			return nil, err
		}
		p.Type, p.Subtype = t, st
		// params id description encoding size
		for i := 0; i < 5; i++ {
			if err := bp.expect(' '); err != nil {
				return nil, err
			}
			if err := bp.skip(depth); err != nil {
				return nil, err
			}
		}
		if p.isRFC822() {
			if err := bp.expect(' '); err != nil {
				return nil, err
			}
			if err := bp.skip(depth); err != nil { // envelope
				return nil, err
			}
			if err := bp.expect(' '); err != nil {
				return nil, err
			}
			sub, err := bp.partDepth(depth + 1)
			if err != nil {
				return nil, err
			}
			p.Sub = sub
		}
	}
	// Whatever extension data follows.
	for bp.peek() != ')' {
		if bp.p >= len(bp.b) {
			return nil, errShort
		}
		if bp.peek() == ' ' {
			bp.p++
			continue
		}
		if err := bp.skip(depth); err != nil {
			return nil, err
		}
	}
	bp.p++
	return p, nil
}
