package imapwire

import "strconv"

// UIDFetch starts "* uid UIDFETCH (" (RFC 9586 3.3): under UIDONLY the
// FETCH response is named by the message's UID, and the UID attribute is
// left out. Finish it with End as a FETCH response.
func (w *Writer) UIDFetch(uid uint32) *FetchWriter {
	w.buf = append(w.buf, '*', ' ')
	w.buf = strconv.AppendUint(w.buf, uint64(uid), 10)
	w.buf = append(w.buf, " UIDFETCH ("...)
	w.fw = FetchWriter{w: w}
	return &w.fw
}
