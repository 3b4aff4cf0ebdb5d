package message

import (
	"fmt"
	"io"
	"strings"
)

// The MIME parse of Cyrus 3.6.1 imap/message.c (message_parse_body and
// friends), on a scanner instead of an mmap()ed buffer. Sizes are uint32
// as in Cyrus's struct body.

const defaultContentType = "TEXT/PLAIN; CHARSET=us-ascii"

// maxNesting bounds the recursion: nested message/rfc822 parts are not
// limited by boundary_limit, and Cyrus hashes each of them in full, so
// that the work grows with depth times size (its stack overflows near
// 65000 levels). Deeper parts are parsed as opaque content.
const maxNesting = 1000

// maxDepth bounds multipart nesting when boundary_limit is 0 (unlimited):
// only the Go stack would stop it otherwise.
const maxDepth = 20000

// nstr is a C string that may be NULL.
type nstr struct {
	s     string
	valid bool
}

func some(s string) nstr { return nstr{s, true} }

// body is Cyrus's struct body, restricted to what the cache needs.
type body struct {
	typ, subtype string // uppercase
	hasType      bool   // false where Cyrus has NULL (never after parse)
	params       *param
	id           nstr
	description  nstr
	encoding     nstr // uppercase
	md5          nstr
	disposition  nstr
	dispParams   *param
	language     *param
	location     nstr

	headerOffset, headerSize, headerLines    uint32
	contentOffset, contentSize, contentLines uint32
	boundarySize, boundaryLines              uint32

	contentGUID    [20]byte
	decodedSize    uint32
	hasContentGUID bool

	parts []*body // multipart
	sub   *body   // message/rfc822

	// Top level or inside message/rfc822 only.
	date, subject, inReplyTo, messageID nstr
	from, sender, replyTo, to, cc, bcc  []Address
	hasFrom, hasSender, hasReplyTo      bool
	hasTo, hasCc, hasBcc                bool

	cacheHeaders []byte // top level only
}

func (b *body) isMultipart() bool { return b.typ == "MULTIPART" }
func (b *body) isRFC822() bool    { return b.typ == "MESSAGE" && b.subtype == "RFC822" }

// setType applies a Content-Type value (message_parse_bodytype).
func (b *body) setType(s string, p int) {
	b.typ, b.subtype, b.params, b.hasType = "", "", nil, false
	if t, st, params, ok := parseType(s, p); ok {
		b.typ, b.subtype, b.params, b.hasType = t, st, params, true
	}
}

// boundaryStack is the strarray of boundaries shared by the recursion.
type boundaryStack struct {
	ids    []string
	maxLen int
}

func (bs *boundaryStack) push(id string) {
	bs.ids = append(bs.ids, id)
	bs.recompute()
}

func (bs *boundaryStack) truncate(n int) {
	if n < len(bs.ids) {
		bs.ids = bs.ids[:n]
		bs.recompute()
	}
}

func (bs *boundaryStack) recompute() {
	bs.maxLen = 0
	for _, id := range bs.ids {
		bs.maxLen = max(bs.maxLen, len(id))
	}
}

type parser struct {
	sc      *scanner
	opts    Options
	nesting int // all levels
	rfc822  int // message/rfc822 levels

	// lastDecodeTrigger of the header block being read
	trigger      *int
	triggerBlock string
}

// pendingBoundary is message_pendingboundary(): whether the line (of
// full length slen; line holds at least its first maxLen+4 bytes) is a
// boundary of an enclosing multipart, truncating the stack at a closing
// one.
func (p *parser) pendingBoundary(line []byte, slen int64, bs *boundaryStack) bool {
	if slen < 2 || len(line) < 2 || line[0] != '-' || line[1] != '-' {
		return false
	}
	bbase := line[2:]
	blen := slen - 2
	bat := func(i int) byte {
		if i < len(bbase) {
			return bbase[i]
		}
		return 0
	}
	for i := 0; i < len(bs.ids); i++ {
		id := bs.ids[i]
		n := len(id)
		if blen < int64(n) || len(bbase) < n {
			continue
		}
		if string(bbase[:n]) != id {
			continue
		}
		if blen >= int64(n)+2 && bat(n) == '-' && bat(n+1) == '-' {
			bs.truncate(i)
		} else if !p.opts.RFC2046Strict && blen > int64(n)+1 && bat(n) != 0 && !isSpace(bat(n)) {
			continue
		}
		return true
	}
	return false
}

