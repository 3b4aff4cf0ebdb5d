package mboxname

import (
	"errors"
	"fmt"
	"strings"
)

// VirtDomains is the imapd.conf "virtdomains" setting.
type VirtDomains uint8

const (
	VirtDomainsOff    VirtDomains = iota // "off": no domains in names
	VirtDomainsUserID                    // "userid": the domain comes from the login name
	VirtDomainsOn                        // "on": also from the server address (the name rules are the same)
)

// ParseVirtDomains reads the imapd.conf value: "off", "userid" or "on";
// like Cyrus's enum reader it also takes 1/yes/t/true for "on" and
// 0/no/f/false for "off".
func ParseVirtDomains(s string) (VirtDomains, error) {
	switch s {
	case "off", "0", "no", "f", "false":
		return VirtDomainsOff, nil
	case "userid":
		return VirtDomainsUserID, nil
	case "on", "1", "yes", "t", "true":
		return VirtDomainsOn, nil
	}
	return VirtDomainsOff, fmt.Errorf("virtdomains: unknown value %q", s)
}

func (v VirtDomains) String() string {
	switch v {
	case VirtDomainsUserID:
		return "userid"
	case VirtDomainsOn:
		return "on"
	}
	return "off"
}

// Namespace holds the imapd.conf settings that shape mailbox names. The
// zero value is not useful: start from DefaultNamespace (Cyrus's built-in
// defaults) or NamespaceFromConfig.
type Namespace struct {
	AltNamespace          bool        // altnamespace: personal folders at the top level
	UnixHierarchySep      bool        // unixhierarchysep: '/' instead of '.' outside
	VirtDomains           VirtDomains // virtdomains
	DefaultDomain         string      // defaultdomain: names in it carry no domain
	UserPrefix            string      // userprefix: other users' folders in altnamespace
	SharedPrefix          string      // sharedprefix: shared folders in altnamespace
	AltPrefix             string      // altprefix: INBOX look-alikes in altnamespace
	DeletedPrefix         string      // deletedprefix: delayed-delete hierarchy
	CrossDomains          bool        // crossdomains: users see other domains
	CrossDomainsOnlyOther bool        // crossdomains_onlyother
	PostUser              string      // postuser: local part for shared-folder delivery
}

// DefaultNamespace returns Cyrus 3.6.1's compiled-in defaults (note that
// Debian's packaged imapd.conf turns altnamespace and unixhierarchysep
// off).
func DefaultNamespace() Namespace {
	return Namespace{
		AltNamespace:     true,
		UnixHierarchySep: true,
		VirtDomains:      VirtDomainsOff,
		DefaultDomain:    "internal",
		UserPrefix:       "Other Users",
		SharedPrefix:     "Shared Folders",
		AltPrefix:        "Alt Folders",
		DeletedPrefix:    "DELETED",
	}
}

// Sep returns the external hierarchy separator: '/' or '.'.
func (ns *Namespace) Sep() byte {
	if ns.UnixHierarchySep {
		return '/'
	}
	return '.'
}

// isAlt reports whether viewer v gets the alternate namespace: admins
// never do (Cyrus mboxname_init_namespace).
func (ns *Namespace) isAlt(v Viewer) bool { return ns.AltNamespace && !v.IsAdmin }

// ErrBadPrefix is returned by Validate for unusable altnamespace prefixes
// (Cyrus IMAP_NAMESPACE_BADPREFIX).
var ErrBadPrefix = errors.New("Invalid namespace prefix in configuration file")

// maxNamespacePrefix is Cyrus's MAX_NAMESPACE_PREFIX.
const maxNamespacePrefix = 40

// Validate checks the altnamespace prefixes as Cyrus does when it sets
// up a namespace; it does nothing when altnamespace is off.
func (ns *Namespace) Validate() error {
	if !ns.AltNamespace {
		return nil
	}
	sep := string(ns.Sep())
	up, sp := ns.UserPrefix, ns.SharedPrefix
	if up == "" || len(up) >= maxNamespacePrefix || strings.Contains(up, sep) {
		return fmt.Errorf("userprefix %q: %w", up, ErrBadPrefix)
	}
	if sp == "" || len(sp) >= maxNamespacePrefix || strings.Contains(sp, sep) ||
		strings.HasPrefix(up+sep, sp) {
		return fmt.Errorf("sharedprefix %q: %w", sp, ErrBadPrefix)
	}
	return nil
}

// Prefixes returns the three NAMESPACE prefixes (RFC 2342) a viewer sees:
// personal, other users, shared; each ends with the separator, "" means
// the namespace is at the top level. An admin gets the standard namespace.
func (ns *Namespace) Prefixes(v Viewer) (personal, other, shared string) {
	sep := string(ns.Sep())
	if ns.isAlt(v) {
		return "", ns.UserPrefix + sep, ns.SharedPrefix + sep
	}
	return "INBOX" + sep, "user" + sep, ""
}

// Viewer is who looks at a name: the canonical user id of the session
// (with "@domain" under virtdomains) and whether it is an admin.
type Viewer struct {
	UserID  string
	IsAdmin bool
}
