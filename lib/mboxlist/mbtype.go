package mboxlist

import "strings"

// Type is a mailbox type with its flag bits (Cyrus mbtype, spec/formats.md
// §8.3). The low bits hold the kind (email, calendar...), the rest flags.
type Type uint32

// Kinds of mailbox (the low 3..4 bits, Cyrus MBTYPE_*).
const (
	TypeEmail       Type = 0
	TypeNetnews     Type = 1
	TypeJMAPSubmit  Type = 2
	TypeJMAPPushSub Type = 3
	TypeSieve       Type = 5
	TypeCollection  Type = 8
	TypeCalendar    Type = 9
	TypeAddressbook Type = 10
)

// Flag bits.
const (
	Remote       Type = 1 << 4 // r: lives on another server (murder)
	Reserved     Type = 1 << 5 // z: being created
	Moving       Type = 1 << 6 // m: being moved between servers
	Deleted      Type = 1 << 7 // d: tombstone
	Intermediate Type = 1 << 8 // i: placeholder for a missing parent
	LegacyDirs   Type = 1 << 9 // l: spool directory by name

	kindMask Type = 0xf
)

// Kind returns the type without its flags.
func (t Type) Kind() Type { return t & kindMask }

// Has reports whether every flag of f is set.
func (t Type) Has(f Type) bool { return t&f == f }

var kindLetters = map[Type]byte{
	TypeEmail: 'e', TypeNetnews: 'n', TypeCollection: 'b', TypeCalendar: 'c',
	TypeAddressbook: 'a', TypeJMAPSubmit: 's', TypeJMAPPushSub: 'p', TypeSieve: 'f',
}

// flagLetters in the order Cyrus prints them.
var flagLetters = []struct {
	f Type
	c byte
}{{Deleted, 'd'}, {Moving, 'm'}, {Remote, 'r'}, {Reserved, 'z'}, {Intermediate, 'i'}, {LegacyDirs, 'l'}}

// String prints the type as mailboxes.db stores it: the kind letter, then
// the flag letters in Cyrus's order ("e", "ed", "el", "ei"...). A kind
// Cyrus has no letter for prints nothing for the kind.
func (t Type) String() string {
	var b strings.Builder
	if c, ok := kindLetters[t.Kind()]; ok {
		b.WriteByte(c)
	}
	for _, fl := range flagLetters {
		if t&fl.f != 0 {
			b.WriteByte(fl.c)
		}
	}
	return b.String()
}

// ParseType reads an mbtype string the way Cyrus 3.6.1 does
// (mboxlist_string_to_mbtype): the first letter is the kind unless it is a
// flag letter (old entries may have no kind letter, meaning email); then
// flag letters. 'f' is also accepted as a flag letter, as Cyrus does. Unknown
// letters are ignored (Cyrus asserts on them; a reader of foreign data must
// not crash).
func ParseType(s string) Type {
	var t Type
	if s == "" {
		return t
	}
	switch s[0] {
	case 'a':
		t, s = TypeAddressbook, s[1:]
	case 'b':
		t, s = TypeCollection, s[1:]
	case 'c':
		t, s = TypeCalendar, s[1:]
	case 'e':
		t, s = TypeEmail, s[1:]
	case 'n':
		t, s = TypeNetnews, s[1:]
	case 'p':
		t, s = TypeJMAPPushSub, s[1:]
	case 's':
		t, s = TypeJMAPSubmit, s[1:]
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'd':
			t |= Deleted
		case 'f':
			t |= TypeSieve
		case 'i':
			t |= Intermediate
		case 'l':
			t |= LegacyDirs
		case 'm':
			t |= Moving
		case 'r':
			t |= Remote
		case 'z':
			t |= Reserved
		}
	}
	return t
}
