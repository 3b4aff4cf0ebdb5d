package deliver

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"

	"gyrus/lib/duplicate"
	"gyrus/lib/fileio"
	"gyrus/lib/log"
)

// Marking deliver.db before the mailbox commit.
//
// Cyrus marks deliver.db after the mailbox commit: a crash between the
// two leaves the message in the mailbox unmarked, and the MTA's retry
// (it got no 250) delivers it a second time. lmtpd marks first instead,
// with the UID the message is getting, then commits the mailbox, then
// answers. A mark is therefore a claim to check, not a fact: when one is
// found for a mailbox (under the owner's lock, the index locked),
//
//   - a UID beyond the mailbox's last UID means the commit that was to
//     follow the mark never happened (a crash, or a failed commit that
//     was answered 4xx): not a duplicate, the message is delivered;
//   - a UID whose record holds a message with another Message-ID means
//     the same (the UID was given to another message after the crash):
//     not a duplicate;
//   - otherwise (the record holds this Message-ID, or is gone: expunged
//     and purged since, or the UID is 0 as in Sieve's and old Cyrus
//     records) it is a duplicate, as for Cyrus.
//
// So no acknowledged message is ever delivered twice by a retry, and no
// message is lost to a mark whose commit did not happen. A Message-ID
// read back differently from the way the session read it only costs a
// second copy, never a lost message.

// markIsDelivery says whether rec, found in deliver.db for ot's mailbox,
// stands for a message that is in (or was in) the mailbox.
func markIsDelivery(ot *openTx, rec duplicate.Record) bool {
	if rec.UID == 0 {
		return true
	}
	if rec.UID > uint64(ot.tx.Header().LastUID) {
		log.Printf(log.LevelInfo, "dupelim: mark of an uncommitted delivery ignored: %s to %s uid %d", rec.ID, rec.To, rec.UID)
		return false
	}
	if _, err := ot.tx.Record(uint32(rec.UID)); err != nil {
		return true // purged since: Cyrus's answer, a duplicate
	}
	loc := ot.mb.Location()
	id, ok := storedMessageID(loc.MessagePath(uint32(rec.UID)))
	if !ok {
		return true // cannot tell (archived, unreadable): as Cyrus
	}
	if id != rec.ID {
		log.Printf(log.LevelInfo, "dupelim: mark of an uncommitted delivery ignored: %s to %s uid %d holds %s", rec.ID, rec.To, rec.UID, id)
		return false
	}
	return true
}

// storedMessageID reads the first Message-ID field of a stored message
// as the LMTP session reads it (lib/deliver/lmtp's header parser): the
// value without its leading blanks and without the line breaks of its
// folding. ok is false when the file cannot be read.
func storedMessageID(path string) (string, bool) {
	f, err := fileio.Open(path, os.O_RDONLY, 0)
	if err != nil {
		return "", false
	}
	defer f.Close()
	id, found, err := firstField(bufio.NewReader(io.LimitReader(f, 1<<20)), "message-id")
	if err != nil {
		return "", false
	}
	if !found {
		return "", true
	}
	return id, true
}

// firstField returns the value of the first field called name in the
// header read from r.
func firstField(r *bufio.Reader, name string) (string, bool, error) {
	line, err := readLine(r)
	for err == nil {
		if len(line) == 0 {
			return "", false, nil
		}
		i := bytes.IndexByte(line, ':')
		var fname []byte
		if i > 0 {
			fname = bytes.TrimRight(line[:i], " \t")
		}
		// the folded continuation lines of this field
		val := []byte(nil)
		if i > 0 {
			val = append(val, line[i+1:]...)
		}
		var next []byte
		for {
			next, err = readLine(r)
			if err != nil || len(next) == 0 || (next[0] != ' ' && next[0] != '\t') {
				break
			}
			val = append(val, next...)
		}
		if i > 0 && bytes.EqualFold(fname, []byte(name)) {
			return string(bytes.TrimLeft(val, " \t")), true, nil
		}
		line = next
	}
	if errors.Is(err, io.EOF) {
		return "", false, nil
	}
	return "", false, err
}

// readLine reads one line without its CRLF or LF.
func readLine(r *bufio.Reader) ([]byte, error) {
	l, err := r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		b := append([]byte(nil), l...)
		for err == bufio.ErrBufferFull {
			l, err = r.ReadSlice('\n')
			b = append(b, l...)
		}
		l = b
	} else {
		l = append([]byte(nil), l...)
	}
	if err != nil && !(err == io.EOF && len(l) > 0) {
		return nil, err
	}
	l = bytes.TrimSuffix(l, []byte("\n"))
	l = bytes.TrimSuffix(l, []byte("\r"))
	return l, nil
}
