package deliver

import (
	"errors"
	"sort"
	"strings"
	"sync"

	"gyrus/lib/acl"
	"gyrus/lib/annotate"
	"gyrus/lib/duplicate"
	"gyrus/lib/lockfile"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/quota"
)

// item is one Delivery of one message for one recipient, on its way
// through the committer.
type item struct {
	rcpt    int
	msg     *Message
	targets []Target

	// results, written by the committer
	err     error
	mailbox string // internal name it went to
	uid     uint32
	dupOf   *item // suppressed: an earlier append of this batch has the same key
	skipped bool  // suppressed by deliver.db
	mark    *duplicate.Record
}

// job is what one session submits: the deliveries of one message.
type job struct {
	items []*item
}

// committer is the process's group commit: sessions hand it jobs, it
// takes every job waiting, locks the owners involved (in name order),
// appends each owner's messages in one transaction per mailbox (owners
// in parallel), has deliver.db marked (in one transaction with the marks
// of the other batches committing at the same time), commits the
// mailboxes, unlocks, and only then lets the sessions answer. The fsyncs
// of a mailbox are shared by every message of the batch that goes
// there, and deliver.db and the quota roots are written once per batch,
// not once per message; nothing is acknowledged before it is on disk.
// Batches and deliver.db commits are run by the waiting goroutines
// themselves (group.go), up to Options.Pipeline batches at once: while
// some wait for their fsyncs, the next one already appends. Batches
// that share an owner are ordered by the owner's namespace lock (taken
// in name order, so they cannot deadlock); the others overlap.
type committer struct {
	d       *Deliverer
	batches *group[*job]
	marks   *group[*markReq]
	checks  *group[*checkReq]
	mbs     mbCache // mailboxes kept open between batches
}

func newCommitter(d *Deliverer) *committer {
	c := &committer{d: d}
	c.batches = newGroup(d.o.Pipeline, d.o.MaxBatch, func(j *job) int { return len(j.items) }, c.run)
	c.marks = newGroup(1, 4096, func(r *markReq) int { return len(r.recs) }, c.markAll)
	c.checks = newGroup(1, 4096, func(r *checkReq) int { return len(r.keys) }, c.checkAll)
	return c
}

func (c *committer) stop() {
	c.batches.close()
	c.marks.close()
	c.checks.close()
	c.mbs.closeAll()
}

// submit hands a job to the committer and waits until it is done.
func (c *committer) submit(j *job) {
	if !c.batches.do(j) {
		for _, it := range j.items {
			it.err = &Error{Code: CodeServerUnavailable, Err: errors.New("lmtpd is shutting down")}
		}
	}
}

// markReq is one component's deliver.db records.
type markReq struct {
	recs []duplicate.Record
	err  error
}

// markAll writes the deliver.db records of every request waiting in one
// transaction, whose sync is the requesters' (see runComponent): the
// group commit of deliver.db across concurrent batches.
func (c *committer) markAll(reqs []*markReq) {
	var recs []duplicate.Record
	for _, r := range reqs {
		recs = append(recs, r.recs...)
	}
	err := c.d.o.Dup.MarkAllDeferred(recs)
	for _, r := range reqs {
		r.err = err
	}
}

// mark has recs written and waits for the commit, which is durable only
// once the caller synced deliver.db's file system.
func (c *committer) mark(recs []duplicate.Record) error {
	r := &markReq{recs: recs}
	if !c.marks.do(r) {
		return c.d.o.Dup.MarkAllDeferred(recs)
	}
	return r.err
}

// checkReq is one component's deliver.db lookups.
type checkReq struct {
	keys []duplicate.Key
	recs []duplicate.Record
	err  error
}

// checkAll looks up the keys of every request waiting in one read
// transaction: the components of concurrent batches take the file lock
// once between two mark commits, instead of once each with a mark
// commit likely in between.
func (c *committer) checkAll(reqs []*checkReq) {
	var keys []duplicate.Key
	for _, r := range reqs {
		keys = append(keys, r.keys...)
	}
	recs, err := c.d.o.Dup.CheckRecords(keys)
	for _, r := range reqs {
		r.err = err
		if err == nil {
			r.recs, recs = recs[:len(r.keys):len(r.keys)], recs[len(r.keys):]
		}
	}
}

