package index

// The SECTION cache item (spec/formats.md §7.4) is Cyrus's map of a
// message's MIME parts: where each part's header and content are in the
// message file, its charset and transfer encoding, and the SHA-1, size
// and line count of its decoded content. With it a server serves
// BODY[1.2], BODY[1.2.MIME] or BINARY[3] by reading the byte range from
// the file, without parsing the message again.

// SectionPart describes one part.
type SectionPart struct {
	HeaderOffset  uint32
	HeaderSize    uint32
	ContentOffset uint32
	ContentSize   uint32
	// HasCharset is false for the "no charset" form (whole messages and
	// multiparts); then Charset and Encoding are empty.
	HasCharset  bool
	Charset     string
	Encoding    uint8 // Cyrus ENCODING_*: 0 none, 1 QP, 2 base64, ...
	ContentGUID [20]byte
	DecodedSize uint32
	Lines       uint32
	// Sub is the structure inside this part (nil for a leaf).
	Sub *Section
}

// Section is one level of the map: Parts[0] describes the enclosing
// entity, Parts[1..] its parts (IMAP part numbers 1, 2, ...); each of
// those may have a Sub level. The top level of a message is the message
// wrapped as a MESSAGE/RFC822 part: Parts[0] is the whole message, and
// Parts[1..] its body parts (one part for a non-multipart body).
type Section struct {
	Parts []SectionPart
}

// maxSectionDepth bounds nesting when reading (Cyrus bounds parsing by
// boundary_limit, default 1000).
const maxSectionDepth = 1100

const noCharsetMarker = 0x0000ffff

// ParseSection reads a SECTION item. A leaf ("0") gives an empty
// Section.
func ParseSection(item []byte) (*Section, error) {
	p := &sectionReader{b: item}
	s, err := p.section(0)
	if err != nil {
		return nil, err
	}
	if p.o != len(p.b) {
		return nil, corrupt(CacheFile, int64(p.o), "SECTION item has %d bytes after its end", len(p.b)-p.o)
	}
	return s, nil
}

type sectionReader struct {
	b []byte
	o int
}

func (p *sectionReader) u32() (uint32, error) {
	if len(p.b)-p.o < 4 {
		return 0, corrupt(CacheFile, int64(p.o), "SECTION item truncated")
	}
	v := be.Uint32(p.b[p.o:])
	p.o += 4
	return v, nil
}

func (p *sectionReader) bytes(n int) ([]byte, error) {
	if n < 0 || len(p.b)-p.o < n {
		return nil, corrupt(CacheFile, int64(p.o), "SECTION item truncated")
	}
	v := p.b[p.o : p.o+n]
	p.o += n
	return v, nil
}

func (p *sectionReader) section(depth int) (*Section, error) {
	if depth > maxSectionDepth {
		return nil, corrupt(CacheFile, int64(p.o), "SECTION item nested too deep")
	}
	n, err := p.u32()
	if err != nil {
		return nil, err
	}
	s := &Section{}
	if n == 0 {
		return s, nil
	}
	// each part takes at least 44 bytes: refuse counts the item cannot hold
	if int64(n) > int64(len(p.b)-p.o)/44+1 {
		return nil, corrupt(CacheFile, int64(p.o-4), "SECTION item claims %d parts", n)
	}
	s.Parts = make([]SectionPart, n)
	for i := range s.Parts {
		sp := &s.Parts[i]
		var f [5]uint32
		for j := range f {
			if f[j], err = p.u32(); err != nil {
				return nil, err
			}
		}
		sp.HeaderOffset, sp.HeaderSize, sp.ContentOffset, sp.ContentSize = f[0], f[1], f[2], f[3]
		if f[4] != noCharsetMarker {
			sp.HasCharset = true
			sp.Encoding = uint8(f[4] & 0xff)
			name, err := p.bytes(int(f[4] >> 16))
			if err != nil {
				return nil, err
			}
			sp.Charset = cstr(name)
		}
		g, err := p.bytes(20)
		if err != nil {
			return nil, err
		}
		copy(sp.ContentGUID[:], g)
		if sp.DecodedSize, err = p.u32(); err != nil {
			return nil, err
		}
		if sp.Lines, err = p.u32(); err != nil {
			return nil, err
		}
	}
	for i := 1; i < len(s.Parts); i++ {
		if s.Parts[i].Sub, err = p.section(depth + 1); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func cstr(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
