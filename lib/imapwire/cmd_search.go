package imapwire

// SEARCH, ESEARCH, SORT and THREAD (RFC 9051 6.4.4, RFC 4731 ESEARCH,
// RFC 5182 SEARCHRES, RFC 5267 ESORT, RFC 5256 SORT/THREAD, RFC 7162 MODSEQ,
// RFC 5032 WITHIN, RFC 8474 OBJECTID, RFC 8514 SAVEDATE, RFC 6203 FUZZY,
// RFC 7377 MULTISEARCH, RFC 9394 PARTIAL; Cyrus get_search_criterion,
// get_search_return_opts, cmd_sort, getsortcriteria, cmd_thread).

import (
	"math"
	"time"

	"github.com/emersion/go-imap/v2"
)

// SearchOp names a search key: the IMAP keyword in upper case, plus
// SearchAnd for a parenthesised list (and the whole program) and SearchSeq
// for a bare sequence set.
type SearchOp string

// Search keys. The comment gives the SearchKey fields each one uses.
const (
	SearchAnd               SearchOp = "AND"    // Keys
	SearchSeq               SearchOp = "SEQSET" // Set (imap.SeqSet, or imap.SearchRes())
	SearchAll               SearchOp = "ALL"
	SearchAnswered          SearchOp = "ANSWERED"
	SearchDeleted           SearchOp = "DELETED"
	SearchDraft             SearchOp = "DRAFT"
	SearchFlagged           SearchOp = "FLAGGED"
	SearchNew               SearchOp = "NEW"
	SearchOld               SearchOp = "OLD"
	SearchRecent            SearchOp = "RECENT"
	SearchSeen              SearchOp = "SEEN"
	SearchUnanswered        SearchOp = "UNANSWERED"
	SearchUndeleted         SearchOp = "UNDELETED"
	SearchUndraft           SearchOp = "UNDRAFT"
	SearchUnflagged         SearchOp = "UNFLAGGED"
	SearchUnseen            SearchOp = "UNSEEN"
	SearchKeyword           SearchOp = "KEYWORD"   // Flag
	SearchUnkeyword         SearchOp = "UNKEYWORD" // Flag
	SearchBcc               SearchOp = "BCC"       // Text
	SearchBody              SearchOp = "BODY"      // Text
	SearchCc                SearchOp = "CC"        // Text
	SearchFrom              SearchOp = "FROM"      // Text
	SearchSubject           SearchOp = "SUBJECT"   // Text
	SearchText              SearchOp = "TEXT"      // Text
	SearchTo                SearchOp = "TO"        // Text
	SearchHeader            SearchOp = "HEADER"    // Field, Text
	SearchBefore            SearchOp = "BEFORE"    // Date
	SearchOn                SearchOp = "ON"        // Date
	SearchSince             SearchOp = "SINCE"     // Date
	SearchSentBefore        SearchOp = "SENTBEFORE"
	SearchSentOn            SearchOp = "SENTON"
	SearchSentSince         SearchOp = "SENTSINCE"
	SearchSavedBefore       SearchOp = "SAVEDBEFORE" // RFC 8514, Date
	SearchSavedOn           SearchOp = "SAVEDON"
	SearchSavedSince        SearchOp = "SAVEDSINCE"
	SearchSaveDateSupported SearchOp = "SAVEDATESUPPORTED"
	SearchLarger            SearchOp = "LARGER"     // Num
	SearchSmaller           SearchOp = "SMALLER"    // Num
	SearchOlder             SearchOp = "OLDER"      // Num seconds (RFC 5032)
	SearchYounger           SearchOp = "YOUNGER"    // Num seconds
	SearchUID               SearchOp = "UID"        // Set (imap.UIDSet)
	SearchNot               SearchOp = "NOT"        // Keys[0]
	SearchOr                SearchOp = "OR"         // Keys[0], Keys[1]
	SearchFuzzy             SearchOp = "FUZZY"      // Keys[0] (RFC 6203)
	SearchModSeq            SearchOp = "MODSEQ"     // Num; Field, Attr for the entry (RFC 7162)
	SearchEmailID           SearchOp = "EMAILID"    // Text (RFC 8474)
	SearchThreadID          SearchOp = "THREADID"   // Text
	SearchAnnotation        SearchOp = "ANNOTATION" // Field entry, Attr, Value (RFC 5257)
	// Cyrus extensions.
	SearchDeliveredTo    SearchOp = "DELIVEREDTO"     // Text
	SearchFolder         SearchOp = "FOLDER"          // Text
	SearchCID            SearchOp = "CID"             // Text
	SearchSpamAbove      SearchOp = "SPAMABOVE"       // Text (a decimal number)
	SearchSpamBelow      SearchOp = "SPAMBELOW"       // Text
	SearchAttachmentName SearchOp = "XATTACHMENTNAME" // Text
	SearchAttachmentBody SearchOp = "XATTACHMENTBODY" // Text
	SearchListID         SearchOp = "XLISTID"         // Text
	SearchContentType    SearchOp = "XCONTENTTYPE"    // Text
)

