package imapwire

import (
	"fmt"
	"strings"
)

// Status is the status word of a tagged or untagged status response.
type Status string

// Status words (RFC 9051 section 7.1).
const (
	StatusOK      Status = "OK"
	StatusNO      Status = "NO"
	StatusBAD     Status = "BAD"
	StatusPREAUTH Status = "PREAUTH"
	StatusBYE     Status = "BYE"
)

// Error is a command that could not be parsed or was refused before its
// arguments were all read. The parser has already resynchronised the input
// (see doc.go) when it returns one: the session writes it with
// Writer.WriteError and, unless Fatal, reads the next command.
type Error struct {
	// Tag of the command; "" for an untagged answer ("* BAD Invalid tag").
	Tag string
	// Status of the tagged (or untagged) reply: BAD or NO. Empty when the
	// only answer is the BYE.
	Status Status
	// Code is an optional response code without brackets, e.g. "TOOBIG".
	Code string
	// Text is the human-readable text, as Cyrus words it.
	Text string
	// Bye, when not empty, is the text of a "* BYE" the server sends after
	// the tagged reply; the connection must then be closed because the
	// input cannot be resynchronised (or a limit was exceeded).
	Bye string
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Status != "" {
		b.WriteString(string(e.Status))
		b.WriteByte(' ')
		if e.Code != "" {
			b.WriteString("[" + e.Code + "] ")
		}
		b.WriteString(e.Text)
	}
	if e.Bye != "" {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString("BYE " + e.Bye)
	}
	return "imap: " + b.String()
}

// Fatal reports whether the connection must be closed after the answer.
func (e *Error) Fatal() bool { return e.Bye != "" }

func newBAD(tag, format string, args ...any) *Error {
	return &Error{Tag: tag, Status: StatusBAD, Text: sprintf(format, args...)}
}

func newNO(tag, code, format string, args ...any) *Error {
	return &Error{Tag: tag, Status: StatusNO, Code: code, Text: sprintf(format, args...)}
}

func sprintf(format string, args ...any) string {
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// fatalError is kept by the parser once the input cannot be trusted any more;
// every later read fails until ReadCommand returns it.
func fatalError(bye string) *Error { return &Error{Bye: bye} }

// ErrUnrecognized is what Gate should return for a command the session does
// not offer (Cyrus: STARTTLS without TLS, IDLE when disabled, UNAUTHENTICATE
// for a non-admin...). The parser fills in the tag.
func ErrUnrecognized() *Error { return newBAD("", TextUnrecognized) }

// ErrLoginFirst is Cyrus's answer to a command that needs authentication.
func ErrLoginFirst() *Error { return newBAD("", TextLoginFirst) }

// ErrSelectFirst is Cyrus's answer to a command that needs a selected
// mailbox.
func ErrSelectFirst() *Error { return newBAD("", TextSelectFirst) }

// ErrReadOnly is Cyrus's answer to a modifying command when imapd.conf has
// "readonly: yes".
func ErrReadOnly() *Error { return newNO("", "", TextReadOnly) }

// newBADText is newBAD for a fixed text.
func newBADText(tag, text string) *Error {
	return &Error{Tag: tag, Status: StatusBAD, Text: text}
}
