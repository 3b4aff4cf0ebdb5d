package imapwire

// Whole responses (RFC 9051 section 7), formatted as Cyrus 3.6 does.

import (
	"strconv"

	"github.com/emersion/go-imap/v2"
)

// Code is a response code without its brackets, e.g. "UIDNEXT 5".
type Code string

// Response codes (RFC 9051 7.1, RFC 4315 UIDPLUS, RFC 7162 CONDSTORE...).
const (
	CodeAlert         Code = "ALERT"
	CodeReadOnly      Code = "READ-ONLY"
	CodeReadWrite     Code = "READ-WRITE"
	CodeTryCreate     Code = "TRYCREATE"
	CodeTooBig        Code = "TOOBIG"
	CodeOverQuota     Code = "OVERQUOTA"
	CodeNoModSeq      Code = "NOMODSEQ"
	CodeClosed        Code = "CLOSED"
	CodeUIDNotSticky  Code = "UIDNOTSTICKY"
	CodeLimit         Code = "LIMIT"
	CodeCannot        Code = "CANNOT"
	CodeNonExistent   Code = "NONEXISTENT"
	CodeAlreadyExists Code = "ALREADYEXISTS"
	CodeNoPerm        Code = "NOPERM"
	CodeServerBug     Code = "SERVERBUG"
	CodeInUse         Code = "INUSE"
)

// CodeUIDNext is "UIDNEXT n".
func CodeUIDNext(n uint32) Code { return Code("UIDNEXT " + strconv.FormatUint(uint64(n), 10)) }

// CodeUIDValidity is "UIDVALIDITY n".
func CodeUIDValidity(n uint32) Code {
	return Code("UIDVALIDITY " + strconv.FormatUint(uint64(n), 10))
}

// CodeUnseen is "UNSEEN n".
func CodeUnseen(n uint32) Code { return Code("UNSEEN " + strconv.FormatUint(uint64(n), 10)) }

// CodeHighestModSeq is "HIGHESTMODSEQ n" (RFC 7162).
func CodeHighestModSeq(n uint64) Code { return Code("HIGHESTMODSEQ " + strconv.FormatUint(n, 10)) }

// CodeAppendUID is "APPENDUID uidvalidity uids" (RFC 4315; a set for
// MULTIAPPEND).
func CodeAppendUID(validity uint32, uids imap.NumSet) Code {
	return Code("APPENDUID " + strconv.FormatUint(uint64(validity), 10) + " " + numSetString(uids))
}

// CodeCopyUID is "COPYUID uidvalidity source-uids dest-uids" (RFC 4315).
func CodeCopyUID(validity uint32, src, dst imap.NumSet) Code {
	return Code("COPYUID " + strconv.FormatUint(uint64(validity), 10) + " " +
		numSetString(src) + " " + numSetString(dst))
}

// CodeModified is "MODIFIED set" (RFC 7162 3.1.3).
func CodeModified(set imap.NumSet) Code { return Code("MODIFIED " + numSetString(set)) }

// CodeMailboxID is "MAILBOXID (id)" (RFC 8474).
func CodeMailboxID(id string) Code { return Code("MAILBOXID (" + id + ")") }

// CodePermanentFlags is "PERMANENTFLAGS (...)".
func CodePermanentFlags(flags []imap.Flag) Code {
	w := &Writer{}
	w.Flags(flags)
	return Code("PERMANENTFLAGS " + string(w.buf))
}

// CodeCapability is "CAPABILITY cap...".
func CodeCapability(caps []string) Code {
	b := []byte("CAPABILITY")
	for _, c := range caps {
		b = append(b, ' ')
		b = append(b, c...)
	}
	return Code(b)
}

