package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"gyrus/lib/acl"
	"gyrus/lib/log"
)

// msgArg checks a message number against the list: it must exist and
// not be marked deleted (Cyrus msg_exists_or_err). It returns the index
// into s.msgs.
func (s *Session) msgArg(n uint32) (int, bool) {
	if n < 1 || uint64(n) > uint64(len(s.msgs)) || s.msgs[n-1].deleted {
		s.reply(errNoSuchMsg)
		return 0, false
	}
	return int(n - 1), true
}

// msgnoArg is parse_msgno followed by the existence check.
func (s *Session) msgnoArg(arg string) (int, bool) {
	n, e := parseMsgno(arg)
	if e != "" {
		s.reply(e)
		return 0, false
	}
	return s.msgArg(n)
}

// cmdStat is RFC 1939 5 STAT. The size is a 32-bit count, as Cyrus's.
func (s *Session) cmdStat() {
	var n, total uint32
	for _, m := range s.msgs {
		if !m.deleted {
			n++
			total += m.size
		}
	}
	s.replyf("+OK %d %d", n, total)
}

// cmdList is RFC 1939 5 LIST.
func (s *Session) cmdList(arg string, hasArg bool) {
	if hasArg {
		if i, ok := s.msgnoArg(arg); ok {
			s.replyf("+OK %d %d", i+1, s.msgs[i].size)
		}
		return
	}
	s.reply("+OK scan listing follows")
	w := s.w()
	var b []byte
	for i, m := range s.msgs {
		if !m.deleted {
			b = strconv.AppendInt(b[:0], int64(i+1), 10)
			b = append(b, ' ')
			b = strconv.AppendUint(b, uint64(m.size), 10)
			b = append(b, '\r', '\n')
			w.Write(b)
		}
	}
	s.reply(".")
}

// cmdUIDL is RFC 1939 7 UIDL.
func (s *Session) cmdUIDL(arg string, hasArg bool) {
	if hasArg {
		if i, ok := s.msgnoArg(arg); ok {
			s.reply("+OK " + s.uidl(i))
		}
		return
	}
	s.reply("+OK unique-id listing follows")
	for i, m := range s.msgs {
		if !m.deleted {
			s.reply(s.uidl(i))
		}
	}
	s.reply(".")
}

// uidl is "n id": the UID alone for mailboxes without the POP3_NEW_UIDL
// option (made before Cyrus 2.1.?), else as uidl_format says: uidonly
// "UID", cyrus "UIDVALIDITY.UID", dovecot "%08x%08x" of UID and
// UIDVALIDITY, courier "UIDVALIDITY-UID".
func (s *Session) uidl(i int) string {
	uid := s.msgs[i].uid
	n := i + 1
	if !s.newUIDL {
		return fmt.Sprintf("%d %d", n, uid)
	}
	switch s.srv.uidlFormat {
	case uidlUIDOnly:
		return fmt.Sprintf("%d %d", n, uid)
	case uidlDovecot:
		return fmt.Sprintf("%d %08x%08x", n, uid, s.uidValidity)
	case uidlCourier:
		return fmt.Sprintf("%d %d-%d", n, s.uidValidity, uid)
	}
	return fmt.Sprintf("%d %d.%d", n, s.uidValidity, uid)
}

// cmdRetr is RFC 1939 5 RETR. The message counts as read (\Seen at QUIT
// with popuseimapflags) even if it could not be sent, as in Cyrus.
func (s *Session) cmdRetr(arg string) {
	i, ok := s.msgnoArg(arg)
	if !ok {
		return
	}
	s.send(i, -1)
	s.msgs[i].seen = true
	s.countRetr++
}

// cmdTop is RFC 1939 7 TOP.
func (s *Session) cmdTop(arg string) {
	n, lines, e := parseTop(arg)
	if e != "" {
		s.reply(e)
		return
	}
	i, ok := s.msgArg(n)
	if !ok {
		return
	}
	s.send(i, lines)
	s.countTop++
}

// cmdDele is RFC 1939 5 DELE: only marked here, expunged at QUIT.
func (s *Session) cmdDele(arg string, hasArg bool) {
	switch {
	case !hasArg:
		s.reply(errMissing)
	case s.useACL && !s.rights.Has(acl.DeleteMsg):
		s.reply("-ERR [SYS/PERM] Permission denied")
	case s.srv.cfg.Readonly():
		s.reply("-ERR [SYS/PERM] This connection is configured for read-only access")
	default:
		if i, ok := s.msgnoArg(arg); ok {
			s.msgs[i].deleted = true
			s.reply("+OK message deleted")
			s.countDele++
		}
	}
}

// retrBuf is the read buffer of one RETR/TOP, pooled per process.
type retrBuf struct{ r *bufio.Reader }

func newRetrBuf() *retrBuf { return &retrBuf{r: bufio.NewReaderSize(nil, 64*1024)} }

// send writes message i as a multi-line answer (RFC 1939 3): lines that
// start with '.' get one more, the end is ".". lines < 0 means the whole
// message; else the header, the empty line and that many body lines,
// counted as Cyrus's blat() counts them (its C int: a count of 2^32-2
// sends no line of the message at all). A message file that does not end in a line end
// gets CRLF before the final dot. The file is streamed, never read whole.
func (s *Session) send(i int, lines int32) {
	f, err := s.mb.OpenMessage(s.msgs[i].uid)
	if err != nil {
		log.Error("message_open", "mailbox", s.mboxName, "uid", s.msgs[i].uid, "error", err)
		s.reply("-ERR [SYS/PERM] Could not read message file")
		return
	}
	defer f.Close()
	s.reply("+OK Message follows")
	rb := s.srv.bufs.Get().(*retrBuf)
	defer func() {
		rb.r.Reset(nil)
		s.srv.bufs.Put(rb)
	}()
	rb.r.Reset(f)
	w := s.w()
	thisLine := int32(-2) // -2: in the header; 0: the empty line after it
	// Cyrus tests the last line it read, and with nothing read (a count
	// of 2^32-2) its uninitialized buffer: it then sends an empty line,
	// which is what the real server was seen to do.
	endsInNL := false
	for lines != thisLine {
		chunk, err := rb.r.ReadSlice('\n')
		if len(chunk) == 0 {
			if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
				log.Error("message_read", "mailbox", s.mboxName, "uid", s.msgs[i].uid, "error", err)
			}
			break
		}
		if thisLine < 0 {
			if len(chunk) >= 2 && chunk[0] == '\r' && chunk[1] == '\n' {
				thisLine = 0
			}
		} else {
			thisLine++
		}
		if chunk[0] == '.' {
			w.WriteByte('.')
		}
		w.Write(chunk)
		// the rest of a long line: no stuffing, no counting
		for err == bufio.ErrBufferFull {
			chunk, err = rb.r.ReadSlice('\n')
			w.Write(chunk)
		}
		if len(chunk) > 0 {
			endsInNL = chunk[len(chunk)-1] == '\n'
		}
		if err != nil {
			break
		}
	}
	if !endsInNL {
		w.WriteString("\r\n")
	}
	w.WriteString(".\r\n")
}
