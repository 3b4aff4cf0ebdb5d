package search

import "strings"

// cachedHeader is mailbox_cached_header() for cache version 11: whether
// Cyrus keeps a header field in the HEADERS cache item, so that HEADER
// reads it from there (otherwise from the message file). The names are
// Cyrus's imap/mailbox_header_cache.gperf (case-insensitive): the ones
// listed false are never cached; other "X-" fields are not cached,
// everything else is. Names of 32 bytes or more are never cached.
func cachedHeader(name string) bool {
	if len(name) >= 32 {
		return false
	}
	l := strings.ToLower(name)
	if v, ok := headerCache[l]; ok {
		return v
	}
	return !strings.HasPrefix(l, "x-")
}

var headerCache = map[string]bool{
	"priority": true, "references": true, "resent-from": true,
	"newsgroups": true, "followup-to": true, "x-mailer": true, "x-trace": true,
	"x-ref": true, "x-priority": true, "x-msmail-priority": true,
	"x-msoesrec": true, "x-spam-score": true, "x-resolved-to": true,
	"x-delivered-to": true, "x-mail-from": true, "x-truedomain-domain": true,
	"x-me-message-id": true, "x-cyrus-session-id": true,
	"reply-to": true, "sender": true,
	"x-universally-unique-identifier": true, "x-uniform-type-identifier": true,
	"x-apple-base-url": true, "x-apple-mail-remote-attachments": true,
	"bcc": false, "cc": false, "date": false, "delivery-date": false,
	"envelope-to": false, "from": false, "in-reply-to": false,
	"mime-version": false, "received": false, "return-path": false,
	"subject": false, "to": false, "dkim-signature": false,
	"domainkey-signature": false, "domainkey-x509": false, "message-id": false,
	"arc-seal": false, "arc-message-signature": false,
	"arc-authentication-results": false, "authentication-results": false,
	"received-spf": false, "archived-at": false, "listbox-message-date": false,
	"topicbox-message-uuid": false, "topicbox-policy-reasoning": false,
}
