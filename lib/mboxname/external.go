package mboxname

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadName means a name cannot be a mailbox name (Cyrus
// IMAP_MAILBOX_BADNAME, "Invalid mailbox name").
var ErrBadName = errors.New("Invalid mailbox name")

// ErrSpecialUse is returned by ParseExternal for a name starting with a
// backslash: Cyrus reads it as a special-use reference ("\Sent"), which
// the caller resolves through the mailbox list (mboxlist_find_specialuse).
var ErrSpecialUse = errors.New("mailbox name is a special-use reference")

// Category says how a name relates to a viewer (Cyrus MBNAME_*).
type Category uint8

const (
	CatInbox        Category = iota + 1 // the viewer's INBOX
	CatInboxSub                         // below "INBOX" spelled exactly (altnamespace)
	CatAltInbox                         // a folder called INBOX (altnamespace)
	CatAltPrefix                        // shown under the alt prefix (altnamespace)
	CatOwner                            // one of the viewer's folders
	CatOtherUser                        // another user's folder
	CatShared                           // a shared folder
	CatOwnerDeleted                     // the viewer's deleted folder
	CatOtherDeleted                     // someone else's deleted folder
)

// Category classifies n for viewer v (Cyrus mbname_category).
func (ns *Namespace) Category(n Name, v Viewer) Category {
	if n.LocalPart == "" {
		return CatShared
	}
	if n.Deleted != 0 {
		if n.UserID() != v.UserID {
			return CatOtherDeleted
		}
		return CatOwnerDeleted
	}
	if n.UserID() != v.UserID {
		return CatOtherUser
	}
	if len(n.Boxes) == 0 {
		return CatInbox
	}
	if ns.isAlt(v) {
		top := n.Boxes[0]
		switch {
		case top == "INBOX":
			if len(n.Boxes) == 1 {
				return CatAltInbox
			}
			return CatInboxSub
		case asciiEqualFold(top, "INBOX"),
			top == ns.UserPrefix, top == ns.SharedPrefix, top == ns.AltPrefix:
			return CatAltPrefix
		}
	}
	return CatOwner
}

// splitDomainSuffix cuts "name@domain" at the last '@'; the domain is
// dropped ("") when it is the default domain.
func (ns *Namespace) splitDomainSuffix(s string) (rest, domain string, found bool) {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return s, "", false
	}
	d := s[at+1:]
	if d == ns.DefaultDomain {
		d = ""
	}
	return s[:at], d, true
}

