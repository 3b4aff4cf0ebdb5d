package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"gyrus/lib/acl"
	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/quota"
)

// APPEND (RFC 9051 6.3.12, RFC 3502 MULTIAPPEND, RFC 4469 CATENATE,
// RFC 3516 literal8, RFC 5257 ANNOTATION, RFC 4315 APPENDUID) as
// Cyrus's cmd_append: the mailbox and the rights are checked before any
// message is read; each message is streamed into the partition's staging
// directory (never held in memory), checked as message_copy_strict does,
// parsed once, and all of them are committed in one transaction.

// stagedMsg is one message of an APPEND waiting for the commit.
type stagedMsg struct {
	st    *mailbox.Staged
	flags []string
	date  time.Time
	annot []imapwire.AnnotationStore
}

func (s *Session) cmdAppend(tag string, a *imapwire.Append) {
	s.appendRun(tag, a, nil)
}

// appendRun is APPEND, and the APPEND part of REPLACE when rep is set
// (replace.go): rep then answers once the message is committed.
func (s *Session) appendRun(tag string, a *imapwire.Append, rep *replaceState) {
	e, intname, err := s.lookup(a.Mailbox)
	if err == nil {
		err = s.appendCheck(e)
	}
	if err != nil {
		a.Discard()
		code := imapwire.Code("")
		if isNonexistent(err) && s.mayCreate(intname) {
			code = imapwire.CodeTryCreate
		}
		_, text := s.errText(err)
		s.noCode(tag, code, text)
		return
	}
	loc, err := s.srv.settings.Locate(e)
	if err != nil {
		a.Discard()
		s.no(tag, err)
		return
	}
	var msgs []*stagedMsg
	defer func() {
		for _, m := range msgs {
			if m.st != nil {
				m.st.Close()
			}
		}
	}()
	var perr error
	for {
		m, err := a.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var ie *imapwire.Error
			if errors.As(err, &ie) {
				s.wr().WriteError(ie)
				if ie.Fatal() {
					s.closing = true
				}
				if ie.Text == imapwire.TextAppendZero {
					// Cyrus reads what follows the empty literal (the
					// CRLF) as a command line of its own
					s.wr().RawString("* BAD Invalid tag\r\n")
				}
				return
			}
			s.closing = true
			return
		}
		sm := &stagedMsg{date: m.Options.Time, annot: m.Annotations}
		for _, f := range m.Options.Flags {
			sm.flags = append(sm.flags, string(f))
		}
		msgs = append(msgs, sm)
		if perr != nil {
			drainAppend(m)
			continue
		}
		var r io.Reader
		if m.Literal != nil {
			r = m.Literal
		} else {
			cr, err := s.catenateReader(m.Catenate)
			if err != nil {
				drainAppend(m)
				perr = err
				continue
			}
			r = cr
		}
		binary := m.Literal != nil && m.Literal.Binary() || m.UTF8
		sc := &strictReader{r: r, raw: m.Catenate != nil, allowNUL: binary, reject8bit: s.srv.cfg.Reject8bit(), munge8bit: s.srv.cfg.Munge8bit()}
		st, err := mailbox.Stage(loc.StageDir, sc)
		if err != nil {
			drainAppend(m)
			if sc.ioErr != nil {
				s.closing = true
				return
			}
			perr = err
			continue
		}
		sm.st = st
		if sc.err != nil {
			perr = sc.err
			continue
		}
		if m.Catenate == nil { // Cyrus validates only literal messages
			if err := checkStagedHeader(st.Path()); err != nil {
				perr = err
				continue
			}
		}
		if m.Literal != nil && m.Literal.Binary() {
			if err := encodeBinaryParts(st, s.srv.msgopts); err != nil {
				perr = err
			}
		}
	}
	if perr == nil {
		perr = s.appendCommit(tag, e, msgs, rep)
		if perr == nil {
			return
		}
	}
	s.tellChanges(true)
	var ce *catenateError
	switch {
	case errors.As(perr, &ce):
		s.noCode(tag, imapwire.CodeBadURL(ce.url), ce.text)
	case errors.Is(perr, errTooLarge):
		s.noCode(tag, imapwire.CodeTooBig, errTooLarge.Error())
	case errors.Is(perr, errNotSupported):
		s.noCode(tag, imapwire.CodeCannot, errNotSupported.Error())
	default:
		s.no(tag, perr)
	}
}

// drainAppend reads what the client sends of a message the command will
// not keep.
func drainAppend(m *imapwire.AppendMessage) {
	if m.Literal != nil {
		io.Copy(io.Discard, m.Literal)
		return
	}
	if m.Catenate != nil {
		for {
			p, err := m.Catenate.Next()
			if err != nil {
				return
			}
			if p.Text != nil {
				io.Copy(io.Discard, p.Text)
			}
		}
	}
}