// CodeBadCharset is "BADCHARSET (charset...)" (RFC 9051), or "BADCHARSET"
// without a list.
func CodeBadCharset(charsets []string) Code {
	if len(charsets) == 0 {
		return "BADCHARSET"
	}
	w := &Writer{}
	w.RawString("BADCHARSET (")
	for i, c := range charsets {
		if i > 0 {
			w.SP()
		}
		w.AString(c)
	}
	w.RawString(")")
	return Code(w.buf)
}

// CodeBadURL is `BADURL "url"` (RFC 4469), quoted as Cyrus does.
func CodeBadURL(url string) Code { return Code(`BADURL "` + url + `"`) }

func numSetString(s imap.NumSet) string {
	w := &Writer{}
	w.NumSet(s)
	return string(w.buf)
}

// StatusResponse writes "tag STATUS [code] text" ("*" for an empty tag).
func (w *Writer) StatusResponse(tag string, st Status, code Code, text string) *Writer {
	if tag == "" {
		tag = "*"
	}
	w.buf = append(w.buf, tag...)
	w.buf = append(w.buf, ' ')
	w.buf = append(w.buf, st...)
	w.buf = append(w.buf, ' ')
	if code != "" {
		w.buf = append(w.buf, '[')
		w.buf = append(w.buf, code...)
		w.buf = append(w.buf, ']', ' ')
	}
	w.buf = append(w.buf, text...)
	return w.CRLF()
}

// WriteError writes the answer an Error stands for: its tagged (or
// untagged) BAD/NO, then the BYE of a fatal error. It flushes.
func (w *Writer) WriteError(e *Error) error {
	if e.Status != "" {
		w.StatusResponse(e.Tag, e.Status, Code(e.Code), e.Text)
	}
	if e.Bye != "" {
		w.StatusResponse("", StatusBYE, "", e.Bye)
	}
	return w.Flush()
}

// Continue writes a continuation request "+ text" and flushes at once,
// corked or not: the client is waiting for it.
func (w *Writer) Continue(text string) error {
	w.buf = append(w.buf, '+', ' ')
	w.buf = append(w.buf, text...)
	w.CRLF()
	return w.flush()
}

// ContinueLiteral accepts a synchronizing literal with Cyrus's "+ go
// ahead"; it has the signature of Options.Continue.
func (w *Writer) ContinueLiteral(LiteralRequest) error { return w.Continue("go ahead") }

// Capability writes "* CAPABILITY cap...".
func (w *Writer) Capability(caps []string) *Writer {
	w.RawString("* CAPABILITY")
	for _, c := range caps {
		w.SP().RawString(c)
	}
	return w.CRLF()
}

// Enabled writes "* ENABLED cap..." (RFC 5161).
func (w *Writer) Enabled(caps []string) *Writer {
	w.RawString("* ENABLED")
	for _, c := range caps {
		w.SP().RawString(c)
	}
	return w.CRLF()
}

// Exists writes "* n EXISTS".
func (w *Writer) Exists(n uint32) *Writer {
	return w.Star().Number(n).RawString(" EXISTS").CRLF()
}

// Recent writes "* n RECENT".
func (w *Writer) Recent(n uint32) *Writer {
	return w.Star().Number(n).RawString(" RECENT").CRLF()
}

// Expunge writes "* n EXPUNGE".
func (w *Writer) Expunge(seq uint32) *Writer {
	return w.Star().Number(seq).RawString(" EXPUNGE").CRLF()
}

// Vanished writes "* VANISHED [(EARLIER)] uids" (RFC 7162 3.2.10).
func (w *Writer) Vanished(earlier bool, uids imap.NumSet) *Writer {
	w.RawString("* VANISHED ")
	if earlier {
		w.RawString("(EARLIER) ")
	}
	return w.NumSet(uids).CRLF()
}

// FlagsResponse writes "* FLAGS (...)".
func (w *Writer) FlagsResponse(flags []imap.Flag) *Writer {
	return w.RawString("* FLAGS ").Flags(flags).CRLF()
}

