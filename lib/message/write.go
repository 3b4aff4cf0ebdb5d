package message

import (
	"encoding/binary"
	"strconv"
)

// The cache item writers of Cyrus 3.6.1 imap/message.c
// (message_write_envelope, message_write_body, message_write_section,
// message_write_searchaddr...).

// appendNString is message_write_nstring(): NIL, a quoted string, or a
// literal when the string is 1024 bytes or longer or holds NUL, 8-bit,
// CR, LF, '"', '%' or '\'. Cyrus never uses backslash escapes.
func appendNString(buf []byte, s nstr) []byte {
	if !s.valid {
		return append(buf, "NIL"...)
	}
	literal := len(s.s) >= 1024
	if !literal {
		for i := 0; i < len(s.s); i++ {
			c := s.s[i]
			if c == 0 || c&0x80 != 0 || c == '\r' || c == '\n' || c == '"' || c == '%' || c == '\\' {
				literal = true
				break
			}
		}
	}
	if literal {
		buf = append(buf, '{')
		buf = strconv.AppendUint(buf, uint64(len(s.s)), 10)
		buf = append(buf, "}\r\n"...)
		return append(buf, s.s...)
	}
	buf = append(buf, '"')
	buf = append(buf, s.s...)
	return append(buf, '"')
}

func appendEnvelope(buf []byte, b *body) []byte {
	buf = append(buf, '(')
	buf = appendNString(buf, b.date)
	buf = append(buf, ' ')
	buf = appendNString(buf, b.subject)
	buf = append(buf, ' ')
	buf = appendAddresses(buf, b.from, b.hasFrom)
	buf = append(buf, ' ')
	if b.hasSender {
		buf = appendAddresses(buf, b.sender, true)
	} else {
		buf = appendAddresses(buf, b.from, b.hasFrom)
	}
	buf = append(buf, ' ')
	if b.hasReplyTo {
		buf = appendAddresses(buf, b.replyTo, true)
	} else {
		buf = appendAddresses(buf, b.from, b.hasFrom)
	}
	buf = append(buf, ' ')
	buf = appendAddresses(buf, b.to, b.hasTo)
	buf = append(buf, ' ')
	buf = appendAddresses(buf, b.cc, b.hasCc)
	buf = append(buf, ' ')
	buf = appendAddresses(buf, b.bcc, b.hasBcc)
	buf = append(buf, ' ')
	buf = appendNString(buf, b.inReplyTo)
	buf = append(buf, ' ')
	buf = appendNString(buf, b.messageID)
	return append(buf, ')')
}

func appendAddresses(buf []byte, list []Address, has bool) []byte {
	if !has || len(list) == 0 {
		return append(buf, "NIL"...)
	}
	buf = append(buf, '(')
	for i := range list {
		a := &list[i]
		buf = append(buf, '(')
		buf = appendNString(buf, nstr{a.Name, a.Name != ""})
		buf = append(buf, ' ')
		buf = appendNString(buf, nstr{a.Route, a.Route != ""})
		buf = append(buf, ' ')
		buf = appendNString(buf, nstr{a.Mailbox, a.HasMailbox})
		buf = append(buf, ' ')
		buf = appendNString(buf, nstr{a.Domain, a.HasDomain})
		buf = append(buf, ')')
	}
	return append(buf, ')')
}

func appendParams(buf []byte, p *param) []byte {
	if p == nil {
		return append(buf, "NIL"...)
	}
	buf = append(buf, '(')
	for ; p != nil; p = p.next {
		buf = appendNString(buf, some(p.attr))
		buf = append(buf, ' ')
		buf = appendNString(buf, some(p.value))
		if p.next != nil {
			buf = append(buf, ' ')
		}
	}
	return append(buf, ')')
}

func appendExtensions(buf []byte, b *body) []byte {
	buf = append(buf, ' ')
	if b.disposition.valid {
		buf = append(buf, '(')
		buf = appendNString(buf, b.disposition)
		buf = append(buf, ' ')
		buf = appendParams(buf, b.dispParams)
		buf = append(buf, ')')
	} else {
		buf = append(buf, "NIL"...)
	}
	buf = append(buf, ' ')
	if b.language != nil {
		buf = append(buf, '(')
		for p := b.language; p != nil; p = p.next {
			buf = appendNString(buf, some(p.value))
			if p.next != nil {
				buf = append(buf, ' ')
			}
		}
		buf = append(buf, ')')
	} else {
		buf = append(buf, "NIL"...)
	}
	buf = append(buf, ' ')
	return appendNString(buf, b.location)
}

