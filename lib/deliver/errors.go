package deliver

import (
	"errors"
	"fmt"
)

// Code is a Cyrus IMAP error code, numbered as in the imap/imap_err.et
// of the Cyrus 3.6.1 that Debian 12 ships (its index in that table),
// which carries the four [TOOBIG] codes of 3.6.5 after
// IMAP_MESSAGE_TOO_LARGE. Delivery errors carry one
// because LMTP derives its reply from it (Cyrus send_lmtp_error), and
// because Cyrus combines two of them with a bitwise OR in one place
// (lmtpengine.c savemsg), which only these numbers reproduce.
type Code uint8

// The codes delivery uses (others keep their number and text).
const (
	CodeInternal            Code = 0
	CodeIO                  Code = 1
	CodeNoSpace             Code = 4
	CodePermissionDenied    Code = 5
	CodeQuotaExceeded       Code = 6
	CodeMessageTooLarge     Code = 7
	CodeMailboxBadFormat    Code = 14
	CodeMailboxNotSupported Code = 19
	CodeMailboxNonexistent  Code = 20
	CodeMailboxMoved        Code = 24
	CodeMailboxReserved     Code = 25
	CodeMailboxDisabled     Code = 27
	CodeMailboxSpecialUse   Code = 28
	CodeMessageContainsNUL  Code = 33
	CodeMessageContainsNL   Code = 34
	CodeMessageContains8bit Code = 35
	CodeMessageBadHeader    Code = 36
	CodeMessageNoBlankLine  Code = 37
	CodeProtocolError       Code = 39
	CodeProtocolBadParams   Code = 40
	CodeServerUnavailable   Code = 49
	CodeAgain               Code = 51
	numCodes                     = 81
)

// codeText is Cyrus's text for each code (error_message()), verbatim:
// LMTP replies quote them.
var codeText = [numCodes]string{
	"Internal Error",
	"System I/O error",
	"Item does not exist",
	"Operating System Error",
	"mail system storage has been exceeded",
	"Permission denied",
	"Over quota",
	"Message size exceeds fixed limit",
	"[TOOBIG] Message size exceeds fixed limit",
	"[TOOBIG] Command arguments total size exceeds fixed limit",
	"[TOOBIG] Literal size exceeds fixed limit",
	"[TOOBIG] Non-synchronizing literal size exceeds 4K",
	"Too many user flags in mailbox",
	"Invalid namespace prefix in configuration file",
	"Mailbox has an invalid format",
	"Replication inconsistency detected",
	"Mailbox has changed since last sync",
	"Sieve script compilation failure",
	"Mailbox format corruption detected",
	"Operation is not supported on mailbox",
	"Mailbox does not exist",
	"Mailbox already exists",
	"Invalid mailbox name",
	"Invalid mailbox type",
	"Mailbox has been moved to another server",
	"Mailbox is currently reserved",
	"Mailbox is locked",
	"Delivery to mailbox is disabled",
	"SPECIAL-USE flag conflict",
	"[HASCHILDREN] Mailbox has inferior hierarchical names",
	"Unknown/invalid partition",
	"Invalid identifier",
	"Invalid rights",
	"Message contains NUL characters",
	"Message contains bare newlines",
	"Message contains non-ASCII characters in headers",
	"Message contains invalid header",
	"Message has no header/body separator",
	"Quota root does not exist",
	"Bad protocol",
	"Syntax error in parameters",
	"Invalid annotation entry",
	"Invalid annotation attribute",
	"Invalid annotation value",
	"Bad URL",
	"Zero-length message literal",
	"Command is disabled by configuration",
	"This connection is configured for read-only access",
	"Invalid server requested",
	"Server(s) unavailable to complete operation",
	"The remote Server(s) denied the operation",
	"Retry operation",
	"This mailbox hierarchy does not exist on a single backend server.",
	"The remote server does not support MULTIAPPEND",
	"Unrecognized character set",
	"Invalid user",
	"Login incorrect",
	"Anonymous login is not permitted",
	"Unsupported quota resource",
	"User is using legacy mailbox directories.  Reconstruct user first.",
	"Authentication failed",
	"Client cancelled authentication",
	"Protocol error during authentication",
	"Mailbox is over %s quota",
	"Mailbox is at %d%% of %s quota",
	"Message %d no longer exists",
	`Unable to checkpoint \Seen state`,
	`Unable to preserve \Seen state`,
	"No matching messages",
	"No matching annotations",
	"[UNKNOWN-CTE] Can not process the binary data",
	"Conversation DB is already opened",
	"Conversation DB is not opened",
	"Too many identical emails",
	"Anchor not found",
	"Command cancelled by user",
	"Search taking too long - try reducing the set of messages searched",
	"Search is mutable",
	"Search is not supported",
	"LOGOUT received",
	"Completed",
}

// Text is Cyrus's error_message() for the code.
func (c Code) Text() string {
	if int(c) < len(codeText) {
		return codeText[c]
	}
	return fmt.Sprintf("Unknown code imap %d", int(c))
}

// Or combines two codes as Cyrus's "r |= ..." does: the error codes of
// one com_err table differ only in their low 8 bits.
func (c Code) Or(d Code) Code { return c | d }

// Error is a delivery failure with its Cyrus code.
type Error struct {
	Code Code
	Err  error // the cause, for logs (may be nil)
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code.Text() + ": " + e.Err.Error()
	}
	return e.Code.Text()
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches a sentinel *Error (no cause) with the same code, so that
// errors.Is(err, deliver.ErrQuotaExceeded) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Err == nil && t.Code == e.Code
}

// Sentinel errors for errors.Is.
var (
	ErrIO                  = &Error{Code: CodeIO}
	ErrPermissionDenied    = &Error{Code: CodePermissionDenied}
	ErrQuotaExceeded       = &Error{Code: CodeQuotaExceeded}
	ErrMailboxNonexistent  = &Error{Code: CodeMailboxNonexistent}
	ErrMailboxNotSupported = &Error{Code: CodeMailboxNotSupported}
	ErrMailboxReserved     = &Error{Code: CodeMailboxReserved}
	ErrMailboxDisabled     = &Error{Code: CodeMailboxDisabled}
	ErrMailboxSpecialUse   = &Error{Code: CodeMailboxSpecialUse}
	ErrMailboxBadFormat    = &Error{Code: CodeMailboxBadFormat}
)

// Errorf makes an *Error with a cause.
func Errorf(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Err: fmt.Errorf(format, args...)}
}

// CodeOf returns the Cyrus code of err: its own for an *Error,
// IMAP_IOERROR for anything else (Cyrus's answer to the unexpected).
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeIO
}