// SearchKey is one node of a search program. go-imap's imap.SearchCriteria
// flattens a program into a conjunction and cannot hold OLDER/YOUNGER,
// SAVEDxxx, OBJECTID, FUZZY, ANNOTATION or Cyrus's keys, nor the order of
// the keys; this tree keeps everything. Criteria converts the subset
// go-imap can express.
type SearchKey struct {
	Op    SearchOp
	Keys  []*SearchKey
	Text  string
	Field string
	Attr  string
	Value []byte // ANNOTATION value; nil for NIL
	Date  time.Time
	Num   uint64
	Set   imap.NumSet
	Flag  imap.Flag
}

// SearchReturn holds RETURN options (RFC 4731, RFC 5182 SAVE, RFC 9394
// PARTIAL, RFC 6203 RELEVANCY). An empty list means ALL (RFC 4731).
type SearchReturn struct {
	imap.SearchOptions
	Relevancy bool
	// Partial is RFC 9394's range: First:Last, both negative for a range
	// counted from the end ("-1:-100").
	Partial *PartialRange
}

// PartialRange is a PARTIAL search return range.
type PartialRange struct {
	First, Last int64
}

// SearchSource is RFC 7377's "IN (source-mbox [(scope-options)])".
type SearchSource struct {
	Filters []MailboxFilter
	Scope   []string
}

// MailboxFilter is one RFC 5465 filter-mailboxes item: Kind is
// "selected", "selected-delayed", "inboxes", "personal", "subscribed",
// "subtree", "subtree-one" or "mailboxes" (lower case); the last three take
// Mailboxes.
type MailboxFilter struct {
	Kind      string
	Mailboxes []string
}

// Search holds SEARCH/ESEARCH's arguments. Return is nil without RETURN
// (a plain "* SEARCH" answer is wanted). Program is the root SearchAnd.
type Search struct {
	Charset string
	Return  *SearchReturn
	Source  *SearchSource
	Program *SearchKey
}

// Sort holds SORT's arguments (RFC 5256, RFC 5267 ESORT).
type Sort struct {
	Return   *SearchReturn
	Criteria []SortCriterion
	Charset  string
	Program  *SearchKey
}

// SortCriterion is one sort key, lower case as Cyrus spells them
// ("arrival", "date", "displayfrom", "annotation"...). Args holds
// ANNOTATION's entry and attribute or HASFLAG's flag.
type SortCriterion struct {
	Key     string
	Reverse bool
	Args    []string
}

// Thread holds THREAD's arguments (RFC 5256).
type Thread struct {
	Algorithm string // as sent
	Charset   string
	Program   *SearchKey
}

type searchCtx struct {
	charsetFirst bool // SORT/THREAD: the charset precedes the program
	charsetKW    bool // SEARCH: a CHARSET key may come (before other keys)
	returnOK     bool // SEARCH: RETURN may come (first)
	charset      string
	ret          *SearchReturn
}

// parseSearch parses "SEARCH [RETURN (...)] [CHARSET x] keys".
func parseSearch(p *Parser, c int, uid bool) (any, error) {
	if !uid && c != ' ' {
		return nil, p.missingArgs(c)
	}
	return p.searchCommand(&searchCtx{charsetKW: true, returnOK: true}, nil)
}

func (p *Parser) searchCommand(ctx *searchCtx, src *SearchSource) (any, error) {
	prog := &SearchKey{Op: SearchAnd}
	c := p.searchProgram(ctx, prog)
	if c < 0 {
		return nil, p.searchFail(c, "Search")
	}
	if !p.isEOL(&c) {
		return nil, p.fail(c, newBAD(p.tag, TextExtraArgs, "Search"))
	}
	return &Search{Charset: ctx.charset, Return: ctx.ret, Source: src, Program: prog}, nil
}

