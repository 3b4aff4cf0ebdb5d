package deliver

import (
	"fmt"
	"strings"
	"time"

	"gyrus/lib/mailbox"
	"gyrus/lib/message"
)

// Header is one header field of a received message: its name as
// written and its value unfolded (line breaks removed, whitespace kept,
// leading whitespace dropped), as Cyrus's spool header cache holds it.
type Header struct {
	Name, Body string
}

// Message is a message ready to be delivered: its bytes staged once in
// a partition's staging directory (the file every mailbox hard-links),
// the facts delivery needs, and the header fields Sieve will look at.
type Message struct {
	// Staged holds the bytes exactly as they will be stored.
	Staged *mailbox.Staged
	// Data, when not nil, are the staged bytes, kept in memory by the
	// session: prepare parses them instead of reading the file again
	// (their GUID must be the file's).
	Data []byte
	// Size is the file size.
	Size int64
	// ID and Date are the first Message-ID and Date header values (the
	// duplicate suppression key); ID "" turns suppression off.
	ID, Date string
	// ReturnPath is the envelope sender without angle brackets.
	ReturnPath string
	// Auth is who posts (MAIL FROM AUTH=).
	Auth Auth
	// InternalDate is what the index records (Cyrus: the date of the
	// X-DeliveredInternalDate header, else of the first Received header,
	// which is the one lmtpd adds).
	InternalDate time.Time
	// Headers are the header fields, in order (the ones lmtpd added
	// first).
	Headers []Header

	info   mailbox.MessageInfo
	parsed bool
	err    error
}

// Header returns the values of every field called name (any case).
func (m *Message) Header(name string) []string {
	var v []string
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			v = append(v, h.Body)
		}
	}
	return v
}

// prepare parses the staged file once (envelope, body structure, cache
// entry, GUID) for every mailbox that gets it.
func (m *Message) prepare(d *Deliverer) error {
	if m.parsed {
		return m.err
	}
	m.parsed = true
	if m.Data != nil {
		var pm *message.Message
		if pm, m.err = message.ParseBytes(m.Data, d.o.Msg); m.err == nil {
			if pm.GUID != m.Staged.GUID || int64(len(m.Data)) != m.Staged.Size {
				m.err = fmt.Errorf("parse %s: the bytes held are not the staged file's", m.Staged.Path())
			} else {
				m.info = mailbox.InfoFromMessage(pm)
			}
		}
		m.Data = nil // parsed once; not kept while the message waits
	} else {
		m.info, m.err = m.Staged.Parse(d.o.Msg)
	}
	if m.err != nil {
		m.err = &Error{Code: CodeIO, Err: m.err}
	}
	return m.err
}
