package deliver

import (
	"context"
	"strings"

	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
)

// Target is one mailbox a message may go to.
type Target struct {
	// Mailbox is the internal mailbox name.
	Mailbox string
	// Flags are IMAP flags to set on the new message (system flags such
	// as `\Seen` and keywords); the Router answers for them.
	Flags []string
	// Auth, when set, must hold the 'p' (post) right on the mailbox;
	// nil skips the ACL (Cyrus's acloverride, used for a user's INBOX).
	Auth *Auth
	// IgnoreQuota skips the quota check (IGNOREQUOTA, deliver -q).
	IgnoreQuota bool
	// Fuzzy: when the mailbox does not exist, look for one whose name
	// differs only in case or in ' ', '-', '_' (lmtp_fuzzy_mailbox_match).
	Fuzzy bool
}

// Delivery puts the message into one mailbox: the first of Targets that
// exists, lets Auth post, is under quota and is not excluded takes it.
// If none does, the error of the last one is the delivery's.
type Delivery struct {
	Targets []Target
}

// Plan is what happens to a message for one recipient: each Delivery
// puts it into one mailbox. No deliveries means the message is dropped
// on purpose (a Sieve discard) and the recipient gets success.
type Plan struct {
	Deliveries []Delivery
}

// Router decides, for each recipient of a message, which mailboxes get
// it and with which flags. It is THE place where Sieve plugs in: a
// Router that runs the recipient's script returns fileinto targets
// (with their flags and the fallback to the INBOX), and LocalPlan for an
// implicit keep. Route runs in the session's goroutine, before the group
// commit; it must not append anything itself.
type Router interface {
	Route(ctx context.Context, m *Message, r *Recipient) (Plan, error)
}

// RouterFunc adapts a function to Router.
type RouterFunc func(ctx context.Context, m *Message, r *Recipient) (Plan, error)

// Route calls f.
func (f RouterFunc) Route(ctx context.Context, m *Message, r *Recipient) (Plan, error) {
	return f(ctx, m, r)
}

// route is the one function that decides, for one recipient of a
// message, the target folders and the flags of each delivery: the
// Router when there is one (Sieve), LocalPlan otherwise. Deliver calls
// it for every recipient and nothing else chooses a mailbox; the
// committer only checks and appends what the Plan says.
func (d *Deliverer) route(ctx context.Context, m *Message, r *Recipient) (Plan, error) {
	if d.o.Router != nil {
		return d.o.Router.Route(ctx, m, r)
	}
	return d.LocalPlan(m, r), nil
}

// LocalPlan is Cyrus's delivery without a Sieve script (lmtpd.c
// deliver_local): a shared folder gets the message if the poster has
// 'p' there; user+detail goes to that folder of the user when the poster
// has 'p' there (fuzzy-matched with lmtp_fuzzy_mailbox_match), and
// otherwise, for any reason, to the user's INBOX, whose ACL is not
// checked.
func (d *Deliverer) LocalPlan(m *Message, r *Recipient) Plan {
	auth := m.Auth
	n := r.Name
	if n.LocalPart == "" {
		return Plan{Deliveries: []Delivery{{Targets: []Target{
			{Mailbox: d.ns.Internal(n), Auth: &auth, IgnoreQuota: r.IgnoreQuota},
		}}}}
	}
	var targets []Target
	if len(n.Boxes) > 0 {
		targets = append(targets, Target{Mailbox: d.ns.Internal(n), Auth: &auth,
			IgnoreQuota: r.IgnoreQuota, Fuzzy: d.o.FuzzyMatch})
	}
	inbox := n
	inbox.Boxes = nil
	targets = append(targets, Target{Mailbox: d.ns.Internal(inbox), IgnoreQuota: r.IgnoreQuota})
	return Plan{Deliveries: []Delivery{{Targets: targets}}}
}

// fuzzyMatch is Cyrus's fuzzy_match: among the mailboxes of n's user (or
// domain, for shared folders), the first whose leading components match
// most of n's, comparing case-insensitively and taking ' ', '-' and '_'
// as equal. It returns n with those components.
func (d *Deliverer) fuzzyMatch(n mboxname.Name) (mboxname.Name, bool) {
	prefix := ""
	if n.LocalPart != "" {
		u := n
		u.Boxes = nil
		prefix = d.ns.Internal(u) + "."
	} else if n.Domain != "" {
		prefix = n.Domain + "!"
	}
	var best []string
	depth := 0
	want := n.Boxes
	d.o.List.Foreach(prefix, 0, func(e *mboxlist.Entry) error {
		have := d.ns.ParseInternal(e.Name).Boxes
		dep := 0
		for i := 0; i < len(want) && i < len(have); i++ {
			if !fuzzyEq(want[i], have[i]) {
				break
			}
			dep = i + 1
		}
		if dep > depth {
			best, depth = have, dep
		}
		if depth == len(want) {
			return mboxlist.ErrStop
		}
		return nil
	})
	if best == nil {
		return n, false
	}
	m := n.Clone()
	m.Boxes = append([]string(nil), best...)
	return m, true
}

// fuzzyEq compares two components as Cyrus's fuzzyeq.
func fuzzyEq(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if lower(x) == lower(y) {
			continue
		}
		if strings.IndexByte("- _", x) >= 0 && strings.IndexByte("- _", y) >= 0 {
			continue
		}
		return false
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
