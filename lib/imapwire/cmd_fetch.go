package imapwire

// FETCH and STORE (RFC 9051 6.4.5 and 6.4.6, RFC 7162 CONDSTORE/QRESYNC,
// RFC 3516 BINARY, RFC 8474 OBJECTID, RFC 8514 SAVEDATE, RFC 8970 PREVIEW,
// RFC 5257 ANNOTATE; Cyrus parse_fetch_args and cmd_store).

import (
	"strconv"

	"github.com/emersion/go-imap/v2"
)

// FetchItems are the FETCH attributes that imap.FetchOptions does not
// model: the RFC 822 forms (answered under their own names), extensions and
// Cyrus's own attributes. Cyrus's CID, BASECID, MAILBOXES and MAILBOXIDS
// exist only with conversations: on and are not parsed (see doc.go).
type FetchItems uint64

const (
	FetchRFC822         FetchItems = 1 << iota // RFC822 (sets \Seen)
	FetchRFC822Peek                            // RFC822.PEEK (Cyrus)
	FetchRFC822Header                          // RFC822.HEADER
	FetchRFC822Text                            // RFC822.TEXT (sets \Seen)
	FetchRFC822TextPeek                        // RFC822.TEXT.PEEK (Cyrus)
	FetchRFC822SHA1                            // RFC822.SHA1 (Cyrus)
	FetchRFC822FileSize                        // RFC822.FILESIZE (Cyrus)
	FetchDigestSHA1                            // DIGEST.SHA1 (Cyrus, message GUID)
	FetchEmailID                               // EMAILID (RFC 8474)
	FetchThreadID                              // THREADID (RFC 8474)
	FetchSaveDate                              // SAVEDATE (RFC 8514)
	FetchPreview                               // PREVIEW (RFC 8970)
	FetchCreatedModSeq                         // CREATEDMODSEQ (Cyrus)
	FetchUIDValidity                           // UIDVALIDITY (Cyrus)
	FetchLastUpdated                           // LASTUPDATED (Cyrus)
	FetchFolder                                // FOLDER (Cyrus)
	FetchAnnotation                            // ANNOTATION (RFC 5257)
)

// Fetch holds FETCH's arguments. Options is go-imap's view of the standard
// items (macros expanded: ALL = FLAGS INTERNALDATE RFC822.SIZE ENVELOPE,
// FAST = FLAGS INTERNALDATE RFC822.SIZE, FULL = ALL + BODY); Items has the
// others. A BODY[...]<o.n> partial is Options.BodySection[i].Partial.
// CHANGEDSINCE sets Options.ChangedSince and Options.ModSeq (RFC 7162
// 3.1.4.1).
type Fetch struct {
	Set     imap.NumSet
	Macro   string // "ALL", "FAST", "FULL" or ""
	Options imap.FetchOptions
	Items   FetchItems
	// RFC822.HEADER.LINES (Cyrus, lower-cased field names).
	HeaderLines, HeaderLinesNot []string
	Annotation                  *AnnotationFetch
	PreviewLazy                 bool // PREVIEW (LAZY)
	Vanished                    bool // VANISHED modifier (RFC 7162 3.2.6)
	// Partial is RFC 9394's PARTIAL modifier (with ExtPartial), nil =
	// absent.
	Partial *PartialRange
}

// parseFetch parses "FETCH sequence-set fetch-atts [modifiers]".
func parseFetch(p *Parser, c int, uid bool) (any, error) {
	if !uid && c != ' ' {
		return nil, p.missingArgs(c)
	}
	c = p.getword()
	if c == '\r' {
		return nil, p.missingArgs(c)
	}
	set, ok := p.numSet(p.tok, uid)
	if c != ' ' || !ok {
		return nil, p.badSequence(c)
	}
	cmd := "Fetch"
	if uid {
		cmd = "UID Fetch"
	}
	f := &Fetch{Set: set}
	if err := p.fetchArgs(f, cmd, uid); err != nil {
		return nil, err
	}
	if uid {
		f.Options.UID = true
	}
	return f, nil
}

