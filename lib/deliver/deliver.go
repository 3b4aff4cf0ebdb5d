package deliver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"gyrus/lib/acl"
	"gyrus/lib/annotate"
	"gyrus/lib/config"
	"gyrus/lib/duplicate"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/message"
	"gyrus/lib/quota"
	"gyrus/lib/userdeny"
)

// Options are the settings and stores a Deliverer works with. They are
// plain values so that tests need no imapd.conf; FromConfig fills them
// from one.
type Options struct {
	List   *mboxlist.List
	Quota  *quota.DB       // nil: no quota
	Dup    *duplicate.DB   // nil: no duplicate suppression
	Annot  *annotate.DB    // nil: no special-use exclusion
	Deny   *userdeny.DB    // nil: no deny list
	Policy *acl.Policy     // ACL evaluation
	Router Router          // nil: Cyrus's delivery without Sieve
	Msg    message.Options // what the parser caches
	Mbox   mailbox.Options // handed to lib/mailbox (its Quota is set from Quota)
	Ident  string          // service name for the deny list (lmtp)

	PostUser          string   // postuser
	CatchAll          string   // lmtp_catchall_mailbox
	DowncaseRcpt      bool     // lmtp_downcase_rcpt
	FuzzyMatch        bool     // lmtp_fuzzy_mailbox_match
	StrictQuota       bool     // lmtp_strict_quota
	ExcludeSpecialUse []string // lmtp_exclude_specialuse
	TempDir           string   // temp_path: spool of a message with no local recipient

	// MaxBatch bounds the deliveries one group commit takes (0: 256).
	MaxBatch int
	// Parallel bounds the owners committed at once in a batch (0: 16).
	Parallel int
	// Pipeline is how many batches may be committing at once (0: 4).
	Pipeline int

	Now func() time.Time
}

// Deliverer delivers messages into local mailboxes. It is safe for
// concurrent use by every session of a process; its committer batches
// their deliveries (see the package comment).
type Deliverer struct {
	o   Options
	ns  *mboxname.Namespace
	set *mboxlist.Settings
	c   *committer
}