// check looks keys up in deliver.db, in a read transaction shared with
// the other components checking at the same time.
func (c *committer) check(keys []duplicate.Key) ([]duplicate.Record, error) {
	r := &checkReq{keys: keys}
	if !c.checks.do(r) {
		return c.d.o.Dup.CheckRecords(keys)
	}
	return r.recs, r.err
}

// run commits one batch.
func (c *committer) run(batch []*job) {
	d := c.d
	var items []*item
	for _, j := range batch {
		items = append(items, j.items...)
	}

	// The owners' namespace locks, in name order (the order every Gyrus
	// and Cyrus writer takes several of them in), held from the first
	// append to the deliver.db mark: another process delivering the same
	// message waits and then sees the mark, as with Cyrus.
	owners := map[string][]*item{}
	for _, it := range items {
		for _, o := range itemOwners(d, it) {
			owners[o] = append(owners[o], it)
		}
	}
	names := make([]string, 0, len(owners))
	for o := range owners {
		names = append(names, o)
	}
	sort.Strings(names)
	var locks []*mboxlist.Lock
	defer func() {
		for i := len(locks) - 1; i >= 0; i-- {
			locks[i].Release()
		}
	}()
	for _, o := range names {
		k, err := d.o.List.LockUser(o, lockfile.Exclusive)
		if err != nil {
			log.Error("IOERROR", "what", "lock user namespace", "user", o, "error", err)
			for _, it := range owners[o] {
				if it.err == nil {
					it.err = &Error{Code: CodeIO, Err: err}
				}
			}
			continue
		}
		locks = append(locks, k)
	}

	// Owners connected by a delivery (its targets span them) are done in
	// one goroutine; the others in parallel.
	// The first group runs in this goroutine, the others beside it (each
	// goroutine hand-off is a scheduler wake-up, a futex pair on Linux).
	comps := components(d, items)
	sem := make(chan struct{}, d.o.Parallel)
	var wg sync.WaitGroup
	for i, comp := range comps {
		if i == 0 {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(comp []*item) {
			defer func() { <-sem; wg.Done() }()
			c.runComponent(comp)
		}(comp)
	}
	if len(comps) > 0 {
		c.runComponent(comps[0])
	}
	wg.Wait()

	for _, it := range items {
		if it.dupOf != nil {
			it.err = it.dupOf.err
		}
	}
}

// itemOwners are the namespace lock owners of an item's targets.
func itemOwners(d *Deliverer, it *item) []string {
	var o []string
	for _, t := range it.targets {
		u := d.ns.UserOf(t.Mailbox)
		dup := false
		for _, x := range o {
			dup = dup || x == u
		}
		if !dup {
			o = append(o, u)
		}
	}
	return o
}

// components splits items into groups that share no owner, keeping the
// submission order inside each group.
func components(d *Deliverer, items []*item) [][]*item {
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if p, ok := parent[x]; ok && p != x {
			r := find(p)
			parent[x] = r
			return r
		}
		parent[x] = x
		return x
	}
	for _, it := range items {
		o := itemOwners(d, it)
		for _, x := range o[1:] {
			parent[find(x)] = find(o[0])
		}
	}
	idx := map[string]int{}
	var comps [][]*item
	for _, it := range items {
		if it.err != nil || len(it.targets) == 0 {
			continue
		}
		r := find(d.ns.UserOf(it.targets[0].Mailbox))
		i, ok := idx[r]
		if !ok {
			i = len(comps)
			idx[r] = i
			comps = append(comps, nil)
		}
		comps[i] = append(comps[i], it)
	}
	return comps
}

// openTx is one mailbox's transaction within a component.
type openTx struct {
	mb    *mailbox.Mailbox
	tx    *mailbox.Tx
	entry *mboxlist.Entry
	root  string
	items []*item
	err   error
}

// compState is what a component accumulates before it commits.
type compState struct {
	txs     map[string]*openTx // by uniqueid
	order   []*openTx
	quotas  map[string]*quota.Quota // quota roots read (nil: no such root)
	pending map[string]*[quota.NumResources]int64
	dups    map[string]*item            // deliver.db keys appended in this batch
	items   []*item                     // the component's deliveries
	marks   map[string]duplicate.Record // deliver.db as read under the owners' locks (nil: not yet)
}

