package dlist

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Kind is the type of a Value. The kinds follow Cyrus's enum dlist_t; the
// Cyrus "atom", "buf" and parsed "map" types are all String here (the
// printer decides between atom, quoted string and literal from the bytes),
// and Cyrus's "date" is a Num.
type Kind uint8

const (
	Nil    Kind = iota // NIL: "no value"
	String             // text or binary bytes
	Flag               // an IMAP flag such as \Seen, printed raw
	Num                // unsigned decimal number
	Hex                // 64-bit number printed as 16 lowercase hex digits
	GUID               // 20-byte message GUID printed as 40 lowercase hex digits
	File               // %{partition guid size} file literal (replication)
	List               // ( item item ... )
	KVList             // %( key value key value ... )
)

var kindNames = [...]string{"NIL", "string", "flag", "num", "hex", "guid", "file", "list", "kvlist"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Value is one node of a dlist tree.
type Value struct {
	Kind Kind
	// Name is the key of this value inside a kvlist (or a list printed
	// with keys), and the leading key of a top-level value parsed or
	// printed "with key" (e.g. "MAILBOX" in a replication command).
	Name string
	// Str holds String and Flag text; for File it is the local path where
	// the file's bytes are (set by a FileHook, read by the Encoder).
	Str string
	// Num holds Num and Hex values; for File it is the size in bytes.
	Num uint64
	// GUID holds GUID values and the GUID of a File.
	GUID [20]byte
	// Partition is the partition name of a File.
	Partition string
	// Items are the children of a List or KVList, in order.
	Items []*Value
	// PrintKeys makes a List print its children's names (Cyrus "pklist").
	PrintKeys bool
}

// Constructors.

// NewNil returns a NIL value.
func NewNil() *Value { return &Value{Kind: Nil} }

// NewString returns a string value (printed as atom, quoted or literal).
func NewString(s string) *Value { return &Value{Kind: String, Str: s} }

// NewFlag returns a flag value; it is printed without quoting.
func NewFlag(s string) *Value { return &Value{Kind: Flag, Str: s} }

// NewNum returns an unsigned decimal number.
func NewNum(n uint64) *Value { return &Value{Kind: Num, Num: n} }

// NewHex returns a number printed as 16 lowercase hex digits.
func NewHex(n uint64) *Value { return &Value{Kind: Hex, Num: n} }

// NewGUID returns a GUID value.
func NewGUID(g [20]byte) *Value { return &Value{Kind: GUID, GUID: g} }

// NewFile returns a file value whose bytes are at path.
func NewFile(partition string, guid [20]byte, size uint64, path string) *Value {
	return &Value{Kind: File, Partition: partition, GUID: guid, Num: size, Str: path}
}

// NewList returns a list holding items.
func NewList(items ...*Value) *Value { return &Value{Kind: List, Items: items} }

// NewKVList returns an empty kvlist.
func NewKVList() *Value { return &Value{Kind: KVList} }

// Building kvlists (and lists: the name is then ignored when printing
// unless PrintKeys is set).

// Add appends child under name and returns child. Like Cyrus's dlist_set*,
// it never replaces an existing child with the same name.
func (v *Value) Add(name string, child *Value) *Value {
	child.Name = name
	v.Items = append(v.Items, child)
	return child
}

// Put replaces the first child called name with child, or appends it
// (Cyrus's dlist_update*). It returns child.
func (v *Value) Put(name string, child *Value) *Value {
	child.Name = name
	for i, c := range v.Items {
		if c.Name == name {
			v.Items[i] = child
			return child
		}
	}
	v.Items = append(v.Items, child)
	return child
}

// Remove deletes every child called name and reports whether one existed.
func (v *Value) Remove(name string) bool {
	out := v.Items[:0]
	found := false
	for _, c := range v.Items {
		if c.Name == name {
			found = true
			continue
		}
		out = append(out, c)
	}
	for i := len(out); i < len(v.Items); i++ {
		v.Items[i] = nil
	}
	v.Items = out
	return found
}

// AddString appends a string child.
func (v *Value) AddString(name, s string) *Value { return v.Add(name, NewString(s)) }

// AddFlag appends a flag child.
func (v *Value) AddFlag(name, s string) *Value { return v.Add(name, NewFlag(s)) }

// AddNum appends a number child.
func (v *Value) AddNum(name string, n uint64) *Value { return v.Add(name, NewNum(n)) }

// AddHex appends a hex64 child.
func (v *Value) AddHex(name string, n uint64) *Value { return v.Add(name, NewHex(n)) }

// AddGUID appends a GUID child.
func (v *Value) AddGUID(name string, g [20]byte) *Value { return v.Add(name, NewGUID(g)) }

// AddNil appends a NIL child.
func (v *Value) AddNil(name string) *Value { return v.Add(name, NewNil()) }

// AddList appends an empty list child and returns it.
func (v *Value) AddList(name string) *Value { return v.Add(name, NewList()) }

// AddKVList appends an empty kvlist child and returns it.
func (v *Value) AddKVList(name string) *Value { return v.Add(name, NewKVList()) }

// Reading.

// Child returns the first child called name, or nil. It is safe on a nil
// receiver.
func (v *Value) Child(name string) *Value {
	if v == nil {
		return nil
	}
	for _, c := range v.Items {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// IsNil reports whether v is absent or NIL.
func (v *Value) IsNil() bool { return v == nil || v.Kind == Nil }

// AsString returns the text of a String or Flag, the printed form of a
// Num, Hex or GUID, and "" for NIL (Cyrus's dlist_tomap). It fails for
// lists, kvlists and files.
func (v *Value) AsString() (string, bool) {
	if v == nil {
		return "", false
	}
	switch v.Kind {
	case String, Flag:
		return v.Str, true
	case Nil:
		return "", true
	case Num:
		return fmt.Sprint(v.Num), true
	case Hex:
		return fmt.Sprintf("%016x", v.Num), true
	case GUID:
		return hex.EncodeToString(v.GUID[:]), true
	}
	return "", false
}

// AsNum returns the value of a Num or Hex, or parses a String that is
// exactly an unsigned decimal number that fits 64 bits (Cyrus's
// dlist_tonum64).
func (v *Value) AsNum() (uint64, bool) {
	if v == nil {
		return 0, false
	}
	switch v.Kind {
	case Num, Hex:
		return v.Num, true
	case String:
		return parseDecimal(v.Str)
	}
	return 0, false
}

// AsHex returns the value of a Num or Hex, or parses a String made only of
// hex digits (either case) that fits 64 bits (Cyrus's dlist_tohex64).
func (v *Value) AsHex() (uint64, bool) {
	if v == nil {
		return 0, false
	}
	switch v.Kind {
	case Num, Hex:
		return v.Num, true
	case String:
		return parseHex64(v.Str)
	}
	return 0, false
}

// AsGUID returns the GUID of a GUID or File value, or decodes a String of
// exactly 40 hex digits.
func (v *Value) AsGUID() ([20]byte, bool) {
	var g [20]byte
	if v == nil {
		return g, false
	}
	switch v.Kind {
	case GUID, File:
		return v.GUID, true
	case String:
		if len(v.Str) != 40 {
			return g, false
		}
		if _, err := hex.Decode(g[:], []byte(v.Str)); err != nil {
			return [20]byte{}, false
		}
		return g, true
	}
	return g, false
}

// GetString is Child(name).AsString().
func (v *Value) GetString(name string) (string, bool) { return v.Child(name).AsString() }

// GetNum is Child(name).AsNum().
func (v *Value) GetNum(name string) (uint64, bool) { return v.Child(name).AsNum() }

// GetNum32 is GetNum truncated to 32 bits, as Cyrus's dlist_getnum32 does.
func (v *Value) GetNum32(name string) (uint32, bool) {
	n, ok := v.GetNum(name)
	return uint32(n), ok
}

// GetHex is Child(name).AsHex().
func (v *Value) GetHex(name string) (uint64, bool) { return v.Child(name).AsHex() }

// GetGUID is Child(name).AsGUID().
func (v *Value) GetGUID(name string) ([20]byte, bool) { return v.Child(name).AsGUID() }

// GetList returns the child called name if it is a List.
func (v *Value) GetList(name string) (*Value, bool) {
	c := v.Child(name)
	if c == nil || c.Kind != List {
		return nil, false
	}
	return c, true
}

// GetKVList returns the child called name if it is a KVList.
func (v *Value) GetKVList(name string) (*Value, bool) {
	c := v.Child(name)
	if c == nil || c.Kind != KVList {
		return nil, false
	}
	return c, true
}

// GetFile returns the child called name if it is a File.
func (v *Value) GetFile(name string) (*Value, bool) {
	c := v.Child(name)
	if c == nil || c.Kind != File {
		return nil, false
	}
	return c, true
}

// Pairs returns the children of a kvlist as name/text pairs, in order, for
// kvlists whose values are all strings (ACLs: %(id rights id rights)). It
// fails if a value is not textual.
func (v *Value) Pairs() ([][2]string, bool) {
	if v == nil || v.Kind != KVList {
		return nil, false
	}
	out := make([][2]string, 0, len(v.Items))
	for _, c := range v.Items {
		s, ok := c.AsString()
		if !ok {
			return nil, false
		}
		out = append(out, [2]string{c.Name, s})
	}
	return out, true
}

// Equal reports whether a and b are the same tree (names, kinds, values).
func Equal(a, b *Value) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || a.Name != b.Name || a.Str != b.Str || a.Num != b.Num ||
		a.GUID != b.GUID || a.Partition != b.Partition || a.PrintKeys != b.PrintKeys ||
		len(a.Items) != len(b.Items) {
		return false
	}
	for i := range a.Items {
		if !Equal(a.Items[i], b.Items[i]) {
			return false
		}
	}
	return true
}

// parseDecimal follows Cyrus's parsenum over the whole string: at least
// one digit, digits only, no overflow of 64 bits.
func parseDecimal(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (^uint64(0)-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseHex64 follows Cyrus's parsehex over the whole string.
func parseHex64(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		if n >= 1<<60 {
			return 0, false // one more digit would overflow
		}
		c := s[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(d)
	}
	return n, true
}

// String renders v in dlist syntax (without its key) for debugging and
// error messages. File values are shown by their header only.
func (v *Value) String() string {
	var b strings.Builder
	debugWrite(&b, v)
	return b.String()
}

func debugWrite(b *strings.Builder, v *Value) {
	if v == nil {
		b.WriteString("<nil>")
		return
	}
	if v.Kind == File {
		fmt.Fprintf(b, "%%{%s %x %d}", v.Partition, v.GUID[:], v.Num)
		return
	}
	b.Write(Append(nil, v, false))
}
