package acl

import (
	"fmt"
	"strings"
)

// Rights is a set of ACL rights, with Cyrus's bit values (lib/acl.h) so
// that masks can be compared with Cyrus's own numbers.
type Rights uint32

// RFC 4314 rights (§2.1) and Cyrus's user-defined rights 0-9.
const (
	Lookup      Rights = 0x000001 // l: visible to LIST, SUBSCRIBE
	Read        Rights = 0x000002 // r: SELECT, FETCH, SEARCH, COPY from
	SetSeen     Rights = 0x000004 // s: keep \Seen
	Write       Rights = 0x000008 // w: other flags and keywords
	Insert      Rights = 0x000010 // i: APPEND, COPY into
	Post        Rights = 0x000020 // p: send mail to the submission address (LMTP)
	Create      Rights = 0x000040 // k: CREATE below, RENAME into
	DeleteMbox  Rights = 0x000080 // x: DELETE, RENAME away
	DeleteMsg   Rights = 0x000100 // t: set \Deleted
	Expunge     Rights = 0x000200 // e: EXPUNGE
	Admin       Rights = 0x000400 // a: SETACL, GETACL...
	AnnotateMsg Rights = 0x000800 // n: message annotations
	User1       Rights = 0x001000
	User2       Rights = 0x002000
	User3       Rights = 0x004000
	User4       Rights = 0x008000
	User5       Rights = 0x010000
	User6       Rights = 0x020000
	User7       Rights = 0x040000
	User8       Rights = 0x080000
	User9       Rights = 0x100000
	User0       Rights = 0x200000

	// All is every RFC 4314 right (Cyrus ACL_ALL): what a new user's
	// INBOX grants its owner.
	All = Lookup | Read | SetSeen | Write | Insert | Post | Create | DeleteMbox |
		DeleteMsg | Expunge | Admin | AnnotateMsg
	// Full adds the ten user rights (Cyrus ACL_FULL).
	Full = All | User1 | User2 | User3 | User4 | User5 | User6 | User7 | User8 | User9 | User0
	// ReadWrite are the rights that change a mailbox's messages (Cyrus
	// ACL_READ_WRITE); a read-only SELECT drops them.
	ReadWrite = SetSeen | Write | Insert | DeleteMsg | Expunge | AnnotateMsg
)

// letterBits maps the plain letters; 'c' and 'd' are handled apart.
var letterBits = map[byte]Rights{
	'l': Lookup, 'r': Read, 's': SetSeen, 'w': Write, 'i': Insert, 'p': Post,
	'k': Create, 'x': DeleteMbox, 't': DeleteMsg, 'e': Expunge, 'a': Admin, 'n': AnnotateMsg,
	'0': User0, '1': User1, '2': User2, '3': User3, '4': User4,
	'5': User5, '6': User6, '7': User7, '8': User8, '9': User9,
}

// validLetters are the letters SETACL accepts (Cyrus cyrus_acl_checkstr).
const validLetters = "lrswipckxtedan0123456789"

// InvalidRightError is a rights string with a letter Cyrus does not know;
// IMAP answers it with BAD and this text.
type InvalidRightError struct{ Char byte }

func (e *InvalidRightError) Error() string {
	return fmt.Sprintf("The %c right is not supported", e.Char)
}

// CheckRights validates a SETACL rights argument: an optional leading '+'
// or '-', then only known letters (Cyrus cyrus_acl_checkstr).
func CheckRights(s string) error {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(validLetters, s[i]) < 0 {
			return &InvalidRightError{s[i]}
		}
	}
	return nil
}

// ParseRights turns a rights string into a mask (Cyrus
// cyrus_acl_strtomask). Unknown letters give an *InvalidRightError, but
// the mask of the known ones is still returned (Cyrus keeps going).
func (p *Policy) ParseRights(s string) (Rights, error) {
	var result, legacyCreate, legacyDelete Rights
	var err error
	dr := p.cfg.DeleteRight
	for i := 0; i < len(s); i++ {
		c := s[i]
		bit, known := letterBits[c]
		switch {
		case known:
			result |= bit
		case c == 'c':
			legacyCreate = Create
		case c == 'd':
			legacyDelete = DeleteMsg | Expunge
		}
		if c == dr {
			switch dr {
			case 'c':
				legacyCreate |= DeleteMbox
			case 'd':
				legacyDelete |= DeleteMbox
			default:
				result |= DeleteMbox
			}
		} else if !known && c != 'c' && c != 'd' && err == nil {
			err = &InvalidRightError{c}
		}
	}
	// A macro counts only when none of its member rights is given.
	if result&legacyCreate == 0 {
		result |= legacyCreate
	}
	if result&legacyDelete == 0 {
		result |= legacyDelete
	}
	return result, err
}

// Format prints a mask the way Cyrus stores and shows it (Cyrus
// cyrus_acl_masktostr): letters in a fixed order, with the 'c' and 'd'
// macros added after "e" when any of their member rights is held.
func (p *Policy) Format(r Rights) string {
	legacyCreate := Create
	legacyDelete := DeleteMsg | Expunge
	switch p.cfg.DeleteRight {
	case 'c':
		legacyCreate |= DeleteMbox
	case 'd':
		legacyDelete |= DeleteMbox
	}
	var b strings.Builder
	for _, x := range []struct {
		bit Rights
		c   byte
	}{{Lookup, 'l'}, {Read, 'r'}, {SetSeen, 's'}, {Write, 'w'}, {Insert, 'i'}, {Post, 'p'},
		{Create, 'k'}, {DeleteMbox, 'x'}, {DeleteMsg, 't'}, {Expunge, 'e'}} {
		if r&x.bit != 0 {
			b.WriteByte(x.c)
		}
	}
	if r&legacyCreate != 0 {
		b.WriteByte('c')
	}
	if r&legacyDelete != 0 {
		b.WriteByte('d')
	}
	for _, x := range []struct {
		bit Rights
		c   byte
	}{{Admin, 'a'}, {AnnotateMsg, 'n'}, {User0, '0'}, {User1, '1'}, {User2, '2'}, {User3, '3'},
		{User4, '4'}, {User5, '5'}, {User6, '6'}, {User7, '7'}, {User8, '8'}, {User9, '9'}} {
		if r&x.bit != 0 {
			b.WriteByte(x.c)
		}
	}
	return b.String()
}

// Has reports whether r holds every right in want.
func (r Rights) Has(want Rights) bool { return r&want == want }