func (p *Parser) fetchArgs(f *Fetch, cmd string, uid bool) error {
	bad := func(c int, format string, args ...any) error {
		return p.fail(c, newBAD(p.tag, format, args...))
	}
	o := &f.Options
	inList := false
	c := p.getword()
	if c == '(' && len(p.tok) == 0 {
		inList = true
		c = p.getword()
	}
	for {
		if !p.item() {
			return p.tooMany(c)
		}
		upperInPlace(p.tok)
		tok := p.tok // compared without allocating
		switch {
		case !inList && string(tok) == "ALL":
			f.Macro = "ALL"
			o.Flags, o.InternalDate, o.RFC822Size, o.Envelope = true, true, true, true
		case !inList && string(tok) == "FAST":
			f.Macro = "FAST"
			o.Flags, o.InternalDate, o.RFC822Size = true, true, true
		case !inList && string(tok) == "FULL":
			f.Macro = "FULL"
			o.Flags, o.InternalDate, o.RFC822Size, o.Envelope = true, true, true, true
			o.BodyStructure = &imap.FetchItemBodyStructure{}
		case string(tok) == "ANNOTATION":
			f.Items |= FetchAnnotation
			if c != ' ' {
				return bad(c, TextFetchBadAnnotation)
			}
			if c = p.getc(); c != '(' {
				return bad(c, TextFetchBadAnnotation)
			}
			a := &AnnotationFetch{}
			if c = p.annotateFetchData(a); c < 0 {
				return p.annotErr(c)
			}
			if c != ')' {
				return bad(c, TextFetchBadAnnotation)
			}
			f.Annotation = a
			c = p.getc()
		case hasPrefix(string(tok), "BINARY[") || hasPrefix(string(tok), "BINARY.PEEK[") || hasPrefix(string(tok), "BINARY.SIZE["):
			if err := p.fetchBinary(f, string(tok), c); err != nil {
				return err
			}
		case string(tok) == "BODY":
			if o.BodyStructure == nil {
				o.BodyStructure = &imap.FetchItemBodyStructure{}
			}
		case string(tok) == "BODYSTRUCTURE":
			o.BodyStructure = &imap.FetchItemBodyStructure{Extended: true}
		case hasPrefix(string(tok), "BODY[") || hasPrefix(string(tok), "BODY.PEEK["):
			var err error
			if c, err = p.fetchBody(f, string(tok), c, cmd); err != nil {
				return err
			}
		case string(tok) == "CREATEDMODSEQ":
			f.Items |= FetchCreatedModSeq
		case string(tok) == "DIGEST.SHA1":
			f.Items |= FetchDigestSHA1
		case string(tok) == "ENVELOPE":
			o.Envelope = true
		case string(tok) == "EMAILID":
			f.Items |= FetchEmailID
		case string(tok) == "FLAGS":
			o.Flags = true
		case string(tok) == "FOLDER":
			f.Items |= FetchFolder
		case string(tok) == "INTERNALDATE":
			o.InternalDate = true
		case string(tok) == "LASTUPDATED":
			f.Items |= FetchLastUpdated
		case string(tok) == "MODSEQ":
			o.ModSeq = true
		case string(tok) == "PREVIEW":
			f.Items |= FetchPreview
			if c == ' ' {
				if c = p.getc(); c == '(' {
					c = ' '
					for c == ' ' {
						c = p.getword()
						if !equalFold(p.tok, "LAZY") {
							return bad(c, TextFetchBadPreview, string(p.tok))
						}
						f.PreviewLazy = true
					}
					if c != ')' {
						return bad(c, TextFetchPreviewOpen)
					}
					c = p.getc()
				} else {
					p.ungetc(c)
					c = ' '
				}
			}
		case string(tok) == "RFC822":
			f.Items |= FetchRFC822
		case string(tok) == "RFC822.HEADER":
			f.Items |= FetchRFC822Header
		case string(tok) == "RFC822.PEEK":
			f.Items |= FetchRFC822Peek
		case string(tok) == "RFC822.SIZE":
			o.RFC822Size = true
		case string(tok) == "RFC822.TEXT":
			f.Items |= FetchRFC822Text
		case string(tok) == "RFC822.SHA1":
			f.Items |= FetchRFC822SHA1
		case string(tok) == "RFC822.FILESIZE":
			f.Items |= FetchRFC822FileSize
		case string(tok) == "RFC822.TEXT.PEEK":
			f.Items |= FetchRFC822TextPeek
		case string(tok) == "RFC822.HEADER.LINES" || string(tok) == "RFC822.HEADER.LINES.NOT":
			att := string(tok)
			if c != ' ' {
				return bad(c, TextFetchMissingArg, cmd, att)
			}
			if c = p.getc(); c != '(' {
				return bad(c, TextFetchMissingOpen, cmd, att)
			}
			for {
				var field string
				field, c = p.astring()
				if c == cTooBig {
					return p.literalTooBig(cmd + " " + att)
				}
				if !validFieldName(field) {
					return bad(c, TextFetchBadField, cmd, att)
				}
				if !p.item() {
					return p.tooMany(c)
				}
				field = lowerASCII([]byte(field))
				if att == "RFC822.HEADER.LINES" {
					f.HeaderLines = append(f.HeaderLines, field)
				} else {
					f.HeaderLinesNot = append(f.HeaderLinesNot, field)
				}
				if c != ' ' {
					break
				}
			}
			if c != ')' {
				return bad(c, TextFetchMissingClose, cmd, att)
			}
			c = p.getc()
		case string(tok) == "SAVEDATE":
			f.Items |= FetchSaveDate
		case string(tok) == "THREADID":
			f.Items |= FetchThreadID
		case string(tok) == "UID":
			o.UID = true
		case string(tok) == "UIDVALIDITY":
			f.Items |= FetchUIDValidity
		default:
			return bad(c, TextFetchBadAttr, cmd, string(tok))
		}
		if inList && c == ' ' {
			c = p.getword()
			continue
		}
		break
	}
	if inList && c == ')' {
		inList = false
		c = p.getc()
	}
	if inList {
		return bad(c, TextFetchNoClose, cmd)
	}
	if c == ' ' {
		// Modifiers (RFC 4466 2.4).
		if c = p.getc(); c != '(' {
			return bad(c, TextFetchModOpen, cmd)
		}
		for {
			c = p.getword()
			if !p.item() {
				return p.tooMany(c)
			}
			mod := upperASCII(p.tok)
			switch {
			case mod == "CHANGEDSINCE":
				if c != ' ' {
					return bad(c, TextFetchMissingArg, cmd, mod)
				}
				var ms uint64
				if ms, c = p.getmodseq(); c < 0 {
					return bad(c, TextFetchModBadArg, cmd, mod)
				}
				o.ChangedSince = ms
				o.ModSeq = true
			case mod == "VANISHED" && uid && p.isEnabled("QRESYNC"):
				f.Vanished = true
			case mod == "PARTIAL" && p.opt.Ext&ExtPartial != 0 && f.Partial == nil:
				// RFC 9394 3.2: only the messages at these positions
				// of the (ascending) set are fetched
				if c != ' ' {
					return bad(c, TextFetchMissingArg, cmd, mod)
				}
				var ok bool
				if f.Partial, c, ok = p.partialRange(); !ok {
					return bad(c, TextFetchModBadArg, cmd, mod)
				}
			default:
				return bad(c, TextFetchBadModifier, cmd, mod)
			}
			if c != ' ' {
				break
			}
		}
		if c != ')' {
			return bad(c, TextFetchNoClose, cmd)
		}
		c = p.getc()
	}
	if !p.isEOL(&c) {
		return bad(c, TextExtraArgs, cmd)
	}
	if f.Items == 0 && !o.Flags && !o.UID && !o.InternalDate && !o.RFC822Size &&
		!o.Envelope && o.BodyStructure == nil && len(o.BodySection) == 0 &&
		len(o.BinarySection) == 0 && len(o.BinarySectionSize) == 0 && !o.ModSeq &&
		len(f.HeaderLines) == 0 && len(f.HeaderLinesNot) == 0 {
		return newBAD(p.tag, TextMissingArgs, cmd)
	}
	if f.Vanished && o.ChangedSince == 0 {
		return newBAD(p.tag, TextMissingArgs, cmd)
	}
	return nil
}

