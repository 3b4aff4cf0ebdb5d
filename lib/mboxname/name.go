package mboxname

import (
	"strconv"
	"strings"
)

// Name is a mailbox name taken apart (Cyrus's mbname_t). Components hold
// their real characters: a folder "Sent.Items" is one component with a
// dot, whatever the separator.
type Name struct {
	// Domain is the virtual domain, "" for none or the default domain.
	// (Cyrus can also carry an empty but present domain, from "!x" or
	// from a domain admin typing "x@"; Gyrus reads that as no domain.)
	Domain string
	// LocalPart is the owning user's local part, "" for a shared mailbox.
	LocalPart string
	// Boxes are the folder components below the user's INBOX (or the
	// whole name of a shared mailbox).
	Boxes []string
	// Deleted is the deletion time of a mailbox in the DELETED hierarchy
	// (Unix seconds, printed as %X of its low 32 bits), 0 otherwise.
	Deleted uint64
}

// DB name separators (spec/formats.md §2.1).
const (
	DBHierSep   = '\x1f' // between components
	DBDomainSep = '\x1d' // after the domain
)

// Clone returns a copy that shares nothing with n.
func (n Name) Clone() Name {
	n.Boxes = append([]string(nil), n.Boxes...)
	return n
}

// IsZero reports whether n names nothing (the empty internal name).
func (n Name) IsZero() bool {
	return n.Domain == "" && n.LocalPart == "" && len(n.Boxes) == 0 && n.Deleted == 0
}

// IsUser reports whether n is in a user's hierarchy (and not deleted).
func (n Name) IsUser() bool { return n.LocalPart != "" && n.Deleted == 0 }

// IsInbox reports whether n is a user's INBOX (and not deleted).
func (n Name) IsInbox() bool { return n.IsUser() && len(n.Boxes) == 0 }

// UserID returns "localpart" or "localpart@domain", "" for shared names.
func (n Name) UserID() string {
	if n.LocalPart == "" {
		return ""
	}
	if n.Domain != "" {
		return n.LocalPart + "@" + n.Domain
	}
	return n.LocalPart
}

// SameUser reports whether a and b belong to the same user (or are both
// shared in the same domain), Cyrus's mbname_same_userid.
func SameUser(a, b Name) bool { return a.Domain == b.Domain && a.LocalPart == b.LocalPart }

// FromUserID returns the INBOX of userid ("alice" or "alice@example.com";
// the domain is taken after the last '@' and dropped if it is the default
// domain).
func (ns *Namespace) FromUserID(userid string) Name {
	var n Name
	if userid == "" {
		return n
	}
	if at := strings.LastIndexByte(userid, '@'); at >= 0 {
		n.LocalPart = userid[:at]
		if d := userid[at+1:]; d != ns.DefaultDomain {
			n.Domain = d
		}
	} else {
		n.LocalPart = userid
	}
	return n
}

// splitNonEmpty splits s at sep and drops empty fields, as Cyrus's
// strtok-based strarray_split does.
func splitNonEmpty(s string, sep byte) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexByte(s, sep)
		var f string
		if i < 0 {
			f, s = s, ""
		} else {
			f, s = s[:i], s[i+1:]
		}
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// takeParts applies the DELETED and user rules shared by internal and
// DB names to the split components.
func (ns *Namespace) takeParts(n *Name, boxes []string) {
	if len(boxes) > 2 && boxes[0] == ns.DeletedPrefix {
		n.Deleted = strtoul16(boxes[len(boxes)-1])
		boxes = boxes[1 : len(boxes)-1]
	}
	if len(boxes) > 1 && boxes[0] == "user" {
		n.LocalPart = boxes[1]
		boxes = boxes[2:]
	}
	if len(boxes) > 0 {
		n.Boxes = boxes
	}
}

// ParseInternal takes an internal name apart (Cyrus mbname_from_intname).
// It accepts anything; use PolicyCheck to validate.
func (ns *Namespace) ParseInternal(intname string) Name {
	var n Name
	if intname == "" {
		return n
	}
	if i := strings.IndexByte(intname, '!'); i >= 0 {
		if d := intname[:i]; d != ns.DefaultDomain {
			n.Domain = d
		}
		intname = intname[i+1:]
	}
	boxes := splitNonEmpty(intname, '.')
	for i, b := range boxes {
		boxes[i] = strings.ReplaceAll(b, "^", ".")
	}
	ns.takeParts(&n, boxes)
	return n
}

// ParseDB takes a 3.6 mailboxes.db name apart (0x1D after the domain,
// 0x1F between components).
func (ns *Namespace) ParseDB(dbname string) Name {
	var n Name
	if dbname == "" {
		return n
	}
	if i := strings.IndexByte(dbname, DBDomainSep); i >= 0 {
		if d := dbname[:i]; d != ns.DefaultDomain {
			n.Domain = d
		}
		dbname = dbname[i+1:]
	}
	ns.takeParts(&n, splitNonEmpty(dbname, DBHierSep))
	return n
}