// searchFail turns a failed search program into the command's error.
func (p *Parser) searchFail(c int, where string) error {
	switch {
	case c == cTooBig:
		return p.literalTooBig(where)
	case c == cRefused:
		return p.refused
	case p.failed():
		return p.stopErr()
	}
	e, _ := p.serr.(*Error)
	p.serr = nil
	if e == nil {
		e = newBAD(p.tag, TextSearchBadCriteria)
	}
	return p.fail(' ', e)
}

// searchProgram reads keys separated by spaces into parent.
func (p *Parser) searchProgram(ctx *searchCtx, parent *SearchKey) int {
	for {
		c := p.searchKey(ctx, parent)
		if c != ' ' {
			return c
		}
	}
}

// searchErr records the error of a search key and pushes c back, as
// get_search_criterion does before returning EOF.
func (p *Parser) searchErr(c int, format string, args ...any) int {
	if c == cTooBig || c == cRefused {
		return c
	}
	if p.serr == nil {
		p.serr = newBAD(p.tag, format, args...)
	}
	p.ungetc(c)
	return cEOF
}

// searchKey parses one search key (get_search_criterion).
func (p *Parser) searchKey(ctx *searchCtx, parent *SearchKey) int {
	if ctx.charsetFirst {
		_, c := p.getxstring(gxAtom | gxQuoted)
		if c != ' ' {
			return p.searchErr(c, TextSearchNoCharset)
		}
		if !p.knownCharset(p.tok) {
			return p.searchErr(c, TextSearchBadCharset)
		}
		ctx.charset = string(p.tok)
		ctx.charsetFirst = false
	}
	if !p.item() {
		p.serr = newNO(p.tag, "LIMIT", TextTooManyArgs, p.display)
		return cEOF
	}
	c := p.getword()
	lowerInPlace(p.tok)
	p.lastWordB = append(p.lastWordB[:0], p.tok...)
	if op, ok := simpleSearchKeys[string(p.tok)]; ok {
		parent.add(&SearchKey{Op: op})
		c = p.endKey(ctx, c)
		return c
	}
	switch string(p.tok) {
	case "":
		if c != '(' {
			return p.searchErr(c, TextSearchBadCriteria)
		}
		if p.depth++; p.depth > p.lim.MaxDepth {
			p.serr = newNO(p.tag, "LIMIT", TextTooDeep, p.display)
			return cEOF
		}
		k := parent.add(&SearchKey{Op: SearchAnd})
		if c = p.searchProgram(ctx, k); c < 0 {
			return c
		}
		if c != ')' {
			return p.searchErr(c, TextSearchNoClose)
		}
		p.depth--
		c = p.getc()
	case "bcc":
		c = p.skStr(parent, SearchBcc, c)
	case "body":
		c = p.skStr(parent, SearchBody, c)
	case "cc":
		c = p.skStr(parent, SearchCc, c)
	case "from":
		c = p.skStr(parent, SearchFrom, c)
	case "subject":
		c = p.skStr(parent, SearchSubject, c)
	case "text":
		c = p.skStr(parent, SearchText, c)
	case "to":
		c = p.skStr(parent, SearchTo, c)
	case "deliveredto":
		c = p.skStr(parent, SearchDeliveredTo, c)
	case "emailid":
		c = p.skStr(parent, SearchEmailID, c)
	case "threadid":
		c = p.skStr(parent, SearchThreadID, c)
	case "folder":
		c = p.skStr(parent, SearchFolder, c)
	case "xattachmentname":
		c = p.skStr(parent, SearchAttachmentName, c)
	case "xattachmentbody":
		c = p.skStr(parent, SearchAttachmentBody, c)
	case "xlistid":
		c = p.skStr(parent, SearchListID, c)
	case "xcontenttype":
		c = p.skStr(parent, SearchContentType, c)
	case "spamabove", "spambelow":
		if c != ' ' {
			return p.skMissing(c)
		}
		var s string
		if s, c = p.astring(); c < 0 {
			return p.searchErr(c, TextSearchBadNumber)
		}
		op := SearchSpamAbove
		if p.lastWordB[4] == 'b' {
			op = SearchSpamBelow
		}
		parent.add(&SearchKey{Op: op, Text: s})
	case "cid":
		if c != ' ' {
			return p.skMissing(c)
		}
		if c = p.getword(); c < 0 || !isHex(p.tok) {
			return p.searchErr(c, TextSearchBadNumber)
		}
		parent.add(&SearchKey{Op: SearchCID, Text: string(p.tok)})
	case "header":
		if c != ' ' {
			return p.skMissing(c)
		}
		var field, value string
		if field, c = p.astring(); c != ' ' {
			return p.skMissing(c)
		}
		if value, c = p.astring(); c < 0 {
			return p.skMissing(c)
		}
		parent.add(&SearchKey{Op: SearchHeader, Field: field, Text: value})
	case "before":
		c = p.skDate(parent, SearchBefore, c)
	case "on":
		c = p.skDate(parent, SearchOn, c)
	case "since":
		c = p.skDate(parent, SearchSince, c)
	case "sentbefore":
		c = p.skDate(parent, SearchSentBefore, c)
	case "senton":
		c = p.skDate(parent, SearchSentOn, c)
	case "sentsince":
		c = p.skDate(parent, SearchSentSince, c)
	case "savedbefore":
		c = p.skDate(parent, SearchSavedBefore, c)
	case "savedon":
		c = p.skDate(parent, SearchSavedOn, c)
	case "savedsince":
		c = p.skDate(parent, SearchSavedSince, c)
	case "keyword":
		c = p.skFlag(parent, SearchKeyword, c)
	case "unkeyword":
		c = p.skFlag(parent, SearchUnkeyword, c)
	case "larger", "smaller":
		if c != ' ' {
			return p.skMissing(c)
		}
		// Cyrus reads a signed 32-bit number (and closes the connection
		// above 2^31-1); we take RFC 9051's 32-bit unsigned number.
		n, c2, ok := p.getnumber(math.MaxUint32)
		if c = c2; !ok {
			return p.searchErr(c, TextSearchBadNumber)
		}
		op := SearchLarger
		if p.lastWordB[0] == 's' {
			op = SearchSmaller
		}
		parent.add(&SearchKey{Op: op, Num: n})
	case "older", "younger":
		if c != ' ' {
			return p.skMissing(c)
		}
		n, c2, ok := p.getnumber(math.MaxInt64)
		if c = c2; !ok {
			return p.searchErr(c, TextSearchBadInterval)
		}
		op := SearchOlder
		if p.lastWordB[0] == 'y' {
			op = SearchYounger
		}
		parent.add(&SearchKey{Op: op, Num: n})
	case "modseq":
		if c != ' ' {
			return p.skMissing(c)
		}
		k := &SearchKey{Op: SearchModSeq}
		// Optional entry name (a quoted string only) and entry type.
		if _, c2 := p.getxstring(gxQuoted); c2 != cEOF {
			if c = c2; c != ' ' {
				return p.skMissing(c)
			}
			k.Field = string(p.tok)
			if c = p.getword(); c != ' ' {
				return p.skMissing(c)
			}
			k.Attr = lowerASCII(p.tok)
		}
		var ms uint64
		if ms, c = p.getmodseq(); c < 0 {
			return p.searchErr(c, TextSearchBadNumber)
		}
		k.Num = ms
		parent.add(k)
	case "not":
		c = p.skNested(ctx, parent, SearchNot, 1, c)
	case "or":
		c = p.skNested(ctx, parent, SearchOr, 2, c)
	case "fuzzy":
		c = p.skNested(ctx, parent, SearchFuzzy, 1, c)
	case "uid":
		if c != ' ' {
			return p.skMissing(c)
		}
		c = p.getword()
		set, ok := p.numSet(p.tok, true)
		if !ok {
			return p.searchErr(c, TextSearchBadCriteria)
		}
		parent.add(&SearchKey{Op: SearchUID, Set: set})
	case "annotation":
		k, c2 := p.searchAnnotation(c)
		if c = c2; c < 0 {
			return p.searchErr(c, TextSearchBadCriteria)
		}
		parent.add(k)
	case "charset":
		if !ctx.charsetKW {
			return p.searchErr(c, TextSearchBadCriteria)
		}
		if c != ' ' {
			return p.searchErr(c, TextSearchNoCharset)
		}
		if _, c = p.getxstring(gxAtom | gxQuoted); c != ' ' {
			return p.searchErr(c, TextSearchNoCharset)
		}
		if !p.knownCharset(p.tok) {
			return p.searchErr(c, TextSearchBadCharset)
		}
		ctx.charset = string(p.tok)
		ctx.returnOK = false
		ctx.charsetKW = false
		return c
	case "return":
		if !ctx.returnOK {
			return p.searchErr(c, TextSearchBadCriteria)
		}
		r, c2 := p.searchReturn()
		if c = c2; c < 0 {
			return c
		}
		ctx.ret = r
		ctx.returnOK = false
		return c // CHARSET may still follow
	default:
		if len(p.tok) > 0 && (isDigit(p.tok[0]) || p.tok[0] == '*' || p.tok[0] == '$') {
			set, ok := p.numSet(p.tok, false)
			if !ok {
				return p.searchErr(c, TextSearchBadCriteria)
			}
			parent.add(&SearchKey{Op: SearchSeq, Set: set})
			break
		}
		return p.searchErr(c, TextSearchBadCriteria)
	}
	if c < 0 {
		return c
	}
	return p.endKey(ctx, c)
}