// fetchBinary parses BINARY[part]<partial>, BINARY.PEEK[...] and
// BINARY.SIZE[part] (RFC 3516 / RFC 9051).
func (p *Parser) fetchBinary(f *Fetch, att string, c int) error {
	rest := att[len("BINARY["):]
	peek, size := false, false
	if hasPrefix(att, "BINARY.PEEK[") {
		rest, peek = att[len("BINARY.PEEK["):], true
	} else if hasPrefix(att, "BINARY.SIZE[") {
		rest, size = att[len("BINARY.SIZE["):], true
	}
	part, i := scanPart(rest, false)
	if i >= len(rest) || rest[i] != ']' {
		return p.fail(c, newBAD(p.tag, TextFetchBadBinary))
	}
	i++
	var partial *imap.SectionPartial
	if !size {
		var ok bool
		if partial, i, ok = scanPartial(rest, i); !ok {
			return p.fail(c, newBAD(p.tag, TextFetchBadPartial))
		}
	}
	if i != len(rest) {
		return p.fail(c, newBAD(p.tag, TextFetchJunkBinary))
	}
	if size {
		f.Options.BinarySectionSize = append(f.Options.BinarySectionSize, &imap.FetchItemBinarySectionSize{Part: part})
	} else {
		f.Options.BinarySection = append(f.Options.BinarySection, &imap.FetchItemBinarySection{Part: part, Partial: partial, Peek: peek})
	}
	return nil
}

