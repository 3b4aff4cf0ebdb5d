package imapwire

import "math"

// Limits bound what one command may make the parser allocate. Every size is
// compared with its limit before memory is taken. The names follow the
// imapd.conf keys they come from; the caller fills them from its config
// (lib/config) and passes them in Options.
//
// maxliteral and maxargssize do not exist in upstream Cyrus 3.6.1: they came
// with Cyrus 3.6.5/3.8.3 (CVE-2024-34055) and Debian backported them into
// the 3.6.1 package that serves as our reference, so we honour them with the
// same names, defaults and answers.
type Limits struct {
	// MaxWord is imapd.conf maxword: the longest atom (tag, command name,
	// flag, sequence set, fetch attribute...). Default 131072. Exceeding it
	// is fatal: "* BYE [TOOBIG] Word too long".
	MaxWord int64
	// MaxQuoted is imapd.conf maxquoted: the longest quoted string.
	// Default 131072. Exceeding it is fatal: "* BYE [TOOBIG] Quoted value
	// too long".
	MaxQuoted int64
	// MaxLiteral is imapd.conf maxliteral: the largest literal that is not
	// message data (APPEND message data and CATENATE TEXT parts are bounded
	// by MaxMessageSize instead). Default 131072. A synchronizing literal
	// over it gets "NO [TOOBIG] Literal size exceeds fixed limit in <cmd>"
	// and no continuation; a non-synchronizing one is fatal (RFC 7888
	// section 4, choice 2, as Cyrus does).
	MaxLiteral int64
	// MaxArgsSize is imapd.conf maxargssize: the bytes of one command's
	// arguments, literals included but message data excluded. Cyrus's 0
	// means "a large internal limit" (UINT32_MAX there); Gyrus takes
	// DefaultMaxArgsSize so that one connection's memory stays bounded.
	// Exceeding it is fatal: "* BYE [TOOBIG] Command arguments total size
	// exceeds fixed limit".
	MaxArgsSize int64
	// MaxMessageSize is imapd.conf maxmessagesize: the largest APPEND
	// message (0 = 4294967295 as in Cyrus, which also advertises it as
	// APPENDLIMIT). Message data is streamed, never held by the parser.
	MaxMessageSize int64
	// MaxDepth bounds the nesting of parenthesised lists and of NOT/OR/FUZZY
	// search keys (Cyrus recurses without a limit). Default 1000.
	MaxDepth int
	// MaxItems bounds the number of items (search keys, fetch attributes,
	// flags, patterns, list entries...) of one command. Default 100000.
	MaxItems int
	// MaxLine bounds a continuation line read outside a command: a SASL
	// response of AUTHENTICATE and the DONE that ends IDLE. Default 65536
	// (Cyrus reads at most 21848 bytes of base64 per SASL step, too few for
	// some Kerberos tickets).
	MaxLine int
}

// Default values of Limits, as in Cyrus 3.6.1 (Debian) where Cyrus has the
// key.
const (
	DefaultMaxWord        = 131072
	DefaultMaxQuoted      = 131072
	DefaultMaxLiteral     = 131072
	DefaultMaxArgsSize    = 64 << 20
	DefaultMaxMessageSize = math.MaxUint32
	DefaultMaxDepth       = 1000
	DefaultMaxItems       = 100000
	DefaultMaxLine        = 65536
)

// DefaultLimits returns the limits used for zero fields.
func DefaultLimits() Limits {
	return Limits{
		MaxWord:        DefaultMaxWord,
		MaxQuoted:      DefaultMaxQuoted,
		MaxLiteral:     DefaultMaxLiteral,
		MaxArgsSize:    DefaultMaxArgsSize,
		MaxMessageSize: DefaultMaxMessageSize,
		MaxDepth:       DefaultMaxDepth,
		MaxItems:       DefaultMaxItems,
		MaxLine:        DefaultMaxLine,
	}
}

// normalized replaces zero (or negative) fields. The zero Limits is
// DefaultLimits(). Otherwise, MaxArgsSize and
// MaxMessageSize and the Gyrus-only limits get their defaults; a zero
// maxword/maxquoted/maxliteral means "no limit of its own" in Cyrus, so it
// falls back to MaxArgsSize, which still bounds memory.
func (l Limits) normalized() Limits {
	d := DefaultLimits()
	if l == (Limits{}) {
		return d
	}
	if l.MaxArgsSize <= 0 {
		l.MaxArgsSize = d.MaxArgsSize
	}
	if l.MaxWord <= 0 {
		l.MaxWord = l.MaxArgsSize
	}
	if l.MaxQuoted <= 0 {
		l.MaxQuoted = l.MaxArgsSize
	}
	if l.MaxLiteral <= 0 {
		l.MaxLiteral = l.MaxArgsSize
	}
	if l.MaxMessageSize <= 0 {
		l.MaxMessageSize = d.MaxMessageSize
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxItems <= 0 {
		l.MaxItems = d.MaxItems
	}
	if l.MaxLine <= 0 {
		l.MaxLine = d.MaxLine
	}
	return l
}

// Ext selects grammar that Cyrus 3.6.1 does not accept. With Ext zero the
// parser accepts exactly what Cyrus accepts (and answers with Cyrus's BAD
// texts otherwise); each bit turns on one extension's syntax. imapd sets the
// bits of the extensions it implements and advertises.
type Ext uint32

const (
	// ExtSearchRes: RFC 5182 SEARCHRES, "$" as a sequence set and the SAVE
	// search return option.
	ExtSearchRes Ext = 1 << iota
	// ExtMultiSearch: RFC 7377 MULTISEARCH, the ESEARCH command with
	// "IN (source-mbox)".
	ExtMultiSearch
	// ExtPartial: RFC 9394 PARTIAL search return option.
	ExtPartial
	// ExtUTF8: RFC 6855/9051 "UTF8 (literal8)" in APPEND (only once the
	// client has sent ENABLE UTF8=ACCEPT or IMAP4rev2).
	ExtUTF8
	// ExtStatusDeleted: STATUS DELETED (RFC 9051) and DELETED-STORAGE
	// (RFC 9208).
	ExtStatusDeleted
	// ExtAppendLimit: STATUS APPENDLIMIT (RFC 7889).
	ExtAppendLimit
	// ExtReplace: REPLACE and UID REPLACE (RFC 8508).
	ExtReplace

	// ExtAll turns on every extension above.
	ExtAll = ExtSearchRes | ExtMultiSearch | ExtPartial | ExtUTF8 |
		ExtStatusDeleted | ExtAppendLimit | ExtReplace
)