func (k *SearchKey) add(sub *SearchKey) *SearchKey {
	k.Keys = append(k.Keys, sub)
	return sub
}

// skMissing is Cyrus's missingarg. Cyrus names the key with a buffer that
// nested keys overwrite: "OR SEEN" is "Missing required argument to Search
// seen".
func (p *Parser) skMissing(c int) int {
	return p.searchErr(c, TextSearchMissingArg, string(p.lastWordB))
}

// skStr parses a key with a string argument.
func (p *Parser) skStr(parent *SearchKey, op SearchOp, c int) int {
	if c != ' ' {
		return p.skMissing(c)
	}
	s, c := p.astring()
	if c < 0 {
		return p.skMissing(c)
	}
	parent.add(&SearchKey{Op: op, Text: s})
	return c
}

// skDate parses a key with a date argument.
func (p *Parser) skDate(parent *SearchKey, op SearchOp, c int) int {
	if c != ' ' {
		return p.skMissing(c)
	}
	t, c := p.searchDate()
	if c < 0 {
		return p.searchErr(c, TextSearchBadDate)
	}
	parent.add(&SearchKey{Op: op, Date: t})
	return c
}

// skFlag parses KEYWORD/UNKEYWORD.
func (p *Parser) skFlag(parent *SearchKey, op SearchOp, c int) int {
	if c != ' ' {
		return p.skMissing(c)
	}
	c = p.getword()
	if !isAtom(p.tok) {
		return p.searchErr(c, TextSearchBadFlag, string(p.tok))
	}
	parent.add(&SearchKey{Op: op, Flag: imap.Flag(p.tok)})
	return c
}