func (c *committer) runComponent(items []*item) {
	st := &compState{txs: map[string]*openTx{}, quotas: map[string]*quota.Quota{},
		pending: map[string]*[quota.NumResources]int64{}, dups: map[string]*item{}, items: items}
	for _, it := range items {
		if it.err != nil {
			continue
		}
		var last error
		for _, t := range it.targets {
			if last = c.try(st, it, t); last == nil {
				break
			}
		}
		it.err = last
	}
	// deliver.db first, with the UIDs the messages are getting, then the
	// mailboxes (dupmark.go): a crash between the two leaves marks whose
	// UIDs are not committed, which the retry recognizes.
	var marks []duplicate.Record
	for _, it := range items {
		if it.err == nil && it.mark != nil {
			marks = append(marks, *it.mark)
		}
	}
	// deliver.db is marked without a sync of its own (MarkAllDeferred,
	// a few writes under its lock); then the message files, their
	// directories, the cache entries of every mailbox of the component
	// and deliver.db are synced at once (one sync of their file systems,
	// shared with the other batches): all must be on disk before an
	// index says the messages are there, nothing orders them among
	// themselves.
	var txs []*mailbox.Tx
	for _, ot := range st.order {
		if ot.tx != nil {
			txs = append(txs, ot.tx)
		}
	}
	var also []string
	if c.d.o.Dup != nil && len(marks) > 0 {
		if err := c.mark(marks); err != nil {
			log.Error("DBERROR", "what", "duplicate_mark", "error", err)
		} else {
			also = append(also, c.d.o.Dup.Path())
		}
	}
	// A failed Flush is Commit's to report: it syncs what is left again.
	// (A failed sync of deliver.db is not: a mark lost in a crash lets a
	// retried message through twice, it loses none.)
	mailbox.FlushWith(also, txs...)
	for _, ot := range st.order {
		if ot.tx == nil {
			continue
		}
		err := ot.tx.Commit()
		if err != nil {
			log.Error("IOERROR", "what", "commit delivery", "mailbox", ot.entry.Name, "error", err)
			for _, it := range ot.items {
				it.err = &Error{Code: CodeIO, Err: err}
				it.mark = nil
			}
		} else {
			for _, it := range ot.items {
				log.Printf(log.LevelInfo, "Delivered: %s to mailbox: %s", it.msg.ID, it.mailbox)
			}
		}
		if err == nil {
			c.mbs.put(ot.mb) // kept open, idle, for the next batch
		} else {
			ot.mb.Close()
		}
	}
	for _, ot := range st.order {
		if ot.tx == nil && ot.mb != nil {
			ot.mb.Close()
		}
	}
}

