package mboxlist

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gyrus/lib/dlist"
	"gyrus/lib/mboxname"
)

// Entry is one mailbox as mailboxes.db knows it (Cyrus mbentry_t).
type Entry struct {
	// Name is the internal mailbox name ("user.alice.Sent").
	Name          string
	Type          Type
	UniqueID      string
	Partition     string
	Server        string // murder only
	UIDValidity   uint32
	CreatedModSeq uint64
	FolderModSeq  uint64
	// MTime is the Unix time of the last write of the record. Writers set
	// it themselves (to now); readers see what was stored.
	MTime int64
	// ACL is Cyrus's tab form: "id\trights\tid\trights\t".
	ACL string
	// HasACL tells an empty ACL ("A %()" is written) from none (no A key
	// at all, as in tombstones). Every decoded entry has it set, as in
	// Cyrus, where the parser always yields a (possibly empty) ACL.
	HasACL bool
	// LegacySpecialUse is the specialuse of pre-3.x records, read only.
	LegacySpecialUse string
	// History holds the former names of the mailbox, newest first. Only I
	// records carry it.
	History []Former
}

// Former is one item of an I record's name history.
type Former struct {
	Name          string // internal name
	MTime         int64
	UIDValidity   uint32
	CreatedModSeq uint64
	FolderModSeq  uint64
	Type          Type
	Partition     string
}

// Clone returns a deep copy.
func (e *Entry) Clone() *Entry {
	c := *e
	c.History = append([]Former(nil), e.History...)
	return &c
}

// IsLegacy reports whether the mailbox's directories are by name.
func (e *Entry) IsLegacy() bool { return e.Type&LegacyDirs != 0 }

// IsActive reports whether the entry is a real, usable mailbox: not a
// tombstone, intermediate or reservation.
func (e *Entry) IsActive() bool { return e.Type&(Deleted|Intermediate|Reserved) == 0 }

// ACLPairs splits ACL into identifier/rights pairs, in stored order.
func (e *Entry) ACLPairs() [][2]string { return SplitACL(e.ACL) }

// SplitACL splits Cyrus's tab-form ACL into identifier/rights pairs, as
// Cyrus's readers do: a trailing identifier without a tab is dropped, a
// last rights string without its tab is kept.
func SplitACL(acl string) [][2]string {
	var out [][2]string
	p := acl
	for p != "" {
		i := strings.IndexByte(p, '\t')
		if i < 0 {
			break
		}
		id := p[:i]
		rest := p[i+1:]
		j := strings.IndexByte(rest, '\t')
		if j < 0 {
			out = append(out, [2]string{id, rest})
			break
		}
		out = append(out, [2]string{id, rest[:j]})
		p = rest[j+1:]
	}
	return out
}

// JoinACL builds the tab form from pairs.
func JoinACL(pairs [][2]string) string {
	var b strings.Builder
	for _, p := range pairs {
		b.WriteString(p[0])
		b.WriteByte('\t')
		b.WriteString(p[1])
		b.WriteByte('\t')
	}
	return b.String()
}

// Key prefixes of mailboxes.db (spec/formats.md §8.1).
const (
	KeyName = 'N'
	KeyID   = 'I'
	KeyACL  = 'A'
)

// NameKey returns the N key of a dbname.
func NameKey(dbname string) []byte { return append([]byte{KeyName}, dbname...) }

// IDKey returns the I key of a uniqueid.
func IDKey(uniqueid string) []byte { return append([]byte{KeyID}, uniqueid...) }

// ErrBadFormat: a record that cannot be parsed (Cyrus
// IMAP_MAILBOX_BADFORMAT).
var ErrBadFormat = errors.New("Mailbox has an invalid format")

// Codec turns entries into mailboxes.db values and back. It needs the
// namespace only for the dbname <-> internal name conversion (the deleted
// prefix and the domain separator).
type Codec struct {
	NS *mboxname.Namespace
}

// EncodeName builds the N record value of e (written at mtime).
func (c Codec) EncodeName(e *Entry, mtime int64) []byte {
	return dlist.Append(nil, c.value(e, mtime, false), false)
}

// EncodeID builds the I record value of e, with its history.
func (c Codec) EncodeID(e *Entry, mtime int64) []byte {
	return dlist.Append(nil, c.value(e, mtime, true), false)
}

func (c Codec) value(e *Entry, mtime int64, forID bool) *dlist.Value {
	v := dlist.NewKVList()
	v.AddString("T", e.Type.String())
	if forID {
		v.AddString("N", c.NS.InternalToDB(e.Name))
	} else if e.UniqueID != "" {
		v.AddString("I", e.UniqueID)
	}
	if e.Partition != "" {
		v.AddString("P", e.Partition)
	}
	if e.Server != "" {
		v.AddString("S", e.Server)
	}
	if e.UIDValidity != 0 {
		v.AddNum("V", uint64(e.UIDValidity))
	}
	if e.CreatedModSeq != 0 {
		v.AddNum("C", e.CreatedModSeq)
	}
	if e.FolderModSeq != 0 {
		v.AddNum("F", e.FolderModSeq)
	}
	v.AddNum("M", uint64(mtime))
	if e.HasACL {
		a := v.AddKVList("A")
		for _, p := range SplitACL(e.ACL) {
			a.AddString(p[0], p[1])
		}
	}
	if forID {
		h := v.AddList("H")
		for _, f := range e.History {
			it := dlist.NewKVList()
			it.AddString("N", c.NS.InternalToDB(f.Name))
			if f.MTime != 0 {
				it.AddNum("M", uint64(f.MTime))
			}
			if f.UIDValidity != 0 {
				it.AddNum("V", uint64(f.UIDValidity))
			}
			if f.CreatedModSeq != 0 {
				it.AddNum("C", f.CreatedModSeq)
			}
			if f.FolderModSeq != 0 {
				it.AddNum("F", f.FolderModSeq)
			}
			it.AddString("T", f.Type.String())
			if f.Partition != "" {
				it.AddString("P", f.Partition)
			}
			h.Items = append(h.Items, it)
		}
	}
	return v
}