// skNested parses NOT, OR and FUZZY: n keys under a new node.
func (p *Parser) skNested(ctx *searchCtx, parent *SearchKey, op SearchOp, n int, c int) int {
	if c != ' ' {
		return p.skMissing(c)
	}
	if p.depth++; p.depth > p.lim.MaxDepth {
		p.serr = newNO(p.tag, "LIMIT", TextTooDeep, p.display)
		return cEOF
	}
	k := parent.add(&SearchKey{Op: op})
	for i := 0; i < n; i++ {
		if i > 0 && c != ' ' {
			return p.skMissing(c)
		}
		if c = p.searchKey(ctx, k); c < 0 {
			return c
		}
	}
	p.depth--
	return c
}

var simpleSearchKeys = map[string]SearchOp{
	"all": SearchAll, "answered": SearchAnswered, "deleted": SearchDeleted,
	"draft": SearchDraft, "flagged": SearchFlagged, "new": SearchNew,
	"old": SearchOld, "recent": SearchRecent, "seen": SearchSeen,
	"unanswered": SearchUnanswered, "undeleted": SearchUndeleted,
	"undraft": SearchUndraft, "unflagged": SearchUnflagged, "unseen": SearchUnseen,
	"savedatesupported": SearchSaveDateSupported,
}

// endKey closes the CHARSET and RETURN windows after a real key.
func (p *Parser) endKey(ctx *searchCtx, c int) int {
	ctx.charsetKW = false
	ctx.returnOK = false
	return c
}

func (p *Parser) knownCharset(name []byte) bool {
	if p.opt.KnownCharset == nil {
		return true
	}
	return p.opt.KnownCharset(string(name))
}

func isHex(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isDigit(c) && (c|0x20 < 'a' || c|0x20 > 'f') {
			return false
		}
	}
	return true
}