// fetchBody parses BODY[section]<partial> and BODY.PEEK[...]; for
// HEADER.FIELDS it reads the field list that follows the word.
func (p *Parser) fetchBody(f *Fetch, att string, c int, cmd string) (int, error) {
	sec := &imap.FetchItemBodySection{}
	rest := att[len("BODY["):]
	if hasPrefix(att, "BODY.PEEK[") {
		rest, sec.Peek = att[len("BODY.PEEK["):], true
	}
	part, i := scanPart(rest, true)
	sec.Part = part
	spec := rest[i:]
	atStart := i == 0 || rest[i-1] == '.'
	if atStart && (spec == "HEADER.FIELDS" || spec == "HEADER.FIELDS.NOT") {
		if c != ' ' {
			return c, p.fail(c, newBAD(p.tag, TextFetchMissingArg, cmd, att))
		}
		if c = p.getc(); c != '(' {
			return c, p.fail(c, newBAD(p.tag, TextFetchMissingOpen, cmd, att))
		}
		var fields []string
		for {
			var field string
			field, c = p.astring()
			if c == cTooBig {
				return c, p.literalTooBig(cmd + " " + att)
			}
			if !validFieldName(field) {
				return c, p.fail(c, newBAD(p.tag, TextFetchBadField, cmd, att))
			}
			if !p.item() {
				return c, p.tooMany(c)
			}
			fields = append(fields, field)
			if c != ' ' {
				break
			}
		}
		if c != ')' {
			return c, p.fail(c, newBAD(p.tag, TextFetchMissingClose, cmd, att))
		}
		c = p.getword()
		trail := p.tok
		if len(trail) == 0 || trail[0] != ']' {
			return c, p.fail(c, newBAD(p.tag, TextFetchMissingBracket, cmd, att))
		}
		partial, j, ok := scanPartial(string(trail), 1)
		if !ok {
			return c, p.fail(c, newBAD(p.tag, TextFetchBadPartial))
		}
		if j != len(trail) {
			return c, p.fail(c, newBAD(p.tag, TextFetchJunkSection))
		}
		sec.Specifier = imap.PartSpecifierHeader
		if spec == "HEADER.FIELDS" {
			sec.HeaderFields = fields
		} else {
			sec.HeaderFieldsNot = fields
		}
		sec.Partial = partial
		f.Options.BodySection = append(f.Options.BodySection, sec)
		return c, nil
	}
	switch {
	case atStart && hasPrefix(spec, "HEADER]"):
		sec.Specifier = imap.PartSpecifierHeader
		i += len("HEADER")
	case i > 0 && rest[i-1] == '.' && hasPrefix(spec, "MIME]"):
		sec.Specifier = imap.PartSpecifierMIME
		i += len("MIME")
	case atStart && hasPrefix(spec, "TEXT]"):
		sec.Specifier = imap.PartSpecifierText
		i += len("TEXT")
	}
	if i >= len(rest) || rest[i] != ']' {
		return c, p.fail(c, newBAD(p.tag, TextFetchBadSection))
	}
	partial, j, ok := scanPartial(rest, i+1)
	if !ok {
		return c, p.fail(c, newBAD(p.tag, TextFetchBadPartial))
	}
	if j != len(rest) {
		return c, p.fail(c, newBAD(p.tag, TextFetchJunkSection))
	}
	sec.Partial = partial
	f.Options.BodySection = append(f.Options.BodySection, sec)
	return c, nil
}

