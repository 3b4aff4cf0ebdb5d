package mailbox

// Added by the lib/search engineer (see the brief's zz_need rule): two
// ways for lib/search to read thousands of messages in a row without a
// system call per cache entry and three more per message file than it
// needs. Nothing here changes how this package behaves.

import (
	"errors"

	"gyrus/lib/mailbox/index"
)

// errCacheNotOpen: ReadCacheAt before the view read any cache entry.
var errCacheNotOpen = errors.New("mailbox: cache file not open yet")

// MessagePath is the path of message seq's file ("" if seq is out of
// range), for a reader that opens it with plain system calls
// (os.Open adds fcntl and epoll calls to each open).
func (v *View) MessagePath(seq uint32) string {
	mg := v.Msg(seq)
	if mg == nil {
		return ""
	}
	if mg.Flags&index.InternalArchived != 0 {
		return v.mb.loc.ArchivePath(mg.UID)
	}
	return v.mb.loc.MessagePath(mg.UID)
}

// ReadCacheAt reads the view's generation of cyrus.cache at off, as
// io.ReaderAt does, once CacheOf or Cache has opened it (before that it
// fails). A caller parses entries out of a large read with
// index.ParseCacheEntry against each record's cache CRC, and falls back
// to CacheOf for any entry that does not parse.
func (v *View) ReadCacheAt(p []byte, off int64) (int, error) {
	if v.m == nil || v.m.cache == nil || v.m.cache.f == nil {
		return 0, errCacheNotOpen
	}
	return v.m.cache.f.ReadAt(p, off)
}