// parseBody is message_parse_body().
func (p *parser) parseBody(b *body, defaultType string, bs *boundaryStack, top bool) {
	p.nesting++
	defer func() { p.nesting-- }()

	sawBoundary := p.parseHeaders(b, defaultType, bs, top)

	switch {
	case b.isMultipart():
		if !sawBoundary {
			if p.nesting >= maxDepth {
				p.parseContent(b, bs, true)
			} else {
				p.parseMultipart(b, bs)
			}
		}
	case b.isRFC822():
		b.sub = &body{}
		if sawBoundary {
			b.sub.setType(defaultContentType, 0)
			return
		}
		if p.rfc822 >= maxNesting || p.nesting >= maxDepth {
			// Parse the rest as the content of an empty message.
			b.sub.setType(defaultContentType, 0)
			b.sub.headerOffset = uint32(p.sc.pos)
			b.sub.contentOffset = uint32(p.sc.pos)
			p.sc.releasePending()
			sink := newRangeSink(p.sc.pos, EncodingNone)
			p.sc.raws = append(p.sc.raws, sink)
			p.parseContent(b.sub, bs, true)
			p.finishRaw(b, sink)
			return
		}
		p.sc.releasePending()
		sink := newRangeSink(p.sc.pos, EncodingNone)
		p.sc.raws = append(p.sc.raws, sink)
		p.rfc822++
		p.parseBody(b.sub, defaultContentType, bs, false)
		p.rfc822--
		p.finishRaw(b, sink)
	default:
		if !sawBoundary {
			p.parseContent(b, bs, true)
		}
	}
}

// finishRaw completes a message/rfc822 part: sizes from its message, and
// the SHA-1 of its raw content.
func (p *parser) finishRaw(b *body, sink *rangeSink) {
	b.contentSize = b.sub.headerSize + b.sub.contentSize
	// A boundary line read last ends this part, unless the part's size
	// counts it (the closing boundary of a multipart it contains, when
	// the message ends right after): then it belongs to this part and
	// to every enclosing one.
	if int64(b.contentSize) > sink.fed {
		p.sc.releasePending()
	}
	for i, r := range p.sc.raws {
		if r == sink {
			p.sc.raws = append(p.sc.raws[:i], p.sc.raws[i+1:]...)
			break
		}
	}
	b.contentLines = b.sub.headerLines + b.sub.contentLines
	b.boundarySize = b.sub.boundarySize
	b.boundaryLines = b.sub.boundaryLines
	b.contentGUID, b.decodedSize, b.hasContentGUID = sink.finish(b.contentSize, p.sc.r)
}

// parseHeaders is message_parse_headers(); it returns whether a boundary
// ended the header block.
func (p *parser) parseHeaders(b *body, defaultType string, bs *boundaryStack, top bool) bool {
	sc := p.sc
	b.headerOffset = uint32(sc.pos)
	hdr := make([]byte, 1, 512) // Cyrus primes the buffer with a newline
	hdr[0] = '\n'
	sawBoundary := false
	for !sc.atEOF() {
		ls := len(hdr)
		hdr = sc.readLine(hdr)
		if len(hdr) == ls {
			break
		}
		line := hdr[ls:]
		if hdr[ls-1] == '\n' && line[0] == '\r' && len(line) > 1 && line[1] == '\n' {
			sc.commitLine(line, false)
			break
		}
		clen := cLen(line)
		if hdr[ls-1] == '\n' && line[0] == '-' && p.pendingBoundary(line[:clen], int64(clen), bs) {
			b.boundarySize = uint32(clen)
			b.boundaryLines++
			sc.commitLine(line, true)
			// Cyrus cuts the buffer with a NUL: before the CRLF that
			// precedes the boundary, or at the boundary itself.
			if ls-1 > 0 {
				b.boundarySize += 2
				b.boundaryLines++
				hdr[ls-2] = 0
			} else {
				hdr[ls] = 0
			}
			sawBoundary = true
			break
		}
		sc.commitLine(line, false)
	}
	b.contentOffset = uint32(sc.pos)

	// From here on the block is a C string.
	hs := string(hdr[:cLen(hdr)])
	b.headerSize = uint32(cLen(hdr[1:]))

	var lines uint32 = ^uint32(0) // -1: the priming newline
	capped := false
	maxLines := uint32(max(p.opts.MaxHeaderLines, 0))
	for i := 0; i < len(hs); i++ {
		if hs[i] != '\n' {
			continue
		}
		lines++
		if capped {
			continue
		}
		if maxLines > 0 && lines > maxLines {
			capped = true
			continue
		}
		ls := i + 1
		if top && at(hs, ls) != ' ' && at(hs, ls) != '\t' && isCachedHeader(hs, ls) {
			b.cacheHeaders = append(b.cacheHeaders, cachedHeader(hs, ls)...)
		}
		p.headerField(b, hs, ls)
	}
	b.headerLines = lines
	if !b.hasType {
		b.setType(defaultType, 0)
	}
	return sawBoundary
}

