package main

import "errors"

// errURLBadPart is a URL section that names no part of the message (a
// CATENATE URL ";SECTION=7" of a message with three parts). Cyrus's
// index_urlfetch answers IMAP_PROTOCOL_BAD_PARAMETERS there, not BADURL,
// so APPEND says "NO Syntax error in parameters" without a response code
// (recorded in test/imap ext/catenate/url-errors).
var errURLBadPart = errors.New("Syntax error in parameters")