// scanPart reads a section part "1.2.3" (with a trailing dot, as Cyrus
// allows) and returns the numbers and the index after it. A part number
// cannot start with 0; BODY (body=true) allows the obsolete section "0"
// right before the closing bracket.
func scanPart(s string, body bool) ([]int, int) {
	var part []int
	i := 0
	for i < len(s) {
		ch := s[i]
		if ch == '.' {
			if i == 0 || !isDigit(s[i-1]) {
				break
			}
			i++
			continue
		}
		if !isDigit(ch) {
			break
		}
		if ch == '0' && (i == 0 || !isDigit(s[i-1])) {
			if !body || i+1 >= len(s) || s[i+1] != ']' {
				break
			}
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		n, err := strconv.Atoi(s[i:j])
		if err != nil {
			return part, i
		}
		part = append(part, n)
		i = j
	}
	return part, i
}

// scanPartial reads an optional "<origin.count>" at s[i:] (Cyrus's
// PARSE_PARTIAL: the count must be non-zero; the origin alone is invalid).
func scanPartial(s string, i int) (*imap.SectionPartial, int, bool) {
	if i >= len(s) || s[i] != '<' || i+1 >= len(s) || !isDigit(s[i+1]) {
		return nil, i, true
	}
	j := i + 1
	var off int64
	for j < len(s) && isDigit(s[j]) {
		off = off*10 + int64(s[j]-'0')
		if off > 1<<40 {
			return nil, j, false
		}
		j++
	}
	if j+1 >= len(s) || s[j] != '.' || s[j+1] < '1' || s[j+1] > '9' {
		return nil, j, false
	}
	j++
	var n int64
	for j < len(s) && isDigit(s[j]) {
		n = n*10 + int64(s[j]-'0')
		if n > 1<<40 {
			return nil, j, false
		}
		j++
	}
	if j >= len(s) || s[j] != '>' {
		return nil, j, false
	}
	return &imap.SectionPartial{Offset: off, Size: n}, j + 1, true
}

// validFieldName is Cyrus's check of a HEADER.FIELDS name: not empty, no
// control, space, 8-bit or colon.
func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i]&0x80 != 0 || s[i] == ':' {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func hasPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && s[:len(prefix)] == prefix
}

// Store holds STORE's arguments (RFC 9051 6.4.6, RFC 7162 3.1.3). Flags.Op
// and Flags.Silent come from the data item name; for STORE ANNOTATION (RFC
// 5257) Annotations is set instead and the store is silent.
type Store struct {
	Set            imap.NumSet
	UnchangedSince uint64
	HasUnchanged   bool
	Flags          imap.StoreFlags
	Annotations    []AnnotationStore
}