// cLen is strlen(): the length up to the first NUL.
func cLen(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return len(b)
}

// headerField interprets the field starting at ls (message_header_lookup
// and the switch of message_parse_headers).
func (p *parser) headerField(b *body, hs string, ls int) {
	e := ls
	for e < len(hs) && hs[e] != ':' && hs[e] != '\r' && hs[e] != '\n' {
		e++
	}
	if at(hs, e) != ':' {
		return
	}
	v := e + 1
	if e-ls > len("content-transfer-encoding") {
		return
	}
	var lb [32]byte
	name := lb[:e-ls]
	for i := range name {
		name[i] = asciiLower(hs[ls+i])
	}
	switch string(name) {
	case "bcc":
		b.bcc, b.hasBcc = parseAddressField(hs, v)
	case "cc":
		b.cc, b.hasCc = parseAddressField(hs, v)
	case "content-description":
		b.description = some(parseString(hs, v))
	case "content-disposition":
		b.disposition, b.dispParams = nstr{}, nil
		if d, params, ok := parseDisposition(hs, v); ok {
			b.disposition, b.dispParams = some(d), params
		}
	case "content-id":
		b.id = some(parseString(hs, v))
	case "content-language":
		b.language = parseLanguage(hs, v)
	case "content-location":
		b.location = some(parseString(hs, v))
	case "content-md5":
		b.md5 = some(parseString(hs, v))
	case "content-transfer-encoding":
		b.encoding = nstr{}
		if enc, ok := parseEncoding(hs, v); ok {
			b.encoding = some(enc)
		}
	case "content-type":
		if p.trigger == nil || p.triggerBlock != hs {
			t := lastDecodeTrigger(hs)
			p.trigger, p.triggerBlock = &t, hs
		}
		b.typ, b.subtype, b.params, b.hasType = "", "", nil, false
		if t, st, params, ok := parseTypeIn(hs, v, *p.trigger); ok {
			b.typ, b.subtype, b.params, b.hasType = t, st, params, true
		}
	case "date":
		b.date = some(parseString(hs, v))
	case "from":
		b.from, b.hasFrom = parseAddressField(hs, v)
	case "in-reply-to":
		b.inReplyTo = some(parseString(hs, v))
	case "message-id":
		b.messageID = some(parseString(hs, v))
	case "reply-to":
		b.replyTo, b.hasReplyTo = parseAddressField(hs, v)
	case "subject":
		b.subject = some(parseString(hs, v))
	case "sender":
		b.sender, b.hasSender = parseAddressField(hs, v)
	case "to":
		b.to, b.hasTo = parseAddressField(hs, v)
	}
}

// parseAddressField is message_parse_address(): the field up to its end
// (CR of the final CRLF excluded), parsed; a later field replaces an
// earlier one, and an empty list is NIL.
func parseAddressField(hs string, v int) ([]Address, bool) {
	end := len(hs)
	for e := v; ; {
		n := indexByteFrom(hs, e+1, '\n')
		if n < 0 {
			break
		}
		e = n
		if c := at(hs, e+1); c != ' ' && c != '\t' {
			end = e
			if end > v && hs[end-1] == '\r' {
				end--
			}
			break
		}
	}
	if v > end {
		v = end
	}
	list := ParseAddressList(hs[v:end])
	return list, len(list) > 0
}