// try puts it into target t, Cyrus's deliver_mailbox: the mailbox must
// exist and take mail, not be excluded by its special use, let t.Auth
// post, and have room (unless IGNOREQUOTA); a duplicate is dropped with
// success.
func (c *committer) try(st *compState, it *item, t Target) error {
	d := c.d
	e, err := d.lookup(t.Mailbox)
	if err != nil && t.Fuzzy && CodeOf(err) == CodeMailboxNonexistent {
		if n, ok := d.fuzzyMatch(d.ns.ParseInternal(t.Mailbox)); ok {
			e, err = d.lookup(d.ns.Internal(n))
		}
	}
	if err != nil {
		return err
	}
	if e.Type.Kind() != mboxlist.TypeEmail {
		return ErrMailboxNotSupported
	}
	if err := d.specialUseExcluded(e); err != nil {
		return err
	}
	ot, err := st.open(c, e)
	if err != nil {
		return err
	}
	if t.Auth != nil {
		r := d.rights(t.Auth.Identity(), e)
		if !r.Has(acl.Post) {
			if r.Has(acl.Lookup) {
				return ErrPermissionDenied
			}
			return ErrMailboxNonexistent
		}
	}
	size := it.msg.Size
	if !t.IgnoreQuota && ot.root != "" {
		var diff [quota.NumResources]int64
		diff[quota.NumFolders] = -1
		if d.o.StrictQuota {
			diff[quota.Storage], diff[quota.Message] = size, 1
		}
		if err := st.checkQuota(d, ot.root, diff); err != nil {
			return err
		}
	}
	var key duplicate.Key
	dupCheck := it.msg.ID != "" && d.o.Dup != nil && ot.tx.Header().Options&index.OptDupDeliver == 0
	if dupCheck {
		key = duplicate.Key{ID: it.msg.ID, To: e.UniqueID, Date: it.msg.Date}
		kb := string(key.Bytes())
		if first, ok := st.dups[kb]; ok {
			it.dupOf = first
			dupLog(key)
			return nil
		}
		if rec := st.dupMark(c, key); rec.Mark != 0 && markIsDelivery(ot, rec) {
			it.skipped = true
			dupLog(key)
			return nil
		}
	}
	sys, user, err := flagBits(ot.tx, t.Flags)
	if err != nil {
		return &Error{Code: CodeIO, Err: err}
	}
	rec, err := ot.tx.Append(&mailbox.NewMessage{
		Staged:       it.msg.Staged,
		Info:         it.msg.info,
		InternalDate: it.msg.InternalDate,
		SystemFlags:  sys,
		UserFlags:    user,
		IgnoreQuota:  true, // checked above, Cyrus's way
	})
	if err != nil {
		log.Error("IOERROR", "what", "append", "mailbox", e.Name, "error", err)
		return &Error{Code: CodeIO, Err: err}
	}
	it.mailbox, it.uid = e.Name, rec.UID
	ot.items = append(ot.items, it)
	if ot.root != "" {
		p := st.pend(ot.root)
		p[quota.Storage] += size
		p[quota.Message]++
	}
	if dupCheck {
		st.dups[string(key.Bytes())] = it
		it.mark = &duplicate.Record{Key: key, Mark: d.o.Now().Unix(), UID: uint64(rec.UID)}
	}
	return nil
}

func dupLog(k duplicate.Key) {
	log.Printf(log.LevelInfo, "dupelim: eliminated duplicate message to %s id %s date %s (%s)", k.To, k.ID, k.Date, "delivery")
}

// open returns the component's transaction on mailbox e, beginning it
// the first time. The owner's namespace lock is held by the batch.
func (st *compState) open(c *committer, e *mboxlist.Entry) (*openTx, error) {
	d := c.d
	if ot, ok := st.txs[e.UniqueID]; ok {
		return ot, ot.err
	}
	ot := &openTx{entry: e}
	st.txs[e.UniqueID] = ot
	st.order = append(st.order, ot)
	loc, err := d.set.Locate(e)
	if err != nil {
		ot.err = &Error{Code: CodeIO, Err: err}
		return ot, ot.err
	}
	loc.UserLock = "" // held by the batch
	if mb := c.mbs.get(loc); mb != nil {
		// A handle kept from an earlier batch: Begin re-takes its locks
		// and re-reads what changed. If that fails (the mailbox was
		// deleted or damaged meanwhile), a fresh open says why.
		if tx, err := mb.Begin(); err == nil {
			ot.mb, ot.tx, ot.root = mb, tx, mb.QuotaRoot()
			return ot, nil
		}
		mb.Close()
	}
	mb, err := mailbox.Open(loc, d.o.Mbox, mailbox.ReadWrite)
	if err != nil {
		ot.err = mailboxErr(err)
		return ot, ot.err
	}
	tx, err := mb.Begin()
	if err != nil {
		mb.Close()
		ot.err = mailboxErr(err)
		return ot, ot.err
	}
	ot.mb, ot.tx, ot.root = mb, tx, mb.QuotaRoot()
	return ot, nil
}

func mailboxErr(err error) error {
	if errors.Is(err, mailbox.ErrDeleted) {
		return ErrMailboxNonexistent
	}
	log.Error("IOERROR", "what", "open mailbox", "error", err)
	return &Error{Code: CodeIO, Err: err}
}

func (st *compState) pend(root string) *[quota.NumResources]int64 {
	p := st.pending[root]
	if p == nil {
		p = new([quota.NumResources]int64)
		st.pending[root] = p
	}
	return p
}

