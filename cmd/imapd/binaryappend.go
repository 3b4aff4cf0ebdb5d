package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"os"
	"sort"
	"strings"

	"gyrus/lib/mailbox"
	"gyrus/lib/message"
)

// A message APPENDed as a literal8 (RFC 3516 BINARY) may carry parts in
// "Content-Transfer-Encoding: binary". Cyrus stores no such part: while
// it parses the staged file (message_parse_binary_file) it encodes each
// binary leaf part in base64 (76-character lines, each ended by CRLF)
// and rewrites "binary" in the part's header as "base64", which keeps
// the header's length. encodeBinaryParts does the same to a staged file.

// binaryEdit is one change to the staged bytes, applied back to front.
type binaryEdit struct {
	off, n int    // bytes replaced
	with   []byte // their replacement
}

func encodeBinaryParts(st *mailbox.Staged, opts message.Options) error {
	b, err := os.ReadFile(st.Path())
	if err != nil {
		return err
	}
	m, err := message.ParseBytes(b, opts)
	if err != nil {
		return err
	}
	tree, err := message.DecodeSectionMap(m.Items[message.ItemBodyStructure], m.Items[message.ItemSection], uint32(len(b)))
	if err != nil {
		return err
	}
	var edits []binaryEdit
	var walk func(p *message.Part)
	walk = func(p *message.Part) {
		if p == nil {
			return
		}
		if len(p.Parts) > 0 || p.Sub != nil {
			for _, c := range p.Parts {
				walk(c)
			}
			walk(p.Sub)
			return
		}
		hs, he := int(p.HeaderOffset), int(p.HeaderOffset)+int(p.HeaderSize)
		cs, ce := int(p.ContentOffset), int(p.ContentOffset)+int(p.ContentSize)
		if he > len(b) || ce > len(b) || hs > he || cs > ce {
			return
		}
		at := binaryCTE(b[hs:he])
		if at < 0 {
			return
		}
		edits = append(edits, binaryEdit{off: hs + at, n: 6, with: []byte("base64")})
		edits = append(edits, binaryEdit{off: cs, n: ce - cs, with: wrapBase64(b[cs:ce])})
	}
	walk(tree.Root())
	if len(edits) == 0 {
		return nil
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].off > edits[j].off })
	for _, e := range edits {
		nb := make([]byte, 0, len(b)-e.n+len(e.with))
		nb = append(nb, b[:e.off]...)
		nb = append(nb, e.with...)
		nb = append(nb, b[e.off+e.n:]...)
		b = nb
	}
	if err := os.WriteFile(st.Path(), b, 0o600); err != nil {
		return err
	}
	st.Size = int64(len(b))
	st.GUID = sha1.Sum(b)
	return nil
}

// binaryCTE finds a Content-Transfer-Encoding field whose value is
// "binary" in a header block and returns the offset of that word, or -1.
func binaryCTE(hdr []byte) int {
	const name = "content-transfer-encoding:"
	for off := 0; off < len(hdr); {
		end := bytes.IndexByte(hdr[off:], '\n')
		if end < 0 {
			end = len(hdr)
		} else {
			end += off + 1
		}
		line := hdr[off:end]
		if len(line) > len(name) && strings.EqualFold(string(line[:len(name)]), name) {
			v := line[len(name):]
			tv := bytes.TrimSpace(v)
			if strings.EqualFold(string(tv), "binary") {
				return off + len(name) + bytes.Index(v, tv)
			}
		}
		off = end
	}
	return -1
}

// wrapBase64 is Cyrus's charset_encode_mimebody with wrapping.
func wrapBase64(data []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	out := make([]byte, 0, len(enc)+len(enc)/76*2+2)
	for len(enc) > 76 {
		out = append(out, enc[:76]...)
		out = append(out, '\r', '\n')
		enc = enc[76:]
	}
	if len(enc) > 0 {
		out = append(out, enc...)
		out = append(out, '\r', '\n')
	}
	return out
}