// cachedHeaderNames are the names of Cyrus's mailbox_header_cache table
// (imap/mailbox_header_cache.gperf), with whether Cyrus caches them.
var cachedHeaderNames = map[string]bool{
	"priority": true, "references": true, "resent-from": true,
	"newsgroups": true, "followup-to": true, "x-mailer": true, "x-trace": true,
	"x-ref": true, "x-priority": true, "x-msmail-priority": true,
	"x-msoesrec": true, "x-spam-score": true, "x-resolved-to": true,
	"x-delivered-to": true, "x-mail-from": true, "x-truedomain-domain": true,
	"x-me-message-id": true, "x-cyrus-session-id": true,
	"bcc": false, "cc": false, "date": false, "delivery-date": false,
	"envelope-to": false, "from": false, "in-reply-to": false,
	"mime-version": false, "reply-to": true, "received": false,
	"return-path": false, "sender": true, "subject": false, "to": false,
	"dkim-signature": false, "domainkey-signature": false,
	"domainkey-x509": false, "message-id": false,
	"x-universally-unique-identifier": true, "x-uniform-type-identifier": true,
	"x-apple-base-url": true, "x-apple-mail-remote-attachments": true,
	"arc-seal": false, "arc-message-signature": false,
	"arc-authentication-results": false, "authentication-results": false,
	"received-spf": false, "archived-at": false, "listbox-message-date": false,
	"topicbox-message-uuid": false, "topicbox-policy-reasoning": false,
}

// maxCachedHeaderName is MAX_CACHED_HEADER_SIZE: the name and its colon
// must be found within this many bytes.
const maxCachedHeaderName = 32

// isCachedHeader is mailbox_cached_header_inline() != BIT32_MAX for the
// line at ls.
func isCachedHeader(hs string, ls int) bool {
	for i := 0; i < maxCachedHeaderName; i++ {
		c := at(hs, ls+i)
		if c == 0 || c == '\r' || c == '\n' {
			return false
		}
		if c == ':' {
			var lb [maxCachedHeaderName]byte
			name := lb[:i]
			for k := range name {
				name[k] = asciiLower(hs[ls+k])
			}
			if cached, ok := cachedHeaderNames[string(name)]; ok {
				return cached
			}
			return !(len(name) >= 2 && name[0] == 'x' && name[1] == '-')
		}
	}
	return false
}

// parseMultipart is message_parse_multipart().
func (p *parser) parseMultipart(b *body, bs *boundaryStack) {
	defaultType := defaultContentType
	if b.subtype == "DIGEST" {
		defaultType = "MESSAGE/RFC822"
	}
	var bp *param
	for q := b.params; q != nil; q = q.next {
		if q.attr == "BOUNDARY" || q.attr == "BOUNDARY*" {
			bp = q
			break
		}
	}
	if bp == nil {
		// Invalid MIME: a multipart with no parts.
		p.parseContent(b, bs, true)
		return
	}
	id := bp.value
	if bp.attr == "BOUNDARY*" {
		if dec, ok := parseMIMEXValue(bp.value); ok {
			id = dec
		}
	}
	bs.push(id)
	depth := len(bs.ids)
	limit := p.opts.BoundaryLimit

	var preamble, epilogue body
	p.parseContent(&preamble, bs, false)

	for len(bs.ids) == depth && (limit <= 0 || len(bs.ids) < limit) {
		part := &body{}
		p.parseBody(part, defaultType, bs, false)
		if p.sc.atEOF() && part.boundarySize == 0 {
			// End of the message ends all pending multiparts.
			bs.truncate(0)
		}
		b.parts = append(b.parts, part)
	}

	switch {
	case len(bs.ids) == depth-1:
		p.parseContent(&epilogue, bs, false)
	case len(b.parts) > 0:
		last := b.parts[len(b.parts)-1]
		b.boundarySize, b.boundaryLines = last.boundarySize, last.boundaryLines
		last.boundarySize, last.boundaryLines = 0, 0
	default:
		b.boundarySize, b.boundaryLines = preamble.boundarySize, preamble.boundaryLines
		preamble.boundarySize, preamble.boundaryLines = 0, 0
	}

	b.contentSize = preamble.contentSize + preamble.boundarySize
	b.contentLines = preamble.contentLines + preamble.boundaryLines
	for _, part := range b.parts {
		b.contentSize += part.headerSize + part.contentSize + part.boundarySize
		b.contentLines += part.headerLines + part.contentLines + part.boundaryLines
	}
	b.contentSize += epilogue.contentSize
	b.contentLines += epilogue.contentLines
	b.boundarySize += epilogue.boundarySize
	b.boundaryLines += epilogue.boundaryLines
}