// Search writes "* SEARCH n..." with an optional "(MODSEQ m)" (RFC 7162
// 3.1.5); used for SORT too with name "SORT".
func (w *Writer) Search(name string, nums []uint32, modseq uint64) *Writer {
	w.Star().RawString(name)
	for _, n := range nums {
		w.SP().Number(n)
		w.maybeWrite()
	}
	if modseq != 0 {
		w.RawString(" (MODSEQ ").Number64(modseq).RawString(")")
	}
	return w.CRLF()
}

// ESearchData is the data of an ESEARCH response (RFC 4731). Zero-valued
// items are left out except as stated.
type ESearchData struct {
	Tag      string // correlator; "" for none
	UID      bool
	Count    *uint32
	Min, Max uint32      // 0 = absent
	All      imap.NumSet // nil = absent
	// Relevancy scores (RFC 6203), in result order.
	Relevancy []uint8
	// Partial is the PARTIAL return data (RFC 9394), nil = absent.
	Partial *ESearchPartial
	// Mailbox and UIDValidity name the mailbox of a MULTISEARCH result
	// (RFC 7377 2.1), "" = absent.
	Mailbox     string
	UIDValidity uint32
	ModSeq      uint64
}

// ESearchPartial is "PARTIAL (range set-or-NIL)".
type ESearchPartial struct {
	Range PartialRange
	UIDs  imap.NumSet // nil for NIL
}

// ESearch writes "* ESEARCH" in Cyrus's order: (TAG "t") UID COUNT MIN MAX
// ALL RELEVANCY PARTIAL MODSEQ.
func (w *Writer) ESearch(d *ESearchData) *Writer {
	w.RawString("* ESEARCH")
	switch {
	case d.Mailbox != "":
		// RFC 7377 section 2.1: the correlator names the mailbox
		w.RawString(" (")
		if d.Tag != "" {
			w.RawString(`TAG "`).RawString(d.Tag).RawString(`" `)
		}
		w.RawString("MAILBOX ").String(d.Mailbox)
		w.RawString(" UIDVALIDITY ").Number(d.UIDValidity).RawString(")")
	case d.Tag != "":
		w.RawString(` (TAG "`).RawString(d.Tag).RawString(`")`)
	}
	if d.UID {
		w.RawString(" UID")
	}
	if d.Count != nil {
		w.RawString(" COUNT ").Number(*d.Count)
	}
	if d.Min != 0 {
		w.RawString(" MIN ").Number(d.Min)
	}
	if d.Max != 0 {
		w.RawString(" MAX ").Number(d.Max)
	}
	if d.All != nil {
		w.RawString(" ALL ").NumSet(d.All)
	}
	if d.Relevancy != nil {
		w.RawString(" RELEVANCY (")
		for i, r := range d.Relevancy {
			if i > 0 {
				w.SP()
			}
			w.Number(uint32(r))
		}
		w.RawString(")")
	}
	if d.Partial != nil {
		w.RawString(" PARTIAL (")
		w.buf = strconv.AppendInt(w.buf, d.Partial.Range.First, 10)
		w.buf = append(w.buf, ':')
		w.buf = strconv.AppendInt(w.buf, d.Partial.Range.Last, 10)
		w.SP()
		if d.Partial.UIDs == nil {
			w.Nil()
		} else {
			w.NumSet(d.Partial.UIDs)
		}
		w.RawString(")")
	}
	if d.ModSeq != 0 {
		w.RawString(" MODSEQ ").Number64(d.ModSeq)
	}
	return w.CRLF()
}

// ListResponse is one LIST/LSUB/XLIST response.
type ListResponse struct {
	Command   string // "LIST", "LSUB" or "XLIST"
	Attrs     []string
	Delim     byte // 0 for NIL
	Mailbox   string
	ChildInfo []string // RFC 5258 CHILDINFO, e.g. "SUBSCRIBED"
	OldName   string   // RFC 5465/9051 OLDNAME, "" for none
}