// searchReturn parses "(" return-opt ... ")" after RETURN
// (get_search_return_opts). On error it records the BAD and returns cEOF.
func (p *Parser) searchReturn() (*SearchReturn, int) {
	r := &SearchReturn{}
	c := p.getc()
	if c != '(' {
		return nil, p.searchErr(c, TextSearchNoReturn)
	}
	any := false
	for {
		c = p.getword()
		if len(p.tok) == 0 {
			break
		}
		if !p.item() {
			p.serr = newNO(p.tag, "LIMIT", TextTooManyArgs, p.display)
			return nil, cEOF
		}
		opt := lowerASCII(p.tok)
		switch {
		case opt == "min":
			r.ReturnMin = true
		case opt == "max":
			r.ReturnMax = true
		case opt == "all":
			r.ReturnAll = true
		case opt == "count":
			r.ReturnCount = true
		case opt == "relevancy":
			r.Relevancy = true
		case opt == "save" && p.opt.Ext&ExtSearchRes != 0:
			r.ReturnSave = true
		case opt == "partial" && p.opt.Ext&ExtPartial != 0 && c == ' ':
			var ok bool
			if r.Partial, c, ok = p.partialRange(); !ok {
				return nil, p.searchErr(c, TextSearchBadReturn, opt)
			}
		default:
			return nil, p.searchErr(c, TextSearchBadReturn, opt)
		}
		any = true
		if c != ' ' {
			break
		}
	}
	if !any {
		r.ReturnAll = true
	}
	if c != ')' {
		return nil, p.searchErr(c, TextSearchReturnNoClose)
	}
	return r, p.getc()
}

// partialRange reads RFC 9394's "n:m" or "-n:-m".
func (p *Parser) partialRange() (*PartialRange, int, bool) {
	c := p.getword()
	w := p.tok
	neg := len(w) > 0 && w[0] == '-'
	i := 0
	num := func() (int64, bool) {
		if neg {
			if i >= len(w) || w[i] != '-' {
				return 0, false
			}
			i++
		}
		start := i
		var n int64
		for i < len(w) && isDigit(w[i]) {
			n = n*10 + int64(w[i]-'0')
			if n > math.MaxUint32 {
				return 0, false
			}
			i++
		}
		if i == start || n == 0 {
			return 0, false
		}
		if neg {
			n = -n
		}
		return n, true
	}
	a, ok := num()
	if !ok || i >= len(w) || w[i] != ':' {
		return nil, c, false
	}
	i++
	b, ok := num()
	if !ok || i != len(w) {
		return nil, c, false
	}
	return &PartialRange{First: a, Last: b}, c, true
}

// searchAnnotation parses "ANNOTATION entry attrib value" (RFC 5257;
// get_search_annotation).
func (p *Parser) searchAnnotation(c int) (*SearchKey, int) {
	fail := func(c int) (*SearchKey, int) {
		if c == cTooBig || c == cRefused {
			return nil, c
		}
		p.ungetc(c)
		return nil, cEOF
	}
	if c != ' ' {
		return fail(c)
	}
	entry, c := p.astring()
	if entry == "" || c != ' ' {
		return fail(c)
	}
	attr, c := p.astring()
	if attr == "" || c != ' ' {
		return fail(c)
	}
	if attr != "value" && attr != "value.shared" && attr != "value.priv" {
		return fail(c)
	}
	isNil, c := p.getxstring(gxBNString)
	if c < 0 {
		return fail(c)
	}
	k := &SearchKey{Op: SearchAnnotation, Field: entry, Attr: attr}
	if !isNil {
		k.Value = append([]byte{}, p.tok...)
	}
	return k, c
}

// searchDate reads a date as get_search_date does: optionally quoted,
// "d-Mon-yyyy", day of one or two digits, a two-digit year meaning 19xx.
// Days out of range roll over (mktime does the same).
func (p *Parser) searchDate() (time.Time, int) {
	c := p.getc()
	quoted := false
	if c == '"' {
		quoted = true
		c = p.getc()
	}
	fail := func() (time.Time, int) {
		p.ungetc(c)
		return time.Time{}, cEOF
	}
	if c < '0' || c > '9' {
		return fail()
	}
	day := c - '0'
	if c = p.getc(); c >= '0' && c <= '9' {
		day = day*10 + c - '0'
		c = p.getc()
	}
	if c != '-' {
		return fail()
	}
	var mon [3]byte
	for i := range mon {
		c = p.getc()
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fail()
		}
		mon[i] = byte(c) | 0x20
	}
	m := monthIndex(string(mon[:]))
	if m == 0 {
		c = p.getc()
		return fail()
	}
	if c = p.getc(); c != '-' {
		return fail()
	}
	year := 0
	for i := 0; i < 2; i++ {
		if c = p.getc(); c < '0' || c > '9' {
			return fail()
		}
		year = year*10 + c - '0'
	}
	c = p.getc()
	if c >= '0' && c <= '9' {
		if year < 19 {
			return fail()
		}
		year = year*10 + c - '0'
		if c = p.getc(); c < '0' || c > '9' {
			return fail()
		}
		year = year*10 + c - '0'
		c = p.getc()
	} else {
		year += 1900
	}
	if quoted {
		if c != '"' {
			return fail()
		}
		c = p.getc()
	}
	return time.Date(year, time.Month(m), day, 0, 0, 0, 0, time.UTC), c
}

