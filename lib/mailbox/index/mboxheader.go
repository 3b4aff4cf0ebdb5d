package index

import (
	"bytes"
	"hash/crc32"
	"strings"

	"gyrus/lib/dlist"
)

// HeaderMagic is the fixed 111-byte start of every cyrus.header file
// (spec/formats.md §5).
const HeaderMagic = "\xa1\x02\x8b\x0dCyrus mailbox header\n" +
	"\"The best thing about this system was that it had lots of goals.\"\n" +
	"\t--Jim Morris on Andrew\n"

// MailboxHeader is the content of cyrus.header.
type MailboxHeader struct {
	// Type is the mbtype string of the T field ("e", "el", "c"...); ""
	// when the file is in the pre-3.6 text form, which has none.
	Type     string
	Name     string // internal mailbox name (N)
	UniqueID string // I
	// QuotaRoot is the Q field; HasQuotaRoot distinguishes "no quota
	// root" from an empty one.
	QuotaRoot    string
	HasQuotaRoot bool
	// ACL in Cyrus's in-memory form "id\trights\tid\trights\t"; HasACL
	// false means the A field is absent.
	ACL    string
	HasACL bool
	// Flags are the user flag names by slot; "" is a free slot.
	Flags [MaxUserFlags]string
}

// ParseMailboxHeader decodes a cyrus.header file in either form: the 3.6
// dlist line or the older text lines (spec/formats.md §5).
func ParseMailboxHeader(data []byte) (*MailboxHeader, error) {
	if len(data) < len(HeaderMagic) || string(data[:len(HeaderMagic)]) != HeaderMagic {
		return nil, corrupt(HeaderFile, 0, "bad magic")
	}
	rest := data[len(HeaderMagic):]
	if z := bytes.IndexByte(rest, 0); z >= 0 {
		// Cyrus reads these fields as C strings: a NUL cannot be in them.
		return nil, corrupt(HeaderFile, int64(len(HeaderMagic)+z), "NUL byte")
	}
	eol := bytes.IndexByte(rest, '\n')
	if eol < 0 {
		return nil, corrupt(HeaderFile, int64(len(data)), "line 4 has no end of line")
	}
	h := &MailboxHeader{}
	if len(rest) > 0 && rest[0] == '%' {
		// Parse from here to the end rather than to the first LF: Cyrus
		// writes only atoms here, but a literal (which holds a CRLF)
		// must survive a round trip.
		if err := h.parseDlist(bytes.TrimSuffix(rest, []byte("\n"))); err != nil {
			return nil, err
		}
		return h, nil
	}
	return h, h.parseText(rest)
}

func (h *MailboxHeader) parseDlist(line []byte) error {
	v, err := dlist.NewDecoder(bytes.NewReader(line)).Decode(false)
	if err != nil {
		return corrupt(HeaderFile, int64(len(HeaderMagic)), "line 4: %v", err)
	}
	if v.Kind != dlist.KVList {
		return corrupt(HeaderFile, int64(len(HeaderMagic)), "line 4 is not a kvlist")
	}
	for _, c := range v.Items {
		switch c.Name {
		case "T":
			h.Type, _ = c.AsString()
		case "N":
			h.Name, _ = c.AsString()
		case "I":
			h.UniqueID, _ = c.AsString()
		case "Q":
			if s, ok := c.AsString(); ok {
				h.QuotaRoot, h.HasQuotaRoot = s, true
			}
		case "A":
			if c.Kind != dlist.KVList {
				return corrupt(HeaderFile, int64(len(HeaderMagic)), "A is not a kvlist")
			}
			var b strings.Builder
			for _, p := range c.Items {
				s, _ := p.AsString()
				b.WriteString(p.Name)
				b.WriteByte('\t')
				b.WriteString(s)
				b.WriteByte('\t')
			}
			h.ACL, h.HasACL = b.String(), true
		case "U":
			if c.Kind != dlist.List {
				return corrupt(HeaderFile, int64(len(HeaderMagic)), "U is not a list")
			}
			for i, f := range c.Items {
				if i >= MaxUserFlags {
					break
				}
				if s, ok := f.AsString(); ok && !f.IsNil() {
					h.Flags[i] = s
				}
			}
		}
	}
	return nil
}