// appendCheck is Cyrus's append_check: the 'i' right and room for one
// more message.
func (s *Session) appendCheck(e *mboxlist.Entry) error {
	r := s.pureRights(e)
	if !r.Has(acl.Insert) {
		if r.Has(acl.Lookup) {
			return errPermission
		}
		return errNonexistent
	}
	if e.Type.Kind() != mboxlist.TypeEmail {
		return errNotSupported
	}
	if s.srv.flags.NoQuota {
		return nil
	}
	if root, ok, err := s.srv.quota.FindRoot(e.Name); err == nil && ok {
		var diff [quota.NumResources]int64
		diff[quota.Message] = 1
		if err := s.srv.quota.CheckUseds(root, diff); err != nil {
			return errOverQuota
		}
	}
	return nil
}

// appendCommit appends the staged messages in one transaction and
// answers OK with APPENDUID.
func (s *Session) appendCommit(tag string, e *mboxlist.Entry, msgs []*stagedMsg, rep *replaceState) error {
	rights := s.pureRights(e)
	mb, err := s.srv.openMailbox(e, mailbox.ReadWrite)
	if err != nil {
		return err
	}
	defer mb.Close()
	tx, err := mb.Begin()
	if err != nil {
		return err
	}
	owner := s.srv.ns.UserOf(e.Name)
	internalSeen := tx.Header().Options&index.OptSharedSeen != 0 || owner == s.userid
	var uids, seenUIDs []uint32
	for _, m := range msgs {
		info, err := m.st.Parse(s.srv.msgopts)
		if err != nil {
			tx.Abort()
			return err
		}
		var sys uint32
		var user [4]uint32
		seenFlag := false
		for _, f := range m.flags {
			switch strings.ToLower(f) {
			case `\seen`:
				seenFlag = true
			case `\deleted`:
				if rights.Has(acl.DeleteMsg) {
					sys |= index.FlagDeleted
				}
			case `\draft`:
				if rights.Has(acl.Write) {
					sys |= index.FlagDraft
				}
			case `\flagged`:
				if rights.Has(acl.Write) {
					sys |= index.FlagFlagged
				}
			case `\answered`:
				if rights.Has(acl.Write) {
					sys |= index.FlagAnswered
				}
			case `\recent`, `\expunged`, `\snoozed`:
			default:
				if rights.Has(acl.Write) {
					slot, err := tx.UserFlag(f, mailbox.FlagCreateClient)
					if err != nil {
						tx.Abort()
						return err
					}
					user[slot/32] |= 1 << (slot % 32)
				}
			}
		}
		if seenFlag && internalSeen {
			sys |= index.FlagSeen
		}
		nm := &mailbox.NewMessage{Staged: m.st, Info: info, InternalDate: m.date,
			SystemFlags: sys, UserFlags: user, IgnoreQuota: s.srv.flags.NoQuota}
		rec, err := tx.Append(nm)
		if err != nil {
			tx.Abort()
			if errors.Is(err, mailbox.ErrOverQuota) {
				return errOverQuota
			}
			return err
		}
		for _, an := range m.annot {
			for _, v := range an.Values {
				userid := ""
				switch strings.ToLower(v.Attrib) {
				case "value.shared":
				case "value.priv":
					userid = s.userid
				default:
					continue
				}
				if err := tx.SetAnnotation(rec.UID, an.Entry, userid, v.Value); err != nil {
					tx.Abort()
					return err
				}
			}
		}
		if seenFlag && !internalSeen {
			seenUIDs = append(seenUIDs, rec.UID)
		}
		uids = append(uids, rec.UID)
	}
	if err := tx.Commit(); err != nil {
		if errors.Is(err, mailbox.ErrOverQuota) {
			return errOverQuota
		}
		return err
	}
	if len(seenUIDs) > 0 {
		s.addSeen(s.userid, mb.MailboxHeader().UniqueID, seenUIDs)
	}
	validity := mb.Header().UIDValidity
	if rep != nil {
		s.replaceFinish(tag, rep, rights.Has(acl.Read), validity, uids)
		return nil
	}
	s.tellChanges(true)
	if !rights.Has(acl.Read) || len(uids) == 0 {
		s.ok(tag)
		return nil
	}
	set := strconv.FormatUint(uint64(uids[0]), 10)
	if len(uids) > 1 {
		set += ":" + strconv.FormatUint(uint64(uids[len(uids)-1]), 10)
	}
	s.okCode(tag, imapwire.Code("APPENDUID "+strconv.FormatUint(uint64(validity), 10)+" "+set), "Completed")
	return nil
}