// parseStore parses "STORE sequence-set [modifiers] item value".
func parseStore(p *Parser, c int, uid bool) (any, error) {
	if !uid && c != ' ' {
		return nil, p.missingArgs(c)
	}
	c = p.getword()
	set, ok := p.numSet(p.tok, uid)
	if c != ' ' || !ok {
		return nil, p.badSequence(c)
	}
	cmd := "Store"
	if uid {
		cmd = "UID Store"
	}
	bad := func(c int, format string, args ...any) error {
		return p.fail(c, newBAD(p.tag, format, args...))
	}
	s := &Store{Set: set}
	if c = p.getc(); c == '(' {
		for {
			c = p.getword()
			mod := upperASCII(p.tok)
			if mod != "UNCHANGEDSINCE" {
				return nil, bad(c, TextStoreBadMod, cmd, mod)
			}
			if c != ' ' {
				return nil, bad(c, TextFetchMissingArg, cmd, mod)
			}
			if s.UnchangedSince, c = p.getmodseq(); c < 0 {
				return nil, bad(c, TextStoreModBadArg, cmd)
			}
			s.HasUnchanged = true
			if c != ' ' {
				break
			}
		}
		if c != ')' {
			return nil, bad(c, TextStoreModNoClose)
		}
		if c = p.getc(); c != ' ' {
			return nil, bad(c, TextMissingArgs, cmd)
		}
	} else {
		p.ungetc(c)
	}
	c = p.getword()
	if c != ' ' {
		return nil, bad(c, TextMissingArgs, cmd)
	}
	op := lowerASCII(p.tok)
	if len(op) > 7 && op[len(op)-7:] == ".silent" {
		s.Flags.Silent = true
		op = op[:len(op)-7]
	}
	switch op {
	case "+flags":
		s.Flags.Op = imap.StoreFlagsAdd
	case "-flags":
		s.Flags.Op = imap.StoreFlagsDel
	case "flags":
		s.Flags.Op = imap.StoreFlagsSet
	case "annotation":
		s.Flags.Silent = true
		if c = p.annotateStoreData(&s.Annotations); c < 0 {
			return nil, p.annotErr(c)
		}
		if !p.isEOL(&c) {
			return nil, bad(c, TextExtraArgs, cmd)
		}
		return s, nil
	default:
		return nil, bad(' ', TextStoreBadAttr, cmd)
	}
	inList, parsed := false, 0
	for {
		c = p.getword()
		if c == '(' && len(p.tok) == 0 && parsed == 0 && !inList {
			inList = true
			continue
		}
		if len(p.tok) == 0 {
			break
		}
		if !p.item() {
			return nil, p.tooMany(c)
		}
		if p.tok[0] == '\\' {
			switch name := lowerASCII(p.tok); name {
			case "\\seen", "\\answered", "\\flagged", "\\deleted", "\\draft":
				s.Flags.Flags = append(s.Flags.Flags, canonicalSystemFlag(name))
			default:
				return nil, bad(c, TextStoreBadSystemFlag, cmd)
			}
		} else if !isAtom(p.tok) {
			return nil, bad(c, TextStoreBadFlag, string(p.tok), cmd)
		} else {
			s.Flags.Flags = append(s.Flags.Flags, imap.Flag(p.tok))
		}
		parsed++
		if c != ' ' {
			break
		}
	}
	if !inList && parsed == 0 {
		return nil, bad(c, TextMissingArgs, cmd)
	}
	if inList && c == ')' {
		inList = false
		c = p.getc()
	}
	if inList {
		return nil, bad(c, TextStoreNoClose, cmd)
	}
	if !p.isEOL(&c) {
		return nil, bad(c, TextExtraArgs, cmd)
	}
	return s, nil
}

// canonicalSystemFlag returns the RFC spelling of a lower-cased system flag.
func canonicalSystemFlag(lower string) imap.Flag {
	switch lower {
	case "\\seen":
		return imap.FlagSeen
	case "\\answered":
		return imap.FlagAnswered
	case "\\flagged":
		return imap.FlagFlagged
	case "\\deleted":
		return imap.FlagDeleted
	case "\\draft":
		return imap.FlagDraft
	}
	return imap.Flag(lower)
}
