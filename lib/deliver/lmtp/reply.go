package lmtp

import (
	"fmt"
	"strings"

	"gyrus/lib/deliver"
)

// reply is Cyrus's send_lmtp_error: the LMTP answer for a delivery
// result (the texts of Cyrus's lmtp_err.et and imap_err.et, with the
// long 550 explanations lmtpd is built with).
func (s *session) reply(err error) string {
	if err == nil {
		return "250 2.1.5 Success SESSIONID=<" + s.sessionID + ">\r\n"
	}
	code := deliver.CodeOf(err)
	return replyFor(code, s.cfg.Postmaster, s.cfg.QuotaPermFailure, s.sessionID)
}

func replyFor(code deliver.Code, postmaster string, quotaPerm bool, sid string) string {
	t := code.Text()
	switch code {
	case deliver.CodeServerUnavailable:
		return "451 4.4.3 " + t + "\r\n"
	case deliver.CodeNoSpace:
		return "451 4.3.1 " + t + "\r\n"
	case deliver.CodePermissionDenied:
		return fmt.Sprintf("550-You do not have permission to post a message to this mailbox.\r\n"+
			"550-Please contact the owner of this mailbox in order to submit\r\n"+
			"550-your message, or %s if you believe you\r\n"+
			"550-received this message in error.\r\n", postmaster) +
			"550 5.7.1 " + t + "\r\n"
	case deliver.CodeQuotaExceeded:
		if quotaPerm {
			return "552 5.2.2 " + t + " SESSIONID=<" + sid + ">\r\n"
		}
		return "452 4.2.2 " + t + " SESSIONID=<" + sid + ">\r\n"
	case deliver.CodeMailboxBadFormat, deliver.CodeMailboxNotSupported:
		return "451 4.2.0 " + t + "\r\n"
	case deliver.CodeMailboxMoved, deliver.CodeMailboxReserved, deliver.CodeMailboxDisabled:
		return "451 4.2.1 " + t + "\r\n"
	case deliver.CodeMessageContainsNUL, deliver.CodeMessageContainsNL,
		deliver.CodeMessageContains8bit, deliver.CodeMessageBadHeader,
		deliver.CodeMessageNoBlankLine:
		return "554 5.6.0 " + t + "\r\n"
	case deliver.CodeMailboxNonexistent:
		return "550-Mailbox unknown.  Either there is no mailbox associated with this\r\n" +
			"550-name or you do not have authorization to see it.\r\n" +
			"550 5.1.1 User unknown\r\n"
	case deliver.CodeProtocolBadParams:
		return "501 5.5.4 " + t + "\r\n"
	}
	return "451 4.3.0 " + t + "\r\n"
}

// Fixed replies (lmtpengine.c).
const (
	rSyntax          = "500 5.5.2 Syntax error\r\n"
	rParamSyntax     = "501 5.5.4 Syntax error in parameters\r\n"
	rUnrecParams     = "501 5.5.4 Unrecognized parameters\r\n"
	rMailOK          = "250 2.1.0 ok\r\n"
	rRcptOK          = "250 2.1.5 ok\r\n"
	rNoop            = "250 2.0.0 ok\r\n"
	rBye             = "221 2.0.0 bye\r\n"
	rNeedMail        = "503 5.5.1 Need MAIL command\r\n"
	rNested          = "503 5.5.1 Nested MAIL command\r\n"
	rNoRcpt          = "503 5.5.1 No recipients\r\n"
	rGoAhead         = "354 go ahead\r\n"
	rVrfy            = "252 2.3.3 try RCPT to attempt delivery\r\n"
	rAuthAlready     = "503 5.5.0 already authenticated\r\n"
	rAuthNotNow      = "503 5.5.0 AUTH not permitted now\r\n"
	rAuthCancel      = "501 5.5.4 client canceled authentication\r\n"
	rAuthNoMech      = "504 Unrecognized authentication type.\r\n"
	rAuthOK          = "235 Authenticated!\r\n"
	rBodyType        = "501 5.5.4 Unrecognized BODY type\r\n"
	rSizeValue       = "501 5.5.2 SIZE requires a value\r\n"
	rTLSAlready      = "454 4.3.3 Already successfully executed STARTTLS\r\n"
	rTLSNotNow       = "503 5.5.0 STARTTLS not permitted now\r\n"
	rTLSInitFail     = "454 4.3.3 Error initializing TLS\r\n"
	rTLSBegin        = "220 Begin TLS negotiation now\r\n"
	rTLSFailed       = "454 4.3.3 STARTTLS failed\r\n"
	rAuthRequired    = "530 Authentication required\r\n"
	rAuthRequiredTmp = "430 Authentication required\r\n"
)

// authFailText is what Cyrus 3.6.1 answers to every failed AUTH: it
// passes its own error code, not SASL's, to sasl_errstring(), which
// knows no such code.
const authFailText = "501 5.5.4 undefined error!\r\n"

// errnoText is C's strerror for the errors a spool write can have.
func errnoText(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