var monthNames = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// monthIndex returns 1..12 for a lower-case three-letter month, else 0.
func monthIndex(lower string) int {
	for i, n := range monthNames {
		if n == lower {
			return i + 1
		}
	}
	return 0
}

// parseESearch parses RFC 7377's "ESEARCH [IN (...)] [RETURN (...)]
// [CHARSET x] keys" (only with ExtMultiSearch; otherwise the command is
// unknown, as in Cyrus).
func parseESearch(p *Parser, c int, _ bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	var src *SearchSource
	if la, _ := p.br.Peek(3); len(la) == 3 && la[0]|0x20 == 'i' && la[1]|0x20 == 'n' && la[2] == ' ' {
		p.getc()
		p.getc()
		p.getc()
		var err error
		if src, err = p.searchSource(); err != nil {
			return nil, err
		}
		if c = p.getc(); c != ' ' {
			return nil, p.missingArgs(c)
		}
	}
	return p.searchCommand(&searchCtx{charsetKW: true, returnOK: true}, src)
}

// searchSource parses "(" filter ... [SP "(" scope-options ")"] ")".
func (p *Parser) searchSource() (*SearchSource, error) {
	bad := func(c int) error { return p.fail(c, newBAD(p.tag, TextSearchBadCriteria)) }
	src := &SearchSource{}
	c := p.getc()
	if c != '(' {
		return nil, bad(c)
	}
	for {
		c = p.getword()
		if c == '(' && len(p.tok) == 0 && len(src.Filters) > 0 {
			// scope-options
			for {
				c = p.getword()
				if len(p.tok) == 0 || !p.item() {
					return nil, bad(c)
				}
				src.Scope = append(src.Scope, string(p.tok))
				if c != ' ' {
					break
				}
			}
			if c != ')' {
				return nil, bad(c)
			}
			c = p.getc()
			break
		}
		kind := lowerASCII(p.tok)
		if !p.item() {
			return nil, p.tooMany(c)
		}
		f := MailboxFilter{Kind: kind}
		switch kind {
		case "selected", "selected-delayed", "inboxes", "personal", "subscribed":
		case "subtree", "subtree-one", "mailboxes":
			if c != ' ' {
				return nil, bad(c)
			}
			if c = p.getc(); c == '(' {
				for {
					var m string
					if m, c = p.astring(); c < 0 {
						return nil, p.searchFail(c, "Search")
					}
					if !p.item() {
						return nil, p.tooMany(c)
					}
					f.Mailboxes = append(f.Mailboxes, m)
					if c != ' ' {
						break
					}
				}
				if c != ')' {
					return nil, bad(c)
				}
				c = p.getc()
			} else {
				p.ungetc(c)
				var m string
				if m, c = p.astring(); c < 0 {
					return nil, p.searchFail(c, "Search")
				}
				f.Mailboxes = []string{m}
			}
		default:
			return nil, bad(c)
		}
		src.Filters = append(src.Filters, f)
		if c != ' ' {
			break
		}
	}
	if c != ')' {
		return nil, bad(c)
	}
	return src, nil
}

