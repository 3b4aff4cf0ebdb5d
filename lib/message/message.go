package message

import (
	"hash/crc32"
	"io"
	"time"
)

// Options are the imapd.conf settings that change what Cyrus caches.
type Options struct {
	// MaxHeaderLines is maxheaderlines (default 1000, 0 = unlimited):
	// header lines after that many are neither cached nor interpreted.
	MaxHeaderLines int
	// BoundaryLimit is boundary_limit (default 1000, 0 = unlimited): the
	// depth of nested multipart boundaries Cyrus parses.
	BoundaryLimit int
	// RFC2046Strict is rfc2046_strict (default off): a boundary that has
	// another boundary as prefix counts as that boundary.
	RFC2046Strict bool
	// RFC2047UTF8 is rfc2047_utf8 (default off): unencoded 8-bit header
	// text is read as UTF-8 instead of becoming U+FFFD in the search
	// forms.
	RFC2047UTF8 bool
}

// DefaultOptions are Cyrus 3.6.1's defaults.
func DefaultOptions() Options {
	return Options{MaxHeaderLines: 1000, BoundaryLimit: 1000}
}

// Cache item numbers (Cyrus's CACHE_* in imap/mailbox.h), in entry order.
const (
	ItemEnvelope = iota
	ItemBodyStructure
	ItemBody
	ItemSection
	ItemHeaders
	ItemFrom
	ItemTo
	ItemCc
	ItemBcc
	ItemSubject
	NumItems
)

// CacheVersion is the cache_version Cyrus 3.6.1 stores in index records.
const CacheVersion = 11

// Message is what Cyrus derives from a message file at delivery.
type Message struct {
	// Items are the 10 cyrus.cache items, unpadded.
	Items [NumItems][]byte

	// Index record fields.
	SentDate   uint32   // Date: truncated to the day (local midnight), 0 if unparsable (see IndexDates)
	GMTime     uint32   // Date: as UTC, 0 if unparsable (see IndexDates)
	Size       uint32   // file size
	HeaderSize uint32   // bytes of the top-level header block, blank line included
	GUID       [20]byte // SHA-1 of the whole file

	top              *body
	sentdate, gmtime int64 // time_t values before the 32-bit index fields
}

// Parse reads the message of size bytes from r once, front to back, and
// computes everything Cyrus caches for it. Only the header blocks are
// held in memory; bodies stream through. Broken MIME never fails: it is
// parsed the way Cyrus parses it. An error means r could not be read.
func Parse(r io.ReaderAt, size int64, opts Options) (*Message, error) {
	top, guid, err := parse(r, size, opts)
	if err != nil {
		return nil, err
	}
	m := &Message{top: top, GUID: guid, Size: uint32(size), HeaderSize: top.headerSize}
	m.sentdate, m.gmtime = parseDate(top.date.s, top.date.valid)
	m.SentDate, m.GMTime = uint32(m.sentdate), uint32(m.gmtime)

	var flags mimeFlags
	if opts.RFC2047UTF8 {
		flags |= flagMIMEUTF8
	}
	m.Items[ItemEnvelope] = appendEnvelope(nil, top)
	m.Items[ItemBodyStructure] = appendBody(nil, top, true)
	m.Items[ItemBody] = appendBody(nil, top, false)
	m.Items[ItemSection] = appendSection(nil, &body{typ: "MESSAGE", subtype: "RFC822", sub: top})
	m.Items[ItemHeaders] = append([]byte{}, top.cacheHeaders...)
	m.Items[ItemFrom] = appendSearchAddrs([]byte{}, top.from, flags)
	m.Items[ItemTo] = appendSearchAddrs([]byte{}, top.to, flags)
	m.Items[ItemCc] = appendSearchAddrs([]byte{}, top.cc, flags)
	m.Items[ItemBcc] = appendSearchAddrs([]byte{}, top.bcc, flags)
	if top.subject.valid {
		m.Items[ItemSubject] = appendNString(nil, some(decodeMIMEHeader(top.subject.s, flags)))
	} else {
		m.Items[ItemSubject] = []byte("NIL")
	}
	return m, nil
}

// IndexDates returns the sentdate and gmtime that Cyrus stores in the
// index record: when the Date: header gave none (0), the message's
// internaldate stands in for gmtime and its local day for sentdate
// (mailbox_append_index_record; reconstruct does the same).
func (m *Message) IndexDates(internaldate uint32) (sentdate, gmtime uint32) {
	sentdate, gmtime = m.SentDate, m.GMTime
	if m.gmtime == 0 {
		gmtime = internaldate
	}
	if m.sentdate == 0 {
		t := time.Unix(int64(internaldate), 0).In(time.Local)
		sentdate = uint32(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.Local).Unix())
	}
	return sentdate, gmtime
}

// ParseBytes parses a message held in memory.
func ParseBytes(b []byte, opts Options) (*Message, error) {
	return Parse(memMessage(b), int64(len(b)), opts)
}

// CacheEntry is the record as Cyrus appends it to cyrus.cache: for each
// item a big-endian 32-bit length, the bytes, and zero padding to a
// multiple of 4.
func (m *Message) CacheEntry() []byte {
	n := 0
	for _, it := range m.Items {
		n += 4 + (len(it)+3)&^3
	}
	buf := make([]byte, 0, n)
	for _, it := range m.Items {
		buf = appendItem(buf, it)
	}
	return buf
}

// CacheCRC is the index record's cache_crc: CRC-32 of the whole entry.
func (m *Message) CacheCRC() uint32 { return crc32.ChecksumIEEE(m.CacheEntry()) }
