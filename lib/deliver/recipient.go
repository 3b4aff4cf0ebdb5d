package deliver

import (
	"errors"
	"strings"

	"gyrus/lib/acl"
	"gyrus/lib/mboxname"
	"gyrus/lib/quota"
)

// Auth is who the message is posted as: the AUTH= parameter of MAIL
// FROM (RFC 4954 5), or nobody (UserID "", Cyrus's NULL auth state,
// which ACLs see as anonymous).
type Auth struct {
	UserID string
}

// Identity is the ACL identity of a.
func (a Auth) Identity() acl.Identity {
	if a.UserID == "" {
		return acl.Anonymous
	}
	return acl.Identity{UserID: a.UserID}
}

// Recipient is one accepted RCPT TO: where the address points.
type Recipient struct {
	// Address is the address as given, without angle brackets and
	// source route.
	Address string
	// Name is the mailbox the address names: a user's INBOX or a folder
	// below it (Name.LocalPart set), or a shared folder.
	Name mboxname.Name
	// IgnoreQuota is the IGNOREQUOTA parameter (or deliver -q).
	IgnoreQuota bool

	// partition is where Verify found the mailbox (StageDir's choice,
	// advisory: a mailbox moved since gets a copy instead of a link).
	partition string
}

// UserID is the owning user, "" for a shared folder.
func (r *Recipient) UserID() string { return r.Name.UserID() }

// ParseAddress turns an address into the mailbox name it designates,
// as Cyrus's process_recipient does: local[+detail]@domain, the domain
// counting only with virtdomains, lmtp_downcase_rcpt lowercasing the
// local part and domain (not the detail), and the postuser local part
// (default empty) meaning a shared folder.
func (d *Deliverer) ParseAddress(addr string) mboxname.Name {
	n, _ := d.ns.FromRecipient(addr)
	if d.o.DowncaseRcpt {
		n.LocalPart = strings.ToLower(n.LocalPart)
		n.Domain = strings.ToLower(n.Domain)
	}
	if n.LocalPart == d.o.PostUser {
		n.LocalPart = ""
		if d.ns.VirtDomains == mboxname.VirtDomainsOff || n.Domain == d.ns.DefaultDomain {
			n.Domain = ""
		}
	}
	return n
}

// Verify is RCPT TO (Cyrus process_recipient and verify_user): addr is
// the address without angle brackets or source route; size is the SIZE=
// of MAIL FROM (0 if none). A user must have an INBOX (the ACL does not
// matter there; delivery may always go to the INBOX), a shared folder
// must grant auth the 'p' right. The quota root may not already be over
// its limit (with lmtp_strict_quota: must have room for size bytes and
// one message); IGNOREQUOTA skips the storage and message checks.
// An unknown address goes to lmtp_catchall_mailbox when it is set.
func (d *Deliverer) Verify(addr string, ignoreQuota bool, size int64, auth Auth) (*Recipient, error) {
	var err error
	if addr != "" {
		n := d.ParseAddress(addr)
		var part string
		if err = d.verifyUser(n, ignoreQuota, size, auth, &part); err == nil {
			return &Recipient{Address: addr, Name: n, IgnoreQuota: ignoreQuota, partition: part}, nil
		}
	}
	if d.o.CatchAll != "" {
		n := d.ns.FromUserID(d.o.CatchAll)
		var part string
		if err = d.verifyUser(n, ignoreQuota, size, auth, &part); err == nil {
			return &Recipient{Address: addr, Name: n, IgnoreQuota: ignoreQuota, partition: part}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return nil, ErrMailboxNonexistent
}

// verifyUser checks n and sets *partition to its mailbox's partition.
func (d *Deliverer) verifyUser(n mboxname.Name, ignoreQuota bool, size int64, auth Auth, partition *string) error {
	shared := n.LocalPart == ""
	if !shared {
		n.Boxes = nil // a user is checked by the INBOX
	}
	e, err := d.lookup(d.ns.Internal(n))
	if shared && d.o.FuzzyMatch && err != nil && CodeOf(err) == CodeMailboxNonexistent {
		if m, ok := d.fuzzyMatch(n); ok {
			e, err = d.lookup(d.ns.Internal(m))
		}
	}
	if err != nil {
		return err
	}
	*partition = e.Partition
	if shared {
		r := d.rights(auth.Identity(), e)
		if !r.Has(acl.Post) {
			if r.Has(acl.Lookup) {
				return ErrPermissionDenied
			}
			return ErrMailboxNonexistent
		}
	}
	// Cyrus: every resource is checked with a zero delta (so a root
	// already over any limit refuses), storage and messages with the
	// message's size and 1 under lmtp_strict_quota, not at all with
	// IGNOREQUOTA.
	var diff [quota.NumResources]int64
	switch {
	case ignoreQuota:
		diff[quota.Storage], diff[quota.Message] = -1, -1
	case d.o.StrictQuota:
		diff[quota.Storage], diff[quota.Message] = size, 1
	}
	if err := d.checkQuota(e.Name, diff); err != nil {
		return err
	}
	if !shared && d.o.Deny != nil {
		if denied, _, derr := d.o.Deny.Check(n.UserID(), d.o.Ident); derr == nil && denied {
			return ErrMailboxDisabled
		}
	}
	return nil
}

// checkQuota checks the quota root of mailbox name against diff (Cyrus
// quota_check_useds: -1 means "do not check that resource").
func (d *Deliverer) checkQuota(name string, diff [quota.NumResources]int64) error {
	if d.o.Quota == nil {
		return nil
	}
	root, ok, err := d.o.Quota.FindRoot(name)
	if err != nil {
		return &Error{Code: CodeIO, Err: err}
	}
	if !ok {
		return nil
	}
	if err := d.o.Quota.CheckUseds(root, diff); err != nil {
		if isOverQuota(err) {
			return ErrQuotaExceeded
		}
		return &Error{Code: CodeIO, Err: err}
	}
	return nil
}

func isOverQuota(err error) bool {
	return errors.Is(err, quota.ErrOverQuota)
}