// parseSort parses "SORT [RETURN (...)] (criteria) charset keys" (Cyrus
// cmd_sort and getsortcriteria).
func parseSort(p *Parser, c int, uid bool) (any, error) {
	if !uid && c != ' ' {
		return nil, p.missingArgs(c)
	}
	s := &Sort{}
	ctx := &searchCtx{charsetFirst: true}
	c = p.getword()
	if c == ' ' && equalFold(p.tok, "RETURN") {
		r, c2 := p.searchReturn()
		if c2 != ' ' {
			if c2 >= 0 {
				// Cyrus answers nothing here; we say what is missing.
				p.searchErr(c2, TextSortMissing)
			}
			return nil, p.searchFail(min(c2, cEOF), "Sort")
		}
		s.Return = r
	} else if c < 0 {
		return nil, p.fail(c, newBAD(p.tag, TextSortMissing))
	} else {
		// Cyrus pushes back only the delimiter: a word read here is lost.
		p.ungetc(c)
	}
	crit, err := p.sortCriteria()
	if err != nil {
		return nil, err
	}
	s.Criteria = crit
	p.getc() // Cyrus does not check the byte after ')'
	prog := &SearchKey{Op: SearchAnd}
	if c = p.searchProgram(ctx, prog); c < 0 {
		return nil, p.searchFail(c, "Sort")
	}
	if !p.isEOL(&c) {
		return nil, p.fail(c, newBAD(p.tag, TextExtraArgs, "Sort"))
	}
	s.Charset, s.Program = ctx.charset, prog
	return s, nil
}

// sortCriteria parses "(" [REVERSE] key ... ")" (getsortcriteria).
func (p *Parser) sortCriteria() ([]SortCriterion, error) {
	fail := func(c int, format string, args ...any) error {
		if c == cTooBig {
			return p.literalTooBig("Sort")
		}
		p.ungetc(c)
		return p.fail(' ', newBAD(p.tag, format, args...))
	}
	c := p.getc()
	if c != '(' {
		return nil, fail(c, TextSortMissing)
	}
	c = p.getword()
	if len(p.tok) == 0 {
		return nil, fail(c, TextSortMissing)
	}
	var out []SortCriterion
	reverse := false
	for {
		if !p.item() {
			return nil, p.tooMany(c)
		}
		key := lowerASCII(p.tok)
		sc := SortCriterion{Key: key}
		switch key {
		case "reverse":
			reverse = true
			goto next
		case "arrival", "cc", "date", "displayfrom", "displayto", "from", "size",
			"subject", "to", "modseq", "uid", "folder", "relevancy", "spamscore":
		case "annotation":
			if c != ' ' {
				return nil, fail(c, TextSortMissingArg, key)
			}
			// Cyrus reads the arguments into the buffer that holds the
			// key name, so its message names the last word read.
			var entry, attr string
			if entry, c = p.astring(); c != ' ' {
				return nil, fail(c, TextSortMissingArg, entry)
			}
			if attr, c = p.astring(); c < 0 || (attr != "value.shared" && attr != "value.priv") {
				return nil, fail(c, TextSortMissingArg, attr)
			}
			sc.Args = []string{entry, attr}
		case "hasflag":
			if c != ' ' {
				return nil, fail(c, TextSortMissingArg, key)
			}
			var flag string
			if flag, c = p.astring(); c < 0 {
				return nil, fail(c, TextSortMissingArg, flag)
			}
			sc.Args = []string{flag}
		default:
			return nil, fail(c, TextSortBadCriterion, key)
		}
		sc.Reverse = reverse
		reverse = false
		out = append(out, sc)
	next:
		if c != ' ' {
			break
		}
		c = p.getword()
	}
	if reverse {
		return nil, fail(c, TextSortReverse)
	}
	if c != ')' {
		return nil, fail(c, TextSortNoClose)
	}
	return out, nil
}

// parseThread parses "THREAD algorithm charset keys" (cmd_thread).
func parseThread(p *Parser, c int, uid bool) (any, error) {
	if !uid && c != ' ' {
		return nil, p.missingArgs(c)
	}
	c = p.getword()
	if c != ' ' {
		return nil, p.fail(c, newBAD(p.tag, TextThreadMissingAlg))
	}
	alg := string(p.tok)
	switch upperASCII(p.tok) {
	case "ORDEREDSUBJECT", "REFERENCES", "REFS":
	default:
		return nil, p.fail(c, newBAD(p.tag, TextThreadBadAlg, alg))
	}
	ctx := &searchCtx{charsetFirst: true}
	prog := &SearchKey{Op: SearchAnd}
	if c = p.searchProgram(ctx, prog); c < 0 {
		return nil, p.searchFail(c, "Thread")
	}
	if !p.isEOL(&c) {
		return nil, p.fail(c, newBAD(p.tag, TextExtraArgs, "Thread"))
	}
	return &Thread{Algorithm: alg, Charset: ctx.charset, Program: prog}, nil
}