// Internal returns the internal name (Cyrus mbname_intname).
func (ns *Namespace) Internal(n Name) string {
	return ns.build(n, '.', '!', true)
}

// DBName returns the mailboxes.db form of n.
func (ns *Namespace) DBName(n Name) string {
	return ns.build(n, DBHierSep, DBDomainSep, false)
}

func (ns *Namespace) build(n Name, sep, domsep byte, caret bool) string {
	var b strings.Builder
	put := func(s string) {
		if caret {
			b.WriteString(strings.ReplaceAll(s, ".", "^"))
		} else {
			b.WriteString(s)
		}
	}
	if n.Domain != "" {
		b.WriteString(n.Domain)
		b.WriteByte(domsep)
	}
	first := true
	next := func() {
		if !first {
			b.WriteByte(sep)
		}
		first = false
	}
	if n.Deleted != 0 {
		next()
		b.WriteString(ns.DeletedPrefix)
	}
	if n.LocalPart != "" {
		next()
		b.WriteString("user")
		b.WriteByte(sep)
		put(n.LocalPart)
	}
	for _, box := range n.Boxes {
		next()
		put(box)
	}
	if n.Deleted != 0 {
		next()
		b.WriteString(hexTime(n.Deleted))
	}
	return b.String()
}

func hexTime(t uint64) string {
	return strings.ToUpper(strconv.FormatUint(uint64(uint32(t)), 16))
}

// InternalToDB converts an internal name to its mailboxes.db form.
func (ns *Namespace) InternalToDB(intname string) string {
	return ns.DBName(ns.ParseInternal(intname))
}

// DBToInternal converts a mailboxes.db name to the internal form.
func (ns *Namespace) DBToInternal(dbname string) string {
	return ns.Internal(ns.ParseDB(dbname))
}

// UserInbox returns the internal name of userid's INBOX, or of a folder
// below it when sub is given ('.'-separated, internal spelling), Cyrus's
// mboxname_user_mbox.
func (ns *Namespace) UserInbox(userid, sub string) string {
	n := ns.FromUserID(userid)
	if sub != "" {
		n.Boxes = splitNonEmpty(sub, '.')
	}
	return ns.Internal(n)
}

// UserOf returns the user id owning an internal name, "" if shared
// (Cyrus mboxname_to_userid).
func (ns *Namespace) UserOf(intname string) string {
	return ns.ParseInternal(intname).UserID()
}

// strtoul16 mimics C strtoul(s, NULL, 16), which Cyrus uses to read the
// deletion time: leading spaces, a sign, an optional 0x, then as many hex
// digits as there are; no digits gives 0, overflow gives the maximum.
func strtoul16(s string) uint64 {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && hexVal(s[i+2]) >= 0 {
		i += 2
	}
	var n uint64
	over := false
	digits := 0
	for ; i < len(s); i++ {
		d := hexVal(s[i])
		if d < 0 {
			break
		}
		digits++
		if n > (^uint64(0))>>4 {
			over = true
		}
		n = n<<4 | uint64(d)
	}
	if digits == 0 {
		return 0
	}
	if over {
		return ^uint64(0)
	}
	if neg {
		return -n
	}
	return n
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// IsPrefix reports whether internal name long is short or below it
// (Cyrus mboxname_is_prefix).
func IsPrefix(long, short string) bool {
	if !strings.HasPrefix(long, short) {
		return false
	}
	return len(long) == len(short) || long[len(short)] == '.'
}

// Parent returns the internal name of the parent of intname and true, or
// false at the top ("user" or ""), following Cyrus mboxname_make_parent:
// the parent of a top-level name in a domain is the domain entry
// "domain!", and its parent is "".
func (ns *Namespace) Parent(intname string) (string, bool) {
	domlen := 0
	if ns.VirtDomains != VirtDomainsOff {
		if i := strings.IndexByte(intname, '!'); i >= 0 {
			domlen = i + 1
		}
	}
	if intname == "" || intname[domlen:] == "user" {
		return "", false
	}
	if i := strings.LastIndexByte(intname, '.'); i >= 0 && i > domlen {
		return intname[:i], true
	}
	if intname[domlen:] == "" {
		return "", true
	}
	return intname[:domlen], true
}

// ToDeleted returns the name a delayed DELETE gives intname at Unix time
// t: "DELETED.<name>.<HEX>" with the domain kept in front (Cyrus
// mboxname_todeleted).
func (ns *Namespace) ToDeleted(intname string, t int64) string {
	dom := ""
	if ns.VirtDomains != VirtDomainsOff {
		if i := strings.IndexByte(intname, '!'); i >= 0 {
			dom, intname = intname[:i+1], intname[i+1:]
		}
	}
	return dom + ns.DeletedPrefix + "." + intname + "." + hexTime(uint64(t))
}