// List writes a LIST response as Cyrus's print_listresponse does.
func (w *Writer) List(l *ListResponse) *Writer {
	cmd := l.Command
	if cmd == "" {
		cmd = "LIST"
	}
	w.Star().RawString(cmd).RawString(" (")
	for i, a := range l.Attrs {
		if i > 0 {
			w.SP()
		}
		w.RawString(a)
	}
	w.RawString(") ")
	if l.Delim == 0 {
		w.Nil()
	} else {
		w.buf = append(w.buf, '"')
		if l.Delim == '"' || l.Delim == '\\' {
			w.buf = append(w.buf, '\\')
		}
		w.buf = append(w.buf, l.Delim, '"')
	}
	w.SP().AString(l.Mailbox)
	if len(l.ChildInfo) > 0 || l.OldName != "" {
		w.RawString(" (")
		sep := false
		if len(l.ChildInfo) > 0 {
			w.RawString("CHILDINFO (")
			for i, c := range l.ChildInfo {
				if i > 0 {
					w.SP()
				}
				w.RawString(`"`).RawString(c).RawString(`"`)
			}
			w.RawString(")")
			sep = true
		}
		if l.OldName != "" {
			if sep {
				w.SP()
			}
			w.RawString("OLDNAME (").AString(l.OldName).RawString(")")
		}
		w.RawString(")")
	}
	return w.CRLF()
}

// StatusWriter writes the items of a STATUS response one by one.
type StatusWriter struct {
	w     *Writer
	first bool
}

// StatusStart begins "* STATUS mailbox (".
func (w *Writer) StatusStart(mailbox string) *StatusWriter {
	w.RawString("* STATUS ").AString(mailbox).RawString(" (")
	return &StatusWriter{w: w, first: true}
}

func (s *StatusWriter) sep() {
	if !s.first {
		s.w.SP()
	}
	s.first = false
}

// Num writes "NAME n".
func (s *StatusWriter) Num(name string, n uint64) *StatusWriter {
	s.sep()
	s.w.RawString(name).SP().Number64(n)
	return s
}

// MailboxID writes "MAILBOXID (id)".
func (s *StatusWriter) MailboxID(id string) *StatusWriter {
	s.sep()
	s.w.RawString("MAILBOXID (").RawString(id).RawString(")")
	return s
}

// End closes the response.
func (s *StatusWriter) End() { s.w.RawString(")").CRLF() }

// NamespaceDesc is one namespace: prefix and delimiter (0 for NIL).
type NamespaceDesc struct {
	Prefix string
	Delim  byte
}

// Namespace writes "* NAMESPACE personal other shared" (RFC 2342); a nil
// slice is NIL.
func (w *Writer) Namespace(personal, other, shared []NamespaceDesc) *Writer {
	w.RawString("* NAMESPACE")
	for _, ns := range [][]NamespaceDesc{personal, other, shared} {
		w.SP()
		if len(ns) == 0 {
			w.Nil()
			continue
		}
		w.RawString("(")
		for _, d := range ns {
			w.RawString("(").String(d.Prefix).SP()
			if d.Delim == 0 {
				w.Nil()
			} else {
				w.buf = append(w.buf, '"', d.Delim, '"')
			}
			w.RawString(")")
		}
		w.RawString(")")
	}
	return w.CRLF()
}

// ACLEntry is an identifier and its rights.
type ACLEntry struct {
	Identifier, Rights string
}

// ACL writes "* ACL mailbox id rights ..." (RFC 4314 3.6).
func (w *Writer) ACL(mailbox string, entries []ACLEntry) *Writer {
	w.RawString("* ACL ").AString(mailbox)
	for _, e := range entries {
		w.SP().AString(e.Identifier).SP().AString(e.Rights)
	}
	return w.CRLF()
}