// zeroTextBody is what Cyrus writes for a multipart without parts.
var zeroTextBody = func() *body {
	b := &body{}
	b.setType(defaultContentType, 0)
	return b
}()

// appendBody is message_write_body(); ext selects BODYSTRUCTURE.
func appendBody(buf []byte, b *body, ext bool) []byte {
	if b.isMultipart() {
		if len(b.parts) == 0 {
			return appendBody(buf, zeroTextBody, ext)
		}
		buf = append(buf, '(')
		for _, part := range b.parts {
			buf = appendBody(buf, part, ext)
		}
		buf = append(buf, ' ')
		buf = appendNString(buf, some(b.subtype))
		if ext {
			buf = append(buf, ' ')
			buf = appendParams(buf, b.params)
			buf = appendExtensions(buf, b)
		}
		return append(buf, ')')
	}
	buf = append(buf, '(')
	buf = appendNString(buf, some(b.typ))
	buf = append(buf, ' ')
	buf = appendNString(buf, some(b.subtype))
	buf = append(buf, ' ')
	buf = appendParams(buf, b.params)
	buf = append(buf, ' ')
	buf = appendNString(buf, b.id)
	buf = append(buf, ' ')
	buf = appendNString(buf, b.description)
	buf = append(buf, ' ')
	if b.encoding.valid {
		buf = appendNString(buf, b.encoding)
	} else {
		buf = appendNString(buf, some("7BIT"))
	}
	buf = append(buf, ' ')
	buf = strconv.AppendUint(buf, uint64(b.contentSize), 10)
	switch {
	case b.typ == "TEXT":
		buf = append(buf, ' ')
		buf = strconv.AppendUint(buf, uint64(b.contentLines), 10)
	case b.isRFC822():
		buf = append(buf, ' ')
		buf = appendEnvelope(buf, b.sub)
		buf = append(buf, ' ')
		buf = appendBody(buf, b.sub, ext)
		buf = append(buf, ' ')
		buf = strconv.AppendUint(buf, uint64(b.contentLines), 10)
	}
	if ext {
		buf = append(buf, ' ')
		buf = appendNString(buf, b.md5)
		buf = appendExtensions(buf, b)
	}
	return append(buf, ')')
}

func be32(buf []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(buf, v) }

func appendOffsets(buf []byte, b *body, size uint32) []byte {
	buf = be32(buf, b.headerOffset)
	buf = be32(buf, b.headerSize)
	buf = be32(buf, b.contentOffset)
	return be32(buf, size)
}

// appendNoCharset is message_write_nocharset(); b may be nil.
func appendNoCharset(buf []byte, b *body) []byte {
	buf = be32(buf, 0x0000ffff)
	return appendGUIDSizeLines(buf, b)
}

func appendGUIDSizeLines(buf []byte, b *body) []byte {
	if b == nil {
		buf = append(buf, make([]byte, 20)...)
		buf = be32(buf, 0)
		return be32(buf, 0)
	}
	if b.hasContentGUID {
		buf = append(buf, b.contentGUID[:]...)
		buf = be32(buf, b.decodedSize)
	} else {
		buf = append(buf, make([]byte, 20)...)
		buf = be32(buf, 0)
	}
	return be32(buf, b.contentLines)
}

// appendCharset is message_write_charset(): encoding, charset name as
// the message wrote it (NUL-padded), content GUID, decoded size, lines.
func appendCharset(buf []byte, b *body) []byte {
	enc, cs := partCharset(b)
	n := 0
	if cs != nil {
		n = (len(cs.alias)/4 + 1) * 4
		if n > 0xffff {
			n = 0
		}
	}
	buf = be32(buf, uint32(n&0xffff)<<16|uint32(enc&0xff))
	if n > 0 {
		name := make([]byte, n)
		copy(name, cs.alias)
		buf = append(buf, name...)
	}
	return appendGUIDSizeLines(buf, b)
}

