package main

// buildInfo is what cyr_buildinfo reports: the keys and order of Cyrus
// 3.6.1's cyr_buildinfo, with true only for what works in Gyrus today.
// When a component lands, flip its value here (and nowhere else).
var buildInfo = []section{
	{"component", []item{
		{"event_notification", false}, // RFC 5423 events through notifyd
		{"gssapi", false},             // Kerberos SASL
		{"autocreate", true},          // INBOX and autocreate_inbox_folders at first login (cmd/imapd/autocreate.go)
		{"idled", false},              // IDLE helper daemon
		{"httpd", false},              // CalDAV/CardDAV/JMAP server
		{"kerberos_v4", false},        // never: Cyrus dropped it too
		{"murder", false},             // frontends, backends, mupdate
		{"nntpd", false},              // NNTP server
		{"replication", false},        // sync_client/sync_server
		{"sieve", false},              // Sieve in lmtpd, timsieved
		{"calalarmd", false},          // calendar alarms
		{"jmap", false},               // JMAP
		{"objectstore", false},        // archive to an object store
		{"backup", false},             // backupd and its tools
	}},
	{"dependency", []item{
		{"ldap", false},     // LDAP ptloader
		{"openssl", true},   // TLS: STARTTLS, imaps, pop3s, lmtp through crypto/tls (lib/tlsutil)
		{"zlib", true},      // COMPRESS=DEFLATE (compress/flate)
		{"jansson", false},  // JSON (JMAP, JSON dumps)
		{"pcre", false},     // regular expressions (Sieve :regex)
		{"clamav", false},   // cyr_virusscan
		{"openio", false},   // OpenIO object store
		{"nghttp2", false},  // HTTP/2
		{"wslay", false},    // WebSockets
		{"brotli", false},   // HTTP brotli encoding
		{"xml2", false},     // DAV XML
		{"ical", false},     // iCalendar
		{"icu4c", false},    // Unicode collation/normalisation
		{"shapelib", false}, // time zone boundaries
		{"chardet", false},  // charset detection
		{"cld2", false},     // language detection
	}},
	{"database", []item{
		{"mysql", false},
		{"pgsql", false},
		{"sqlite", false},
	}},
	{"search", []item{
		{"squat", false},  // squatter index
		{"xapian", false}, // Xapian index
		{"xapian_cjk_tokens", "none"},
	}},
	{"hardware", nil},
}

type section struct {
	name  string
	items []item
}

// item is one key; value is a bool or a string.
type item struct {
	key   string
	value any
}
