package mboxname

import "strings"

// FromRecipient takes apart an LMTP recipient "local[+detail]@domain"
// (Cyrus mbname_from_recipient). The domain counts only with virtdomains
// and when it is not the default domain. The detail names a folder: it is
// split at the hierarchy separator (empty parts dropped) after conversion
// from UTF-8 to modified UTF-7 (invalid UTF-8 bytes become U+FFFD).
// localPart is returned too because Cyrus distinguishes an empty local
// part ("+shared.folder@...", delivery to a shared folder through
// postuser) from a missing one, which Name cannot.
func (ns *Namespace) FromRecipient(recipient string) (n Name, localPart string) {
	local := recipient
	if at := strings.LastIndexByte(recipient, '@'); at >= 0 {
		local = recipient[:at]
		if d := recipient[at+1:]; ns.VirtDomains != VirtDomainsOff && d != ns.DefaultDomain {
			n.Domain = d
		}
	}
	if plus := strings.IndexByte(local, '+'); plus >= 0 {
		detail := strings.ToValidUTF8(local[plus+1:], "\uFFFD")
		local = local[:plus]
		if enc, err := EncodeUTF7(detail); err == nil {
			n.Boxes = splitNonEmpty(enc, ns.Sep())
		}
	}
	n.LocalPart = local
	return n, local
}

// Recipient is the LMTP address that delivers into n (Cyrus
// mbname_recipient): "local+box.box@domain", shared folders through
// PostUser, the default domain when n has none. Deleted mailboxes have
// none (ok false).
func (ns *Namespace) Recipient(n Name) (string, bool) {
	if n.Deleted != 0 {
		return "", false
	}
	var b strings.Builder
	if n.LocalPart != "" {
		b.WriteString(n.LocalPart)
	} else {
		b.WriteString(ns.PostUser)
	}
	for i, box := range n.Boxes {
		if i == 0 {
			b.WriteByte('+')
		} else {
			b.WriteByte(ns.Sep())
		}
		b.WriteString(box)
	}
	b.WriteByte('@')
	if n.Domain != "" {
		b.WriteString(n.Domain)
	} else {
		b.WriteString(ns.DefaultDomain)
	}
	return b.String(), true
}
