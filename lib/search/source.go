package search

import (
	"os"
	"time"

	"gyrus/lib/charset"
	"gyrus/lib/mailbox/index"
)

// Source is a session's view of the selected mailbox, by sequence number.
// *mailbox.View satisfies it.
type Source interface {
	// Len is the number of messages in the view (EXISTS), messages
	// expunged by others but not yet reported included.
	Len() uint32
	// Header is the index header as of the view's last refresh
	// (LastUID gives "*" in UID sets, MinorVersion SAVEDATESUPPORTED).
	Header() index.Header
	// Record reads the index record of message seq.
	Record(seq uint32) (index.Record, error)
	// Cache reads the cyrus.cache entry of message seq.
	Cache(seq uint32) (index.CacheEntry, error)
	// OpenMessage opens the message file of seq.
	OpenMessage(seq uint32) (*os.File, error)
	// UserFlags are the mailbox's user flag names by slot.
	UserFlags() *[index.MaxUserFlags]string
}

// Options is what the session knows beyond the mailbox.
type Options struct {
	// Seen reports whether the user has seen message seq; nil means the
	// owner's \Seen bit of the record (for other users the caller reads
	// lib/seen).
	Seen func(seq uint32, r *index.Record) bool
	// Recent reports \Recent for this session; nil means none.
	Recent func(seq uint32, uid uint32) bool
	// SearchRes holds the UIDs of the session's saved result (RFC 5182
	// "$"); nil matches nothing.
	SearchRes []uint32
	// Now is the time OLDER/YOUNGER count from (zero: time.Now()).
	Now time.Time
	// Location is the server's time zone, in which SEARCH dates are days
	// (nil: time.Local, as Cyrus's mktime()).
	Location *time.Location
	// Flags are the search normalisation flags from imapd.conf
	// (charset.ConfigFlags); zero means charset.DefaultFlags.
	Flags charset.Flags
	// FlagsSet says Flags is meant even when zero (search_skipdiacrit:
	// no, search_whitespace: keep).
	FlagsSet bool
	// MaxHeaderLines is maxheaderlines (0: Cyrus's default, 1000;
	// negative: no limit).
	MaxHeaderLines int
	// Annotation returns the values of a per-message annotation for the
	// ANNOTATION key (attrib "value.shared", "value.priv" or "value");
	// nil: ANNOTATION matches nothing.
	Annotation func(uid uint32, entry, attrib string) [][]byte
	// Progress, if set, is called before each message is looked at with
	// the number of messages done and the total (RFC 9585 INPROGRESS
	// reports, rate-limited by the caller). It must be cheap.
	Progress func(done, total uint32)
}

func (o *Options) flags() charset.Flags {
	if o.Flags == 0 && !o.FlagsSet {
		return charset.DefaultFlags
	}
	return o.Flags
}

func (o *Options) loc() *time.Location {
	if o.Location == nil {
		return time.Local
	}
	return o.Location
}

func (o *Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

func (o *Options) maxHeaderLines() int {
	if o.MaxHeaderLines == 0 {
		return 1000
	}
	if o.MaxHeaderLines < 0 {
		return 0
	}
	return o.MaxHeaderLines
}