// parseText reads the pre-3.6 form: quotaroot TAB uniqueid, flag names
// separated by spaces, ACL.
func (h *MailboxHeader) parseText(rest []byte) error {
	base := int64(len(HeaderMagic))
	lines := make([][]byte, 0, 3)
	for len(lines) < 3 {
		eol := bytes.IndexByte(rest, '\n')
		if eol < 0 {
			return corrupt(HeaderFile, base, "old-style header has %d of its 3 lines", len(lines))
		}
		lines = append(lines, rest[:eol])
		rest = rest[eol+1:]
	}
	l4 := lines[0]
	if tab := bytes.IndexByte(l4, '\t'); tab >= 0 {
		if tab > 0 {
			h.QuotaRoot, h.HasQuotaRoot = string(l4[:tab]), true
		}
		id := l4[tab+1:]
		if t := bytes.IndexByte(id, '\t'); t >= 0 {
			id = id[:t]
		}
		if len(id) == 0 {
			return corrupt(HeaderFile, base, "empty uniqueid")
		}
		h.UniqueID = string(id)
	} else if len(l4) > 0 {
		h.QuotaRoot, h.HasQuotaRoot = string(l4), true
	}
	names := lines[1]
	for i := 0; i < MaxUserFlags && len(names) >= 0; i++ {
		sp := bytes.IndexByte(names, ' ')
		if sp < 0 {
			h.Flags[i] = string(names)
			break
		}
		h.Flags[i] = string(names[:sp])
		names = names[sp+1:]
	}
	h.ACL, h.HasACL = string(lines[2]), true
	return nil
}

// Marshal returns the cyrus.header file as Cyrus 3.6.1 writes it: the
// magic, then one dlist kvlist line with T, N, I, Q, A, U in that order.
func (h *MailboxHeader) Marshal() []byte {
	v := dlist.NewKVList()
	typ := h.Type
	if typ == "" {
		typ = "e" // mbtype 0 (email), what Cyrus writes for a header that had none
	}
	v.AddString("T", typ)
	v.AddString("N", h.Name)
	v.AddString("I", h.UniqueID)
	if h.HasQuotaRoot {
		v.AddString("Q", h.QuotaRoot)
	}
	if h.HasACL {
		a := v.AddKVList("A")
		acl := h.ACL
		for acl != "" {
			tab := strings.IndexByte(acl, '\t')
			if tab < 0 {
				break
			}
			name := acl[:tab]
			acl = acl[tab+1:]
			var val string
			if t := strings.IndexByte(acl, '\t'); t >= 0 {
				val, acl = acl[:t], acl[t+1:]
			} else {
				val, acl = acl, ""
			}
			a.AddString(name, val)
		}
	}
	n := 0
	for i, f := range h.Flags {
		if f != "" {
			n = i + 1
		}
	}
	if n > 0 {
		u := v.AddList("U")
		for _, f := range h.Flags[:n] {
			if f == "" {
				u.Items = append(u.Items, dlist.NewNil())
			} else {
				u.Items = append(u.Items, dlist.NewString(f))
			}
		}
	}
	out := make([]byte, 0, len(HeaderMagic)+128)
	out = append(out, HeaderMagic...)
	out = dlist.Append(out, v, false)
	return append(out, '\n')
}

// FileCRC is the index header's header_file_crc of a cyrus.header file.
func FileCRC(data []byte) uint32 { return crc32.ChecksumIEEE(data) }

// UserFlag returns the slot of flag name (ASCII case-insensitive), or -1.
func (h *MailboxHeader) UserFlag(name string) int {
	for i, f := range h.Flags {
		if f != "" && EqualFold(f, name) {
			return i
		}
	}
	return -1
}

// IsFlagAtom reports whether name may become a user flag: Cyrus accepts
// only what imparse_isatom accepts: 1 to 1023 bytes, none of them below
// 0x1F, DEL, 8-bit, SP { ( ) " % * \.
func IsFlagAtom(name string) bool {
	if name == "" || len(name) >= 1024 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x1f || c >= 0x7f {
			return false
		}
		switch c {
		case ' ', '(', ')', '{', '"', '%', '*', '\\':
			return false
		}
	}
	return true
}