// parseContent is message_parse_content(); leaf says whether the content
// GUID is wanted (not for a preamble or epilogue).
func (p *parser) parseContent(b *body, bs *boundaryStack, leaf bool) {
	sc := p.sc
	var sink *rangeSink
	if leaf {
		enc, _ := partCharset(b)
		sink = newRangeSink(sc.pos, enc)
	}
	for !sc.atEOF() {
		k := bs.maxLen + 4
		prefix, whole := sc.linePrefix(k)
		if len(prefix) == 0 {
			break
		}
		isB := false
		if len(prefix) >= 2 && prefix[0] == '-' && prefix[1] == '-' && len(bs.ids) > 0 {
			slen := int64(len(prefix))
			if !whole {
				slen = int64(k) + 1 // longer than any boundary test looks
			}
			isB = p.pendingBoundary(prefix, slen, bs)
		}
		n, lf := sc.consumeLine(sink, isB)
		if isB {
			b.boundarySize = uint32(n)
			b.boundaryLines++
			if b.contentLines > 0 {
				b.contentLines--
				b.boundaryLines++
			}
			if b.contentSize > 1 {
				b.contentSize -= 2
				b.boundarySize += 2
			}
			break
		}
		b.contentSize += uint32(n)
		if lf {
			b.contentLines++
		}
	}
	if leaf {
		b.contentGUID, b.decodedSize, b.hasContentGUID = sink.finish(b.contentSize, sc.r)
	}
}

// partCharset is message_parse_charset(): the Cyrus encoding code of a
// part and its charset (nil when unknown).
func partCharset(b *body) (enc int, cs *charset) {
	enc = EncodingNone
	if b.encoding.valid {
		e := b.encoding.s
		switch at(e, 0) {
		case '7', '8':
			if e[1:] == "BIT" {
				enc = EncodingNone
			} else {
				enc = EncodingUnknown
			}
		case 'B':
			switch e {
			case "BASE64":
				enc = EncodingBase64
			case "BINARY":
				enc = EncodingNone
			default:
				enc = EncodingUnknown
			}
		case 'Q':
			if e == "QUOTED-PRINTABLE" {
				enc = EncodingQP
			} else {
				enc = EncodingUnknown
			}
		default:
			enc = EncodingUnknown
		}
	}
	switch {
	case !b.hasType || b.typ == "TEXT":
		cs = asciiCharset()
		for q := b.params; q != nil; q = q.next {
			if strings.EqualFold(q.attr, "charset") && q.value != "" {
				if c := lookupCharset(q.value); c != nil {
					cs = c
				}
			}
		}
	case b.typ == "MESSAGE":
		if b.subtype == "RFC822" {
			cs = nil
		} else {
			cs = asciiCharset()
		}
		enc = EncodingNone
	default:
		cs = nil
	}
	return enc, cs
}

// parse runs the whole parse (message_parse_mapped).
func parse(r io.ReaderAt, size int64, opts Options) (*body, [20]byte, error) {
	p := &parser{sc: newScanner(r, size), opts: opts}
	top := &body{}
	p.parseBody(top, defaultContentType, &boundaryStack{}, true)
	guid, err := p.sc.finish()
	if err != nil {
		return nil, guid, fmt.Errorf("parse message: %w", err)
	}
	return top, guid, nil
}