// ParseExternal takes apart a name as viewer v typed it (Cyrus
// mbname_from_extname). ErrBadName means the name holds a character that
// cannot be stored ('/' with the '.' separator, '^' with '/'); a name that
// parses may still fail PolicyCheck. Empty components are dropped, as
// Cyrus does ("INBOX..a" is "INBOX.a").
func (ns *Namespace) ParseExternal(ext string, v Viewer) (Name, error) {
	var n Name
	if strings.HasPrefix(ext, `\`) {
		return n, ErrSpecialUse
	}
	if ext == "" {
		return n, nil
	}
	crossdomains := ns.CrossDomains && !v.IsAdmin
	cdother := ns.CrossDomainsOnlyOther
	admindomains := ns.VirtDomains != VirtDomainsOff && v.IsAdmin
	user := ns.FromUserID(v.UserID)

	work := ext
	switch {
	case admindomains:
		if rest, d, ok := ns.splitDomainSuffix(work); ok {
			work, n.Domain = rest, d
		} else {
			n.Domain = user.Domain // a domain admin
		}
	case !crossdomains:
		n.Domain = user.Domain
	}

	sep := ns.Sep()
	boxes := splitNonEmpty(work, sep)
	for i, b := range boxes {
		if strings.IndexByte(b, '/') >= 0 {
			return Name{Domain: n.Domain}, fmt.Errorf("%q: '/' in a name: %w", ext, ErrBadName)
		}
		if strings.IndexByte(b, '^') >= 0 {
			if sep == '/' {
				return Name{Domain: n.Domain}, fmt.Errorf("%q: '^' in a name: %w", ext, ErrBadName)
			}
			boxes[i] = strings.ReplaceAll(b, "^", ".")
		}
	}
	if len(boxes) == 0 {
		return n, nil
	}

	// userDomain handles "user@domain" under crossdomains.
	userDomain := func(local string) string {
		if !crossdomains || local == "" {
			return local
		}
		if rest, d, ok := ns.splitDomainSuffix(local); ok {
			n.Domain = d
			return rest
		}
		if cdother {
			n.Domain = user.Domain
		}
		return local
	}
	own := func() {
		n.LocalPart = user.LocalPart
		if crossdomains {
			n.Domain = user.Domain
		}
	}

	if ns.isAlt(v) {
		top := boxes[0]
		switch {
		case top == ns.AltPrefix:
			own()
			n.Boxes = boxes[1:]
		case top == ns.UserPrefix:
			boxes = boxes[1:]
			if len(boxes) > 0 {
				n.LocalPart = userDomain(boxes[0])
				boxes = boxes[1:]
			}
			n.Boxes = boxes
		case top == ns.SharedPrefix:
			boxes = boxes[1:]
			if crossdomains {
				if len(boxes) > 0 && strings.IndexByte(boxes[0], '@') >= 0 {
					rest, d, _ := ns.splitDomainSuffix(boxes[0])
					boxes[0], n.Domain = rest, d
				} else if cdother {
					n.Domain = user.Domain
				}
			}
			n.Boxes = boxes
		default:
			own()
			if asciiEqualFold(top, "INBOX") {
				if len(boxes) == 1 {
					boxes = boxes[1:]
				} else {
					boxes[0] = "INBOX"
				}
			}
			n.Boxes = boxes
		}
		n.Boxes = nilIfEmpty(n.Boxes)
		return n, nil
	}

	if asciiEqualFold(boxes[0], "INBOX") {
		own()
		n.Boxes = nilIfEmpty(boxes[1:])
		return n, nil
	}
	if v.IsAdmin && boxes[0] == ns.DeletedPrefix {
		boxes = boxes[1:]
		if len(boxes) == 0 {
			return n, nil
		}
		n.Deleted = strtoul16(boxes[len(boxes)-1])
		boxes = boxes[:len(boxes)-1]
	}
	if len(boxes) == 0 {
		return n, nil
	}
	if boxes[0] == "user" {
		boxes = boxes[1:]
		if len(boxes) > 0 {
			n.LocalPart = userDomain(boxes[0])
			boxes = boxes[1:]
		}
		n.Boxes = nilIfEmpty(boxes)
		return n, nil
	}
	// Shared folders are in the viewer's domain, unless admin.
	if (ns.VirtDomains != VirtDomainsOff && !v.IsAdmin) || crossdomains {
		n.Domain = user.Domain
	}
	n.Boxes = boxes
	return n, nil
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// extComp writes one component for the outside: a literal '.' stays a
// '.' with the '/' separator and becomes '^' with '.'.
func (ns *Namespace) extComp(b *strings.Builder, s string) {
	if ns.UnixHierarchySep {
		b.WriteString(s)
		return
	}
	b.WriteString(strings.ReplaceAll(s, ".", "^"))
}

// External returns the name viewer v sees for n (Cyrus mbname_extname).
// ok is false when n has no external form for v: deleted mailboxes in the
// alternate namespace, shared folders of another domain, an empty name...
func (ns *Namespace) External(n Name, v Viewer) (string, bool) {
	crossdomains := ns.CrossDomains && !v.IsAdmin
	cdother := ns.CrossDomainsOnlyOther
	admindomains := ns.VirtDomains != VirtDomainsOff && v.IsAdmin
	user := ns.FromUserID(v.UserID)
	sep := ns.Sep()
	var b strings.Builder

	appendDomain := func() {
		if !cdother || n.Domain != user.Domain {
			d := n.Domain
			if d == "" {
				d = ns.DefaultDomain
			}
			b.WriteByte('@')
			ns.extComp(&b, d)
		}
	}
	rest := func(boxes []string) {
		for _, box := range boxes {
			b.WriteByte(sep)
			ns.extComp(&b, box)
		}
	}

	if ns.isAlt(v) {
		if n.Deleted != 0 {
			return "", false
		}
		switch {
		case n.LocalPart == "":
			if len(n.Boxes) == 0 {
				return "", false
			}
			if len(n.Boxes) == 1 && n.Boxes[0] == "user" {
				b.WriteString(ns.UserPrefix)
				break
			}
			b.WriteString(ns.SharedPrefix)
			b.WriteByte(sep)
			ns.extComp(&b, n.Boxes[0])
			if crossdomains {
				appendDomain()
			}
			rest(n.Boxes[1:])
		case n.UserID() != v.UserID:
			b.WriteString(ns.UserPrefix)
			b.WriteByte(sep)
			ns.extComp(&b, n.LocalPart)
			if crossdomains {
				appendDomain()
			}
			rest(n.Boxes)
		case len(n.Boxes) == 0:
			b.WriteString("INBOX")
		default:
			top := n.Boxes[0]
			if asciiEqualFold(top, "INBOX") {
				if len(n.Boxes) == 1 || top != "INBOX" {
					b.WriteString(ns.AltPrefix)
					b.WriteByte(sep)
				}
			} else if top == ns.UserPrefix || top == ns.SharedPrefix || top == ns.AltPrefix {
				b.WriteString(ns.AltPrefix)
				b.WriteByte(sep)
			}
			ns.extComp(&b, top)
			rest(n.Boxes[1:])
		}
		return b.String(), true
	}

	if n.Deleted != 0 {
		b.WriteString(ns.DeletedPrefix)
		b.WriteByte(sep)
	}
	switch {
	case n.LocalPart == "":
		if len(n.Boxes) == 0 || asciiEqualFold(n.Boxes[0], "INBOX") {
			return "", false
		}
		if !admindomains && n.Domain != user.Domain {
			return "", false
		}
		ns.extComp(&b, n.Boxes[0])
		rest(n.Boxes[1:])
	case n.Deleted != 0 || n.UserID() != v.UserID:
		b.WriteString("user")
		b.WriteByte(sep)
		ns.extComp(&b, n.LocalPart)
		if crossdomains {
			appendDomain()
		} else if !admindomains && n.Domain != user.Domain {
			return "", false
		}
		rest(n.Boxes)
	default:
		b.WriteString("INBOX")
		rest(n.Boxes)
	}
	if n.Deleted != 0 {
		b.WriteByte(sep)
		b.WriteString(hexTime(n.Deleted))
	}
	if admindomains && n.Domain != "" {
		b.WriteByte('@')
		b.WriteString(n.Domain)
	}
	return b.String(), true
}

// ToInternal converts an external name typed by v to the internal name.
func (ns *Namespace) ToInternal(ext string, v Viewer) (string, error) {
	n, err := ns.ParseExternal(ext, v)
	if err != nil {
		return "", err
	}
	return ns.Internal(n), nil
}

// ToExternal converts an internal name to what v sees; ok is false when
// v cannot see it under any name.
func (ns *Namespace) ToExternal(intname string, v Viewer) (string, bool) {
	return ns.External(ns.ParseInternal(intname), v)
}

// asciiEqualFold compares ASCII case-insensitively, as C strcasecmp does
// in the C locale (no Unicode folding: "ınbox" is not "INBOX").
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