// checkQuota is Cyrus's quota_check_useds against the usage on disk plus
// what this component appended to the root so far.
func (st *compState) checkQuota(d *Deliverer, root string, diff [quota.NumResources]int64) error {
	if d.o.Quota == nil {
		return nil
	}
	q, ok := st.quotas[root]
	if !ok {
		var err error
		q, err = d.o.Quota.Read(root)
		if errors.Is(err, quota.ErrNoRoot) {
			q = nil
		} else if err != nil {
			return &Error{Code: CodeIO, Err: err}
		}
		st.quotas[root] = q
	}
	if q == nil {
		return nil
	}
	p := st.pend(root)
	for r := quota.Resource(0); r < quota.NumResources; r++ {
		if diff[r] >= 0 && q.Over(r, p[r]+diff[r]) {
			return ErrQuotaExceeded
		}
	}
	return nil
}

// specialUseExcluded is Cyrus's delivery_enabled_for_mailbox: a user's
// mailbox whose special use (the owner's /specialuse annotation) is in
// lmtp_exclude_specialuse takes no mail.
func (d *Deliverer) specialUseExcluded(e *mboxlist.Entry) error {
	owner := d.ns.UserOf(e.Name)
	if owner == "" || d.o.Annot == nil || len(d.o.ExcludeSpecialUse) == 0 {
		return nil
	}
	key := e.UniqueID + "\x00" + owner
	res, sig, sigOK, hit := d.annc.get(key)
	if hit {
		return res
	}
	v, ok, err := d.o.Annot.Get(annotate.Target{UniqueID: e.UniqueID, Owner: owner}, "/specialuse", owner)
	if err != nil {
		return nil
	}
	res = nil
	if ok {
	scan:
		for _, f := range strings.Fields(string(v)) {
			for _, x := range d.o.ExcludeSpecialUse {
				if strings.EqualFold(f, x) {
					res = ErrMailboxSpecialUse
					break scan
				}
			}
		}
	}
	if sigOK {
		d.annc.put(key, res, sig)
	}
	return res
}

// flagBits turns flag names into the record's flag words.
func flagBits(tx *mailbox.Tx, names []string) (uint32, [4]uint32, error) {
	var sys uint32
	var kw []string
	for _, n := range names {
		if strings.HasPrefix(n, `\`) {
			sys |= index.SystemFlag(n) // \Recent and unknown ones are not stored
			continue
		}
		kw = append(kw, n)
	}
	var user [4]uint32
	if len(kw) > 0 {
		var err error
		user, err = tx.UserFlagBits(kw, mailbox.FlagCreateClient)
		if err != nil {
			return 0, user, err
		}
	}
	return sys, user, nil
}

// dupMark is Cyrus's duplicate_check for key, read under the owners'
// locks, as Cyrus reads it under the mailbox lock: every delivery that
// marked deliver.db did so before it released the owner's lock, so
// what is read here is exact across processes (a mark written by
// another lmtpd a moment ago is seen). The first check of a component
// reads the keys of every target of its deliveries in one read
// transaction; a key not among them (a fuzzy-matched target) is read
// on its own.
func (st *compState) dupMark(c *committer, key duplicate.Key) duplicate.Record {
	d := c.d
	kb := string(key.Bytes())
	if st.marks == nil {
		st.marks = map[string]duplicate.Record{}
		var keys []duplicate.Key
		seen := map[string]bool{kb: true}
		keys = append(keys, key)
		for _, it := range st.items {
			if it.err != nil || it.msg.ID == "" {
				continue
			}
			for _, t := range it.targets {
				e, err := d.lookup(t.Mailbox)
				if err != nil {
					continue
				}
				k := duplicate.Key{ID: it.msg.ID, To: e.UniqueID, Date: it.msg.Date}
				if b := string(k.Bytes()); !seen[b] {
					seen[b] = true
					keys = append(keys, k)
				}
			}
		}
		recs, err := c.check(keys)
		if err != nil {
			log.Error("DBERROR", "what", "duplicate_check", "error", err)
			return duplicate.Record{Key: key}
		}
		for i, k := range keys {
			st.marks[string(k.Bytes())] = recs[i]
		}
	}
	if r, ok := st.marks[kb]; ok {
		return r
	}
	recs, err := c.check([]duplicate.Key{key})
	if err != nil {
		log.Error("DBERROR", "what", "duplicate_check", "error", err)
		return duplicate.Record{Key: key}
	}
	st.marks[kb] = recs[0]
	return recs[0]
}
