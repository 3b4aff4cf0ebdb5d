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

	// annotPath is Annot's file (FromConfig sets it), for the
	// special-use answers kept while it is unchanged (dbcache.go).
	annotPath string

	// MaxBatch bounds the deliveries one group commit takes (0: 256).
	MaxBatch int
	// Parallel bounds the owners committed at once in a batch (0: 16).
	Parallel int
	// Pipeline is how many batches may be committing at once (0: 8).
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

	// answers kept while mailboxes.db (resp. annotations.db) is
	// unchanged, validated by a stat each time (dbcache.go)
	mbc  *sigCache[lookupResult]
	annc *sigCache[error]
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
		o.Pipeline = 8
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
	if db := o.List.DB(); db != nil {
		d.mbc = &sigCache[lookupResult]{path: db.Path()}
	}
	if o.Annot != nil && o.annotPath != "" {
		d.annc = &sigCache[error]{path: o.annotPath}
	}
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
		path, backend := duplicate.PathFromConfig(c)
		if st.Dup, err = duplicate.OpenConcurrent(path, backend); err != nil {
			return fail(fmt.Errorf("lmtpd: unable to init duplicate delivery database: %w", err))
		}
	}
	excl := strings.Fields(c.LmtpExcludeSpecialuse())
	annotPath := ""
	if len(excl) > 0 {
		path, backend := annotate.PathFromConfig(c)
		if st.Annot, err = annotate.Open(path, backend); err != nil {
			return fail(fmt.Errorf("open annotations database: %w", err))
		}
		annotPath = path
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
		annotPath:         annotPath,
	}
	return o, st, nil
}

// lookup finds an active mailbox and maps mboxlist's errors to Cyrus's
// codes. The answer is kept while mailboxes.db is unchanged (one stat
// per lookup instead of a read transaction; dbcache.go); each caller
// gets its own copy of the entry.
func (d *Deliverer) lookup(name string) (*mboxlist.Entry, error) {
	r, sig, sigOK, hit := d.mbc.get(name)
	if !hit {
		r.e, r.err = d.lookupDB(name)
		if sigOK && (r.err == nil || CodeOf(r.err) != CodeIO) {
			d.mbc.put(name, r, sig)
		}
	}
	if r.e == nil {
		return nil, r.err
	}
	e := *r.e
	return &e, r.err
}

func (d *Deliverer) lookupDB(name string) (*mboxlist.Entry, error) {
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

// lookupResult is one answer of lookup, as kept by its cache.
type lookupResult struct {
	e   *mboxlist.Entry
	err error
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
	j := &job{}
	var byRcpt = make([][]*item, len(rcpts))
	for i, r := range rcpts {
		n := r.Name
		if n.LocalPart != "" {
			n.Boxes = nil
		}
		if _, err := d.lookup(d.ns.Internal(n)); err != nil {
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
