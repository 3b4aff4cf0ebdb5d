package deliver

import (
	"sync"
	"time"

	"gyrus/lib/mailbox"
)

// mbCache keeps the mailboxes the committer delivered to open from one
// batch to the next. Opening a mailbox costs about twenty system calls
// (name lock file, index open and map, cyrus.header, the cache's
// generation) and closing it another ten; with mail for the same few
// hundred mailboxes arriving all day, lmtpd paid them for every message.
//
// A handle in the cache is idle (mailbox.Mailbox.Idle): it holds no lock
// at all, so other processes delete, rename, repack and expunge as if it
// were closed; Begin takes the locks again and re-reads what changed. A
// handle is used by one batch at a time (get takes it out, put puts it
// back); it is only reused for the same Location (uniqueid, name,
// partition, paths), so a renamed or re-created mailbox gets a fresh
// one. Handles unused for mbCacheIdle, and the least recently used
// beyond mbCacheMax, are closed.
type mbCache struct {
	mu sync.Mutex
	m  map[string]*mbCached // by uniqueid
}

type mbCached struct {
	mb   *mailbox.Mailbox
	loc  mailbox.Location
	used time.Time
}

const (
	mbCacheMax  = 256
	mbCacheIdle = 2 * time.Minute
)

// get takes the idle handle for loc out of the cache, or returns nil.
func (c *mbCache) get(loc mailbox.Location) *mailbox.Mailbox {
	c.mu.Lock()
	e, ok := c.m[loc.UniqueID]
	if ok {
		delete(c.m, loc.UniqueID)
	}
	c.mu.Unlock()
	if !ok {
		return nil
	}
	if e.loc != loc || time.Since(e.used) > mbCacheIdle {
		e.mb.Close()
		return nil
	}
	return e.mb
}

// put makes mb (with no transaction open) idle and keeps it, closing
// what is too old or too many.
func (c *mbCache) put(mb *mailbox.Mailbox) {
	if err := mb.Idle(); err != nil {
		mb.Close()
		return
	}
	loc := mb.Location()
	now := time.Now()
	var drop []*mailbox.Mailbox
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*mbCached{}
	}
	if old, ok := c.m[loc.UniqueID]; ok {
		drop = append(drop, old.mb)
	}
	c.m[loc.UniqueID] = &mbCached{mb: mb, loc: loc, used: now}
	var oldest string
	var oldestAt time.Time
	for k, e := range c.m {
		if now.Sub(e.used) > mbCacheIdle {
			drop = append(drop, e.mb)
			delete(c.m, k)
		} else if oldest == "" || e.used.Before(oldestAt) {
			oldest, oldestAt = k, e.used
		}
	}
	if len(c.m) > mbCacheMax {
		drop = append(drop, c.m[oldest].mb)
		delete(c.m, oldest)
	}
	c.mu.Unlock()
	for _, x := range drop {
		x.Close()
	}
}

// closeAll closes every cached handle (at Deliverer.Close).
func (c *mbCache) closeAll() {
	c.mu.Lock()
	m := c.m
	c.m = nil
	c.mu.Unlock()
	for _, e := range m {
		e.mb.Close()
	}
}