// strictReader passes message data through with Cyrus's
// message_copy_strict checks: no NUL (outside a literal8 body), no bare
// LF, no 8-bit header bytes with reject8bit (munge8bit turns them into
// 'X'). The first problem is kept in err; the data is still read so the
// connection stays in step.
type strictReader struct {
	r          io.Reader
	raw        bool // CATENATE: copied as is (Cyrus append_catenate checks nothing)
	allowNUL   bool
	reject8bit bool
	munge8bit  bool
	err        error
	ioErr      error
	sawCR      bool
	inHeader   bool
	notBlank   bool
	started    bool
}

func (sr *strictReader) Read(b []byte) (int, error) {
	if !sr.started {
		sr.started = true
		sr.inHeader = true
	}
	n, err := sr.r.Read(b)
	if err != nil && err != io.EOF {
		sr.ioErr = err
	}
	for i := 0; i < n && !sr.raw; i++ {
		c := b[i]
		switch {
		case c == 0 && (sr.inHeader || !sr.allowNUL):
			sr.fail(errMsgNUL)
			sr.sawCR, sr.notBlank = false, true
		case c == '\n':
			if !sr.sawCR && (sr.inHeader || !sr.allowNUL) {
				sr.fail(errMsgBareNL)
			}
			sr.sawCR = false
			if !sr.notBlank {
				sr.inHeader = false
			}
			sr.notBlank = false
		case c == '\r':
			sr.sawCR = true
		default:
			sr.sawCR = false
			sr.notBlank = true
			if sr.inHeader && c >= 0x80 {
				if sr.reject8bit {
					sr.fail(errMsg8Bit)
				} else if sr.munge8bit {
					b[i] = 'X'
				}
			}
		}
	}
	return n, err
}

func (sr *strictReader) fail(err error) {
	if sr.err == nil {
		sr.err = err
	}
}

// checkStagedHeader is the second half of message_copy_strict: every
// header line starts with a field name (no white space before the
// colon, "From " lines allowed), and the header is not cut off.
func checkStagedHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 4096)
	sawNL := true
	for {
		line, err := br.ReadSlice('\n')
		if len(line) == 0 && err != nil {
			if sawNL {
				return nil
			}
			return errMsgBadHeader
		}
		if sawNL && line[0] == '\r' {
			return nil
		}
		if sawNL && line[0] != ' ' && line[0] != '\t' {
			if line[0] == ':' {
				return errMsgBadHeader
			}
			if !strings.HasPrefix(string(line), "From ") {
				for _, c := range line {
					if c == ':' {
						break
					}
					if c <= ' ' {
						return errMsgBadHeader
					}
				}
			}
		}
		sawNL = line[len(line)-1] == '\n'
		if err != nil && err != bufio.ErrBufferFull {
			if sawNL {
				return nil
			}
			return errMsgBadHeader
		}
	}
}

// catenateError is a CATENATE URL that cannot be used (NO [BADURL]).
type catenateError struct {
	url, text string
}

func (e *catenateError) Error() string { return fmt.Sprintf("catenate %s: %s", e.url, e.text) }

// catenateReader assembles a CATENATE message (RFC 4469): TEXT parts
// are read from the client, URL parts from messages the user may read.
// Parts are copied to a temporary file so that the staging can stream.
func (s *Session) catenateReader(ct *imapwire.Catenate) (io.Reader, error) {
	tmp, err := os.CreateTemp(s.srv.tempDir(), "catenate-")
	if err != nil {
		return nil, err
	}
	os.Remove(tmp.Name())
	var total int64
	for {
		p, err := ct.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			tmp.Close()
			return nil, err
		}
		if p.Text != nil {
			n, err := io.Copy(tmp, p.Text)
			total += n
			if err != nil {
				tmp.Close()
				return nil, err
			}
			continue
		}
		data, cerr := s.urlFetch(p.URL)
		if cerr != nil {
			tmp.Close()
			return nil, cerr
		}
		total += int64(len(data))
		if total > s.srv.maxMessageSize {
			tmp.Close()
			return nil, errTooLarge
		}
		tmp.Write(data)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		tmp.Close()
		return nil, err
	}
	return &closingReader{tmp}, nil
}

type closingReader struct{ f *os.File }

func (c *closingReader) Read(b []byte) (int, error) {
	n, err := c.f.Read(b)
	if err == io.EOF {
		c.f.Close()
	}
	return n, err
}

func (s *Server) tempDir() string {
	if d := s.cfg.TempPath(); d != "" {
		return d
	}
	return os.TempDir()
}

func unixTime(t uint32) time.Time { return time.Unix(int64(t), 0) }

var _ = log.Debug
