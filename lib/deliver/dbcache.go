package deliver

import (
	"sync"

	"gyrus/lib/fileio"
)

// sigCache keeps answers read from a database that other processes
// (imapd, another lmtpd, Cyrus's tools) may change at any time, for as
// long as the file has not changed: a lookup costs one stat(2) instead
// of a lock, a stat and an unlock (and the read). An answer is only
// kept when the file's signature was the same just before and just
// after it was read (a read transaction waits for a writer, and a
// writer always changes the signature, so the answer is that of the
// committed state the signature names); it is only returned while the
// file still has that signature. Any change to the file, ours or
// another process's, drops every answer: nothing is trusted blindly.
type sigCache[V any] struct {
	path string
	mu   sync.Mutex
	sig  fileio.Sig
	m    map[string]V
}

const sigCacheMax = 4096

// get returns the answer for key if the file is unchanged since it was
// read, with the current signature (for put) and whether it is valid.
func (c *sigCache[V]) get(key string) (v V, sig fileio.Sig, sigOK, hit bool) {
	if c == nil || c.path == "" {
		return v, sig, false, false
	}
	sig, sigOK = fileio.StatSig(c.path)
	if !sigOK {
		return v, sig, false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sig != sig {
		return v, sig, true, false
	}
	v, hit = c.m[key]
	return v, sig, true, hit
}

// put keeps v for key if the file still has the signature before (the
// one get returned just before the read).
func (c *sigCache[V]) put(key string, v V, before fileio.Sig) {
	after, ok := fileio.StatSig(c.path)
	if !ok || after != before {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sig != before || c.m == nil || len(c.m) >= sigCacheMax {
		c.sig = before
		c.m = map[string]V{}
	}
	c.m[key] = v
}
