package sasl

import "fmt"

// Code is a Cyrus SASL result code (sasl.h), kept because Cyrus logs
// them ("SASL(-13): authentication failure: ...") and admins grep them.
type Code int

const (
	CodeFail       Code = -1  // SASL_FAIL: generic failure
	CodeNoMech     Code = -4  // SASL_NOMECH
	CodeBadProt    Code = -5  // SASL_BADPROT: bad protocol / cancel
	CodeBadParam   Code = -7  // SASL_BADPARAM
	CodeBadAuth    Code = -13 // SASL_BADAUTH: authentication failure
	CodeNoAuthz    Code = -14 // SASL_NOAUTHZ: authorization failure
	CodeTooWeak    Code = -15 // SASL_TOOWEAK
	CodeEncrypt    Code = -16 // SASL_ENCRYPT: encryption needed
	CodeNoUser     Code = -20 // SASL_NOUSER: user not found
	CodeUnavail    Code = -24 // SASL_UNAVAIL: remote server unavailable
	CodeNoVerify   Code = -26 // SASL_NOVERIFY: user exists, no verifier
	CodeBadBinding Code = -32 // SASL_BADBINDING: invalid channel binding
)

// String is libsasl's sasl_errstring text for the code.
func (c Code) String() string {
	switch c {
	case CodeFail:
		return "generic failure"
	case CodeNoMech:
		return "no mechanism available"
	case CodeBadProt:
		return "bad protocol / cancel"
	case CodeBadParam:
		return "invalid parameter supplied"
	case CodeBadAuth:
		return "authentication failure"
	case CodeNoAuthz:
		return "authorization failure"
	case CodeTooWeak:
		return "mechanism too weak for this user"
	case CodeEncrypt:
		return "encryption needed to use mechanism"
	case CodeNoUser:
		return "user not found"
	case CodeUnavail:
		return "remote authentication server unavailable"
	case CodeNoVerify:
		return "user exists, but no verifier for user"
	case CodeBadBinding:
		return "invalid channel binding"
	}
	return "undefined error!"
}

// Error is a failed check or exchange.
type Error struct {
	Code   Code
	Detail string // what went wrong, without secrets (e.g. "checkpass failed")
	Err    error  // underlying cause, if any (e.g. saslauthd unreachable)
}

// Error renders like libsasl's sasl_errdetail, which Cyrus puts in its
// badlogin log lines: "SASL(-13): authentication failure: checkpass failed".
func (e *Error) Error() string {
	s := fmt.Sprintf("SASL(%d): %s", int(e.Code), e.Code)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports a failure of the back end rather than of the
// credentials (the caller may answer with a temporary-failure response).
func (e *Error) Temporary() bool { return e.Code == CodeFail || e.Code == CodeUnavail }

func errf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}