// Decode parses a record value, 3.6 dlist or the older text forms
// (Cyrus mboxlist_parse_entry). dbname is the name taken from the N key
// ("" for I records, whose name comes from the value's N field).
func (c Codec) Decode(dbname string, data []byte) (*Entry, error) {
	e := &Entry{}
	if dbname != "" {
		e.Name = c.NS.DBToInternal(dbname)
	}
	if len(data) == 0 {
		return nil, ErrBadFormat
	}
	if data[0] == '%' {
		if err := c.decodeDlist(e, data); err != nil {
			return nil, err
		}
		return e, nil
	}
	decodeText(e, string(data))
	return e, nil
}

func (c Codec) decodeDlist(e *Entry, data []byte) error {
	v, err := dlist.Parse(data)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadFormat, err)
	}
	if v.Kind != dlist.KVList {
		return ErrBadFormat
	}
	e.HasACL = true
	for _, it := range v.Items {
		switch it.Kind {
		case dlist.KVList:
			if it.Name == "A" {
				var pairs [][2]string
				for _, a := range it.Items {
					if s, ok := a.AsString(); ok {
						pairs = append(pairs, [2]string{a.Name, s})
					}
				}
				e.ACL = JoinACL(pairs)
			}
			continue
		case dlist.List:
			if it.Name == "H" {
				for _, h := range it.Items {
					if h.Kind != dlist.KVList {
						continue
					}
					e.History = append(e.History, c.decodeFormer(h))
				}
			}
			continue
		}
		s, ok := it.AsString()
		if !ok {
			continue
		}
		switch it.Name {
		case "C":
			e.CreatedModSeq = atou64(s)
		case "F":
			e.FolderModSeq = atou64(s)
		case "I":
			e.UniqueID = s
		case "M":
			e.MTime = int64(int32(atoi64(s)))
		case "N":
			if e.Name == "" {
				e.Name = c.NS.DBToInternal(s)
			}
		case "P":
			e.Partition = s
		case "S":
			e.Server = s
		case "T":
			e.Type = ParseType(s)
		case "V":
			e.UIDValidity = uint32(atoi64(s))
		}
	}
	return nil
}

func (c Codec) decodeFormer(h *dlist.Value) Former {
	var f Former
	for _, it := range h.Items {
		s, ok := it.AsString()
		if !ok {
			continue
		}
		switch it.Name {
		case "N":
			f.Name = c.NS.DBToInternal(s)
		case "M":
			f.MTime = int64(int32(atoi64(s)))
		case "V":
			f.UIDValidity = uint32(atoi64(s))
		case "C":
			f.CreatedModSeq = atou64(s)
		case "F":
			f.FolderModSeq = atou64(s)
		case "T":
			f.Type = ParseType(s)
		case "P":
			f.Partition = s
		}
	}
	return f
}

// decodeText reads the pre-3.x value "[(uniqueid X specialuse Y) ]mbtype
// [server!]partition acl" (Cyrus mboxlist_parse_entry's second half).
func decodeText(e *Entry, p string) {
	if strings.HasPrefix(p, "(") {
		p = p[1:]
		for {
			sp := strings.IndexAny(p, " )")
			if sp < 0 || p[sp] != ' ' {
				break
			}
			key := p[:sp]
			p = p[sp+1:]
			end := strings.IndexAny(p, " )")
			last := end < 0 || p[end] != ' '
			var val string
			if end < 0 {
				val, p = p, ""
			} else {
				val, p = p[:end], p[end+1:]
			}
			switch key {
			case "uniqueid":
				e.UniqueID = val
			case "specialuse":
				e.LegacySpecialUse = val
			}
			if last {
				break
			}
		}
		p = strings.TrimPrefix(p, " ")
	}
	// strtol: optional space/sign, digits
	i := 0
	for i < len(p) && (p[i] == ' ' || p[i] == '\t') {
		i++
	}
	j := i
	if j < len(p) && (p[j] == '-' || p[j] == '+') {
		j++
	}
	for j < len(p) && p[j] >= '0' && p[j] <= '9' {
		j++
	}
	n, _ := strconv.ParseInt(p[i:j], 10, 64)
	e.Type = Type(uint32(n))
	p = p[j:]
	p = strings.TrimPrefix(p, " ")
	q := strings.IndexAny(p, " !")
	if q >= 0 && p[q] == '!' {
		e.Server = p[:q]
		p = p[q+1:]
		q = strings.IndexByte(p, ' ')
	}
	if q < 0 {
		e.Partition, p = p, ""
	} else {
		e.Partition, p = p[:q], p[q+1:]
	}
	e.ACL = p
	e.HasACL = true
}

// atoi64 is C's atol: optional leading blanks and sign, then digits; the
// rest is ignored; no digits gives 0.
func atoi64(s string) int64 {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var n int64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int64(s[i]-'0')
	}
	if neg {
		n = -n
	}
	return n
}

// atou64 is strtoull for modseqs.
func atou64(s string) uint64 {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	var n uint64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + uint64(s[i]-'0')
	}
	return n
}