// appendSection is message_write_section().
func appendSection(buf []byte, b *body) []byte {
	switch {
	case b.isRFC822():
		c := b.sub
		if len(c.parts) > 0 {
			buf = be32(buf, uint32(len(c.parts)+1))
			buf = appendOffsets(buf, c, c.contentSize)
			buf = appendNoCharset(buf, c)
			for _, s := range c.parts {
				if len(s.parts) == 0 && s.isMultipart() {
					buf = appendOffsets(buf, s, 0)
				} else {
					buf = appendOffsets(buf, s, s.contentSize)
				}
				buf = appendCharset(buf, s)
			}
			for _, s := range c.parts {
				buf = appendSection(buf, s)
			}
			return buf
		}
		buf = be32(buf, 2)
		buf = appendOffsets(buf, c, c.contentSize)
		buf = appendNoCharset(buf, c)
		if c.isMultipart() {
			buf = appendOffsets(buf, c, 0)
			buf = appendNoCharset(buf, nil)
		} else {
			buf = appendOffsets(buf, c, c.contentSize)
			buf = appendCharset(buf, c)
		}
		return appendSection(buf, c)
	case len(b.parts) > 0:
		buf = be32(buf, uint32(len(b.parts)+1))
		buf = be32(buf, 0)
		buf = be32(buf, 0xffffffff)
		buf = be32(buf, 0)
		buf = be32(buf, 0xffffffff)
		buf = appendNoCharset(buf, nil)
		for _, s := range b.parts {
			if len(s.parts) == 0 && s.isMultipart() {
				buf = appendOffsets(buf, s, 0)
				buf = appendNoCharset(buf, s)
			} else {
				buf = appendOffsets(buf, s, s.contentSize)
				buf = appendCharset(buf, s)
			}
		}
		for _, s := range b.parts {
			buf = appendSection(buf, s)
		}
		return buf
	}
	return be32(buf, 0)
}

// isAtext tells whether Cyrus writes a decoded display name bare in the
// search form (letters, digits, C-locale whitespace and RFC 5322 atext
// specials; any 8-bit byte needs quoting).
func isAtextName(s string) bool {
	const specials = "!#$%&'*+-/=?^_`{|}~"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlnum(c) || isSpace(c) || containsByte(specials, c) {
			continue
		}
		return false
	}
	return true
}

func appendLower(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		buf = append(buf, asciiLower(s[i]))
	}
	return buf
}

// appendSearchAddrs is message_write_searchaddr().
func appendSearchAddrs(buf []byte, list []Address, flags mimeFlags) []byte {
	prev := false
	for i := range list {
		a := &list[i]
		if !a.HasDomain {
			if a.HasMailbox {
				if prev {
					buf = append(buf, ',')
				}
				buf = append(buf, decodeMIMEHeader(a.Mailbox, flags)...)
				buf = append(buf, ':')
				prev = false
			} else {
				buf = append(buf, ';')
				prev = true
			}
			continue
		}
		if prev {
			buf = append(buf, ',')
		}
		if a.Name != "" {
			name := decodeMIMEHeader(a.Name, flags)
			if isAtextName(name) {
				buf = append(buf, name...)
			} else {
				buf = append(buf, '"')
				for j := 0; j < len(name); j++ {
					if name[j] == '\\' || name[j] == '"' {
						buf = append(buf, '\\')
					}
					buf = append(buf, name[j])
				}
				buf = append(buf, '"')
			}
			buf = append(buf, ' ')
		}
		buf = append(buf, '<')
		if a.Route != "" {
			buf = appendLower(buf, a.Route)
			buf = append(buf, ':')
		}
		buf = appendLower(buf, cString([]byte(a.Mailbox)))
		buf = append(buf, '@')
		buf = appendLower(buf, a.Domain)
		buf = append(buf, '>')
		prev = true
	}
	return buf
}

// appendItem is message_write_xdrstring(): BE length, bytes, padding.
func appendItem(buf, item []byte) []byte {
	buf = be32(buf, uint32(len(item)))
	buf = append(buf, item...)
	return append(buf, make([]byte, (4-len(item)%4)%4)...)
}

// asciiLower is Cyrus's TOLOWER (convert_to_lowercase table): ASCII only.
func asciiLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