// New starts a Deliverer (and its committer goroutine; Close stops it).
func New(o Options) (*Deliverer, error) {
	if o.List == nil {
		return nil, errors.New("deliver: no mailbox list")
	}
	if o.Policy == nil {
		p, err := acl.New(acl.DefaultConfig())
		if err != nil {
			return nil, err
		}
		o.Policy = p
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.Parallel <= 0 {
		o.Parallel = 16
	}
	if o.Pipeline <= 0 {
		o.Pipeline = 4
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	if o.Quota != nil {
		o.Mbox.Quota = o.Quota
	} else {
		o.Mbox.Quota = nil
	}
	d := &Deliverer{o: o, ns: o.List.NS(), set: o.List.Settings()}
	d.c = newCommitter(d)
	return d, nil
}

// Close stops the committer after the batches already submitted.
func (d *Deliverer) Close() { d.c.stop() }

// Namespace is the naming the Deliverer works with.
func (d *Deliverer) Namespace() *mboxname.Namespace { return d.ns }

// Stores are the databases a program opens for a Deliverer; Close closes
// them.
type Stores struct {
	List  *mboxlist.List
	Quota *quota.DB
	Dup   *duplicate.DB
	Annot *annotate.DB
	Deny  *userdeny.DB
}

// Close closes every open store.
func (s *Stores) Close() {
	if s.Dup != nil {
		s.Dup.Close()
	}
	if s.Annot != nil {
		s.Annot.Close()
	}
	if s.Deny != nil {
		s.Deny.Close()
	}
	if s.Quota != nil {
		s.Quota.Close()
	}
	if s.List != nil {
		s.List.Close()
	}
}

// FromConfig opens the stores imapd.conf names and fills Options from
// the lmtp_*, duplicate*, quota and message keys. ident is the service
// name (the deny list is checked for it).
func FromConfig(c *config.Config, ident string) (Options, *Stores, error) {
	st := &Stores{}
	fail := func(err error) (Options, *Stores, error) {
		st.Close()
		return Options{}, nil, err
	}
	s, err := mboxlist.SettingsFromConfig(c)
	if err != nil {
		return fail(err)
	}
	mo, err := mailbox.OptionsFromConfig(c)
	if err != nil {
		return fail(err)
	}
	if st.Quota, err = quota.Open(quota.OptionsFromConfig(c)); err != nil {
		return fail(fmt.Errorf("open quota database: %w", err))
	}
	mo.Quota = st.Quota
	s.Quota = st.Quota
	s.Mailbox = mo
	if st.List, err = mboxlist.Open(s); err != nil {
		return fail(fmt.Errorf("open mailboxes database: %w", err))
	}
	if c.Duplicatesuppression() {
		if st.Dup, err = duplicate.OpenFromConfig(c); err != nil {
			return fail(fmt.Errorf("lmtpd: unable to init duplicate delivery database: %w", err))
		}
	}
	excl := strings.Fields(c.LmtpExcludeSpecialuse())
	if len(excl) > 0 {
		path, backend := annotate.PathFromConfig(c)
		if st.Annot, err = annotate.Open(path, backend); err != nil {
			return fail(fmt.Errorf("open annotations database: %w", err))
		}
	}
	dpath, dbackend := userdeny.PathFromConfig(c)
	if d, err := userdeny.Open(dpath, dbackend, false); err == nil {
		st.Deny = d
	} else if !errors.Is(err, userdeny.ErrNoDB) {
		log.Error("DBERROR", "db", dpath, "error", err)
	}
	pol, err := acl.New(acl.ConfigFromConfig(c))
	if err != nil {
		log.Warn("implicit_owner_rights", "error", err)
	}
	o := Options{
		List: st.List, Quota: st.Quota, Dup: st.Dup, Annot: st.Annot, Deny: st.Deny,
		Policy: pol,
		Msg: message.Options{
			MaxHeaderLines: c.Maxheaderlines(),
			BoundaryLimit:  c.BoundaryLimit(),
			RFC2046Strict:  c.Rfc2046Strict(),
			RFC2047UTF8:    c.Rfc2047Utf8(),
		},
		Mbox:              mo,
		Ident:             ident,
		PostUser:          c.Postuser(),
		CatchAll:          c.LmtpCatchallMailbox(),
		DowncaseRcpt:      c.LmtpDowncaseRcpt(),
		FuzzyMatch:        c.LmtpFuzzyMailboxMatch(),
		StrictQuota:       c.LmtpStrictQuota(),
		ExcludeSpecialUse: excl,
		TempDir:           c.TempPath(),
	}
	return o, st, nil
}

// lookup finds an active mailbox and maps mboxlist's errors to Cyrus's
// codes.
func (d *Deliverer) lookup(name string) (*mboxlist.Entry, error) {
	e, err := d.o.List.Lookup(name)
	switch {
	case err == nil:
		if e.Type.Has(mboxlist.Remote) || e.Server != "" {
			// Gyrus has no Murder: a remote entry cannot be reached.
			return nil, &Error{Code: CodeServerUnavailable, Err: fmt.Errorf("%s is on server %q", name, e.Server)}
		}
		return e, nil
	case errors.Is(err, mboxlist.ErrNotFound):
		return nil, ErrMailboxNonexistent
	case errors.Is(err, mboxlist.ErrReserved):
		return nil, ErrMailboxReserved
	case errors.Is(err, mboxlist.ErrBadFormat):
		return nil, ErrMailboxBadFormat
	}
	return nil, &Error{Code: CodeIO, Err: err}
}

// lookups memoizes lookup within one Deliver call: the recipient's own
// mailbox, checked first, is usually also the target whose uniqueid
// precheck needs, and each mailboxes.db read costs a lock, a stat and an
// unlock. Both uses are advisory (the committer looks every target up
// again under the owner's lock), so the memo lives only as long as the
// call.
type lookups map[string]lookupResult

type lookupResult struct {
	e   *mboxlist.Entry
	err error
}

func (d *Deliverer) lookupIn(memo lookups, name string) (*mboxlist.Entry, error) {
	if r, ok := memo[name]; ok {
		return r.e, r.err
	}
	e, err := d.lookup(name)
	memo[name] = lookupResult{e, err}
	return e, err
}

// rights is Cyrus's cyrus_acl_myrights: what the ACL alone grants.
func (d *Deliverer) rights(id acl.Identity, e *mboxlist.Entry) acl.Rights {
	a, _ := acl.Parse(e.ACL)
	return d.o.Policy.ACLRights(id, a)
}

// Deliver delivers m to every recipient and returns one result per
// recipient: nil when the message is in the mailbox (or was a duplicate
// that deliver.db suppressed, or the recipient's plan dropped it), else
// an error whose Code says what LMTP answers (CodeOf). When Deliver
// returns, every nil result is on disk: the message file, its directory
// entry and the mailbox index were fsynced by the group commit.
//
// As in Cyrus, each recipient's own mailbox (INBOX or shared folder) is
// looked up first; then the Router (LocalPlan without one) decides
// where the message goes.
func (d *Deliverer) Deliver(ctx context.Context, m *Message, rcpts []*Recipient) []error {
	errs := make([]error, len(rcpts))
	if err := m.prepare(d); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	j := &job{done: make(chan struct{})}
	memo := lookups{}
	var byRcpt = make([][]*item, len(rcpts))
	for i, r := range rcpts {
		n := r.Name
		if n.LocalPart != "" {
			n.Boxes = nil
		}
		if _, err := d.lookupIn(memo, d.ns.Internal(n)); err != nil {
			errs[i] = err
			continue
		}
		plan, err := d.route(ctx, m, r)
		if err != nil {
			errs[i] = err
			continue
		}
		for _, dl := range plan.Deliveries {
			if len(dl.Targets) == 0 {
				continue
			}
			it := &item{rcpt: i, msg: m, targets: dl.Targets}
			j.items = append(j.items, it)
			byRcpt[i] = append(byRcpt[i], it)
		}
	}
	if len(j.items) > 0 {
		d.precheck(j.items, m, memo)
		d.c.submit(j)
	}
	for i, its := range byRcpt {
		for _, it := range its {
			if it.err != nil && errs[i] == nil {
				errs[i] = it.err
			}
		}
	}
	return errs
}

// StageDir is where a message for these recipients is spooled (Cyrus
// lmtpd spoolfile): the staging directory of the partition of the first
// recipient whose mailbox is found, so that the mailboxes there can
// hard-link the file; temp_path when there is none.
func (d *Deliverer) StageDir(rcpts []*Recipient) string {
	for _, r := range rcpts {
		part := r.partition // where Verify found it, a moment ago
		if part == "" {
			n := r.Name
			if n.LocalPart != "" {
				n.Boxes = nil
			}
			e, err := d.lookup(d.ns.Internal(n))
			if err != nil {
				continue
			}
			part = e.Partition
		}
		if root, ok := d.set.PartitionRoot(part); ok {
			return mboxname.StagePath(root)
		}
	}
	return d.o.TempDir
}

// precheck reads deliver.db for every target of the items, outside any
// lock and in one read transaction, so that the committer does not read
// it under the owners' locks (where it would wait for the deliver.db
// commits of other batches).
func (d *Deliverer) precheck(items []*item, m *Message, memo lookups) {
	if d.o.Dup == nil || m.ID == "" {
		return
	}
	var keys []duplicate.Key
	var owners []*item
	var ids []string
	for _, it := range items {
		for _, t := range it.targets {
			e, err := d.lookupIn(memo, t.Mailbox)
			if err != nil {
				continue
			}
			keys = append(keys, duplicate.Key{ID: m.ID, To: e.UniqueID, Date: m.Date})
			owners = append(owners, it)
			ids = append(ids, e.UniqueID)
		}
	}
	marks, err := d.o.Dup.CheckAll(keys)
	if err != nil {
		log.Error("DBERROR", "what", "duplicate_check", "error", err)
		return
	}
	for i, it := range owners {
		if it.pre == nil {
			it.pre = map[string]int64{}
		}
		it.pre[ids[i]] = marks[i]
	}
}