// ListRights writes "* LISTRIGHTS mailbox id required optional..."
// (RFC 4314 3.7).
func (w *Writer) ListRights(mailbox, identifier, required string, optional []string) *Writer {
	w.RawString("* LISTRIGHTS ").AString(mailbox).SP().AString(identifier).SP().AString(required)
	for _, o := range optional {
		w.SP().AString(o)
	}
	return w.CRLF()
}

// MyRights writes "* MYRIGHTS mailbox rights" (RFC 4314 3.8).
func (w *Writer) MyRights(mailbox, rights string) *Writer {
	return w.RawString("* MYRIGHTS ").AString(mailbox).SP().AString(rights).CRLF()
}

// QuotaResource is one resource of a QUOTA response.
type QuotaResource struct {
	Name         string
	Usage, Limit int64
}

// Quota writes "* QUOTA root (NAME usage limit ...)" (RFC 9208 5.1).
func (w *Writer) Quota(root string, res []QuotaResource) *Writer {
	w.RawString("* QUOTA ").AString(root).RawString(" (")
	for i, r := range res {
		if i > 0 {
			w.SP()
		}
		w.RawString(r.Name).SP()
		w.buf = strconv.AppendInt(w.buf, r.Usage, 10)
		w.SP()
		w.buf = strconv.AppendInt(w.buf, r.Limit, 10)
	}
	return w.RawString(")").CRLF()
}

// QuotaRoot writes "* QUOTAROOT mailbox root..." (RFC 9208 5.2).
func (w *Writer) QuotaRoot(mailbox string, roots []string) *Writer {
	w.RawString("* QUOTAROOT ").AString(mailbox)
	for _, r := range roots {
		w.SP().AString(r)
	}
	return w.CRLF()
}

// Metadata writes "* METADATA mailbox (entry value ...)" (RFC 5464 4.4.1);
// a nil value is NIL.
func (w *Writer) Metadata(mailbox string, entries []MetadataEntry) *Writer {
	w.RawString("* METADATA ").AString(mailbox).RawString(" (")
	for i, e := range entries {
		if i > 0 {
			w.SP()
		}
		w.String(e.Name).SP()
		if e.Value == nil {
			w.Nil()
		} else {
			w.Bytes(e.Value)
		}
	}
	return w.RawString(")").CRLF()
}

// ID writes "* ID (field value ...)" or "* ID NIL" (RFC 2971).
func (w *Writer) ID(params []IDParam) *Writer {
	if params == nil {
		return w.RawString("* ID NIL").CRLF()
	}
	w.RawString("* ID (")
	for i, p := range params {
		if i > 0 {
			w.SP()
		}
		w.String(p.Field).SP()
		if p.Value == nil {
			w.Nil()
		} else {
			w.String(*p.Value)
		}
	}
	return w.RawString(")").CRLF()
}

// ThreadNode is a THREAD response tree node: a message number (or UID)
// with its children; Num 0 is a dummy parent.
type ThreadNode struct {
	Num      uint32
	Children []*ThreadNode
}

// Thread writes "* THREAD (...)..." (RFC 5256).
func (w *Writer) Thread(roots []*ThreadNode) *Writer {
	w.RawString("* THREAD")
	for _, r := range roots {
		w.SP().RawString("(")
		w.threadNode(r)
		w.RawString(")")
	}
	return w.CRLF()
}

func (w *Writer) threadNode(n *ThreadNode) {
	// A chain of single children is written flat: (1 2 3); branches are
	// parenthesised: (1 (2)(3)).
	first := true
	for {
		if n.Num != 0 {
			if !first {
				w.SP()
			}
			w.Number(n.Num)
			first = false
		}
		if len(n.Children) != 1 {
			break
		}
		n = n.Children[0]
	}
	if len(n.Children) > 1 {
		if !first {
			w.SP()
		}
		for _, c := range n.Children {
			w.RawString("(")
			w.threadNode(c)
			w.RawString(")")
		}
	}
}
