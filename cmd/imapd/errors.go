package main

import (
	"errors"
	"fmt"

	"gyrus/lib/acl"
	"gyrus/lib/authz"
	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/quota"
)

// Errors of imapd's own, with Cyrus's texts (imap/imap_err.et). Every
// error a command can meet is mapped to its answer in one place,
// Session.errText.
var (
	errNonexistent     = errors.New("Mailbox does not exist")
	errPermission      = errors.New("Permission denied")
	errExists          = errors.New("Mailbox already exists")
	errBadName         = errors.New("Invalid mailbox name")
	errNotSupported    = errors.New("Operation is not supported on mailbox")
	errOverQuota       = errors.New("Over quota")
	errTooLarge        = errors.New("Message size exceeds fixed limit")
	errNoRoot          = errors.New("Quota root does not exist")
	errUnsupportedQuot = errors.New("Unsupported quota resource")
	errInvalidUser     = authz.ErrInvalidUser
	errInvalidID       = errors.New("Invalid identifier")
	errNoSuchMsg       = errors.New("No matching messages")
	// errGone: the selected mailbox was deleted or renamed under the
	// session (Cyrus index_lock's IMAP_MAILBOX_NONEXISTENT)
	errGone           = fmt.Errorf("selected mailbox gone: %w", errNonexistent)
	errUnknownCTE     = errors.New("[UNKNOWN-CTE] Can not process the binary data")
	errSpecialUse     = errors.New("SPECIAL-USE flag conflict")
	errHasChildren    = errors.New("[HASCHILDREN] Mailbox has inferior hierarchical names")
	errBadAnnotEntry  = errors.New("Invalid annotation entry")
	errBadAnnotAttrib = errors.New("Invalid annotation attribute")
	errBadAnnotValue  = errors.New("Invalid annotation value")
	errUserFlags      = errors.New("Too many user flags in mailbox")
	errZeroLiteral    = errors.New("Zero-length message literal")
	errReserved       = errors.New("Mailbox is currently reserved")
	errBadURL         = errors.New("Bad URL")
	errIO             = errors.New("System I/O error")
	errPartition      = errors.New("Unknown/invalid partition")
	errMsgBadHeader   = errors.New("Message contains invalid header")
	errMsgNUL         = errors.New("Message contains NUL characters")
	errMsgBareNL      = errors.New("Message contains bare newlines")
	errMsg8Bit        = errors.New("Message contains non-ASCII characters in headers")
	errMsgNoBlankLine = errors.New("Message has no header/body separator")
	errMboxBadType    = errors.New("Invalid mailbox type")
	errDisabled       = errors.New("Command is disabled by configuration")
)

// codedError carries a response code with the text.
type codedError struct {
	code imapwire.Code
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

func withCode(code imapwire.Code, err error) error { return &codedError{code, err} }

// errText returns the response code and the text of a NO answer for err.
// Unknown errors are logged as IOERROR and answered "System I/O error",
// as Cyrus does for its IMAP_IOERROR.
func (s *Session) errText(err error) (imapwire.Code, string) {
	var ce *codedError
	if errors.As(err, &ce) {
		_, text := s.errText(ce.err)
		return ce.code, text
	}
	switch {
	case errors.Is(err, errNonexistent), errors.Is(err, mboxlist.ErrNotFound),
		errors.Is(err, acl.ErrNonexistent), errors.Is(err, mailbox.ErrNotFound),
		errors.Is(err, mailbox.ErrDeleted):
		return "", "Mailbox does not exist"
	case errors.Is(err, errPermission), errors.Is(err, mboxlist.ErrPermission),
		errors.Is(err, acl.ErrPermissionDenied):
		return "", "Permission denied"
	case errors.Is(err, errExists), errors.Is(err, mboxlist.ErrExists):
		return "", "Mailbox already exists"
	case errors.Is(err, mboxlist.ErrReserved), errors.Is(err, errReserved):
		return "", "Mailbox is currently reserved"
	case errors.Is(err, errBadName), errors.Is(err, mboxname.ErrBadName), errors.Is(err, mboxname.ErrBadUTF7):
		return "", "Invalid mailbox name"
	case errors.Is(err, errNotSupported), errors.Is(err, mboxlist.ErrNotSupported):
		return "", "Operation is not supported on mailbox"
	case errors.Is(err, errPartition), errors.Is(err, mboxlist.ErrPartition):
		return "", "Unknown/invalid partition"
	case errors.Is(err, errOverQuota), errors.Is(err, quota.ErrOverQuota), errors.Is(err, mailbox.ErrOverQuota):
		return "", "Over quota"
	case errors.Is(err, errNoRoot), errors.Is(err, quota.ErrNoRoot):
		return "", "Quota root does not exist"
	case errors.Is(err, errUserFlags), errors.Is(err, mailbox.ErrUserFlagsExhausted):
		return "", "Too many user flags in mailbox"
	case errors.Is(err, acl.ErrInvalidIdentifier):
		return "", "Invalid identifier"
	}
	for _, known := range []error{errTooLarge, errUnsupportedQuot, errInvalidUser, errInvalidID,
		errNoSuchMsg, errUnknownCTE, errSpecialUse, errHasChildren, errBadAnnotEntry,
		errBadAnnotAttrib, errBadAnnotValue, errZeroLiteral, errBadURL, errIO,
		errMsgBadHeader, errMsgNUL, errMsgBareNL, errMsg8Bit, errMsgNoBlankLine,
		errMboxBadType, errDisabled, errURLBadPart} {
		if errors.Is(err, known) {
			return "", known.Error()
		}
	}
	log.Printf(log.LevelErr, "IOERROR: %s: %v", s.cmdName, err)
	return "", "System I/O error"
}

// errf wraps a cause with context for the log while keeping the answer.
func errf(answer error, format string, a ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, a...), answer)
}
