package mboxname

import (
	"fmt"
	"strings"
)

// MaxNameLen is the longest internal name Cyrus accepts (MAX_MAILBOX_NAME).
const MaxNameLen = 490

// goodChars are the bytes Cyrus allows in a mailbox name outside
// modified UTF-7 runs. Of the printable ASCII characters it leaves out
// ! " % & / ; < > \ ` { | } ('&' starts UTF-7, '!' only after a domain).
var goodChars [256]bool

func init() {
	for _, c := range []byte(" #$'()*+,-.0123456789:=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz~") {
		goodChars[c] = true
	}
}

func badName(name, why string) error {
	return fmt.Errorf("%q: %s: %w", name, why, ErrBadName)
}

// PolicyCheck applies Cyrus 3.6.1's site policy to an internal name
// (mboxname_policycheck) and returns an error wrapping ErrBadName when
// Cyrus would refuse it. Names in the DELETED hierarchy pass unchecked,
// as in Cyrus, so that old long names can still be deleted.
func (ns *Namespace) PolicyCheck(intname string) error {
	name := intname
	// mailboxes.db keys starting with '$' are reserved ($RACL...).
	if strings.HasPrefix(name, "$") {
		return badName(intname, "leading '$'")
	}
	if ns.ParseInternal(name).Deleted != 0 {
		return nil
	}
	if len(name) > MaxNameLen {
		return badName(intname, fmt.Sprintf("longer than %d bytes", MaxNameLen))
	}
	hasDomain := false
	if i := strings.IndexByte(name, '!'); i >= 0 {
		if ns.VirtDomains == VirtDomainsOff {
			return badName(intname, "'!' without virtdomains")
		}
		name, hasDomain = name[i+1:], true
	}
	switch {
	case name == "":
		return badName(intname, "empty")
	case name[0] == '.':
		return badName(intname, "leading separator")
	case name[0] == '~':
		return badName(intname, "leading '~'")
	case name[len(name)-1] == '.':
		return badName(intname, "trailing separator")
	case strings.Contains(name, ".."):
		return badName(intname, "empty component")
	case strings.ContainsAny(name, "\r\n\t"):
		return badName(intname, "control whitespace")
	case name == "user":
		return badName(intname, "bare user hierarchy")
	case name == "user.anyone", name == "user.anonymous":
		return badName(intname, "reserved user")
	case strings.HasPrefix(name, "user.%"):
		return badName(intname, "user id starting with '%'")
	}
	if err := checkChars(name, hasDomain); err != nil {
		return badName(intname, err.Error())
	}
	return nil
}

// checkChars walks the name: GOODCHARS outside '&'...'-' runs, and each
// run must be well-formed modified UTF-7 that encodes only non-ASCII
// characters, with no two encoded runs back to back.
func checkChars(name string, hasDomain bool) error {
	sawUTF7 := false
	i := 0
	for i < len(name) {
		c := name[i]
		if c != '&' {
			if !goodChars[c] && !(hasDomain && c == '!') {
				return fmt.Errorf("bad character %q", c)
			}
			sawUTF7 = false
			i++
			continue
		}
		i++ // past '&'
		start := i
		for i >= len(name) || name[i] != '-' {
			if sawUTF7 {
				return fmt.Errorf("adjacent UTF-7 runs")
			}
			var v [8]int
			get := func(k int) bool {
				if i >= len(name) || mod64[name[i]] < 0 {
					return false
				}
				v[k] = int(mod64[name[i]])
				i++
				return true
			}
			if !get(0) || !get(1) || !get(2) {
				return fmt.Errorf("bad UTF-7 character")
			}
			if u := v[0]<<10 | v[1]<<4 | v[2]>>2; u&0xff80 == 0 {
				return fmt.Errorf("UTF-7 encodes ASCII")
			}
			if i < len(name) && name[i] == '-' {
				if v[2]&0x03 != 0 {
					return fmt.Errorf("UTF-7 trailing bits")
				}
				break
			}
			if !get(3) || !get(4) || !get(5) {
				return fmt.Errorf("bad UTF-7 character")
			}
			if u := (v[2]&0x03)<<14 | v[3]<<8 | v[4]<<2 | v[5]>>4; u&0xff80 == 0 {
				return fmt.Errorf("UTF-7 encodes ASCII")
			}
			if i < len(name) && name[i] == '-' {
				if v[5]&0x0f != 0 {
					return fmt.Errorf("UTF-7 trailing bits")
				}
				break
			}
			if !get(6) || !get(7) {
				return fmt.Errorf("bad UTF-7 character")
			}
			if u := (v[5]&0x0f)<<12 | v[6]<<6 | v[7]; u&0xff80 == 0 {
				return fmt.Errorf("UTF-7 encodes ASCII")
			}
		}
		// "&-" is a literal '&' and does not count as an encoded run.
		sawUTF7 = i > start
		i++ // past '-'
	}
	return nil
}

// CheckCreate applies the name checks IMAP CREATE makes before it looks
// at the mailbox list: the INBOX.INBOX guard Cyrus keeps for broken
// clients (two leading components both spelled INBOX in any case) and
// PolicyCheck of the internal name.
func (ns *Namespace) CheckCreate(n Name) error {
	if len(n.Boxes) > 1 && asciiEqualFold(n.Boxes[0], "INBOX") && asciiEqualFold(n.Boxes[1], "INBOX") {
		return badName(ns.Internal(n), "INBOX.INBOX")
	}
	return ns.PolicyCheck(ns.Internal(n))
}

// CreateName is the name side of IMAP CREATE: one trailing separator is
// ignored (Cyrus "we don't care about trailing hierarchy delimiters"),
// the name is parsed for viewer v and must pass CheckCreate. Any error
// wraps ErrBadName or is ErrSpecialUse.
func (ns *Namespace) CreateName(ext string, v Viewer) (Name, error) {
	if ext != "" && ext[len(ext)-1] == ns.Sep() {
		ext = ext[:len(ext)-1]
	}
	n, err := ns.ParseExternal(ext, v)
	if err != nil {
		return n, err
	}
	return n, ns.CheckCreate(n)
}

// RenameName is the name side of IMAP RENAME for either argument: Cyrus
// 3.6.1 copies each internal name into a MAX_MAILBOX_NAME buffer, so a
// longer name is silently cut to MaxNameLen-1 bytes before anything else
// looks at it (a RENAME to a 491-byte name succeeds under the shorter
// name). The target must then pass PolicyCheck; the caller checks it.
func (ns *Namespace) RenameName(ext string, v Viewer) (Name, error) {
	n, err := ns.ParseExternal(ext, v)
	if err != nil {
		return n, err
	}
	if in := ns.Internal(n); len(in) > MaxNameLen-1 {
		n = ns.ParseInternal(in[:MaxNameLen-1])
	}
	return n, nil
}
