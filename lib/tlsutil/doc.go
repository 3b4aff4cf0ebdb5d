// Package tlsutil is TLS for every Gyrus service: a crypto/tls server
// configuration built from imapd.conf's tls_* options as Cyrus 3.6.1's
// imap/tls.c interprets them, the STARTTLS / implicit-TLS handshake with
// Cyrus's log line, the connection facts SASL needs (client certificate
// identity for EXTERNAL, channel bindings for SCRAM-PLUS), session
// resumption that works across all the processes of a service, and the
// pruning that tls_prune(8) does.
//
//	srv, err := tlsutil.NewServer(cfg, tlsutil.Options{}) // once per process
//	tc, st, err := srv.Handshake(ctx, conn)              // per connection
//	saslState := st.SASL()                               // for lib/sasl
//
// # Options (imapd.conf(5)), after the ident prefix ("imaps_tls_server_cert")
//
//	tls_server_cert, tls_server_key  PEM chain and key; two of each may be
//	    given comma-separated (e.g. RSA,EC); the key defaults to the cert
//	    file. TLS is enabled only when both are set and not "disabled"
//	    (Enabled). A file that cannot be loaded, a key that does not match,
//	    or a key too small for the security level is fatal (NewServer
//	    fails), as in Cyrus. Files are re-read when their mtime/size/inode
//	    change (checked at most once a second, during handshakes), and on
//	    ReloadCertificates; a bad new file keeps the old certificate.
//	    With two certificates an ECDSA/Ed25519 one the client accepts wins,
//	    else an RSA one.
//	tls_client_certs, tls_client_ca_file, tls_client_ca_dir  see clientAuth:
//	    off asks nothing; optional asks and verifies what is sent;
//	    require fails the handshake without a certificate. The request
//	    names the CAs of the CA file; verification also trusts the CA
//	    directory (every PEM file in it, not only hash-named ones) and the
//	    system CAs, as OpenSSL's default verify paths do in Cyrus. The
//	    identity is the first commonName of the client certificate.
//	tls_crl_file  enforced (in Go, by VerifyConnection): every certificate
//	    of the client's chain, root included, needs a current CRL from its
//	    issuer and must not be listed (OpenSSL's CRL_CHECK|CRL_CHECK_ALL).
//	    An unreadable file disables checking ("Can't load CRL file"); the
//	    file is re-read when it changes.
//	tls_ciphers  an OpenSSL cipher string, interpreted by our own
//	    implementation of OpenSSL 3.0's rules over OpenSSL's own suite
//	    table (ciphers_gen.go, generated from openssl(1)); tests compare
//	    ~90 strings (2000 with GYRUS_LONG_TESTS=1) with `openssl ciphers`.
//	    The result is then narrowed to what crypto/tls implements; see
//	    "Approximations".
//	    @SECLEVEL=n is honoured for what Go can mirror (below).
//	tls_versions  a version is on when "tls1_0".."tls1_3" appears in the
//	    string. Go needs a contiguous range: across a gap the highest run
//	    is kept. At security level >= 1 (OpenSSL 3.0's default) TLS 1.0 and
//	    1.1 are off whatever tls_versions says: real Cyrus on Debian 12
//	    answers them with an internal_error alert. "@SECLEVEL=0" in
//	    tls_ciphers turns them back on (Go still implements them).
//	tls_eccurve  OpenSSL short name; the named curve becomes the ONLY ECDHE
//	    group (TLS 1.3 too), as SSL_CTX_set_tmp_ecdh does in OpenSSL 3.
//	    prime256v1, secp384r1, secp521r1, X25519 map to Go; any other name
//	    leaves Go's default groups (logged once).
//	tls_prefer_server_ciphers  nothing to set: crypto/tls always chooses
//	    the suite by its own order (AES-GCM first with AES hardware).
//	tls_server_dhparam  accepted and logged once: Go has no DHE.
//	tls_session_timeout  clamped to [0, 24h]; 0 disables resumption.
//	    Tickets older than the timeout are refused.
//	tls_sessions_db, tls_sessions_db_path  where the shared ticket keys
//	    live (default {configdirectory}/tls_sessions.db, twoskip).
//	Deprecated names (tls_cert_file, tls_cipher_list, tlscache_db...) are
//	    mapped by package config.
//
// # Resumption across processes
//
// Cyrus shares sessions between the processes of a service by storing
// each SSL_SESSION in tls_sessions.db under its session id. crypto/tls
// resumes with tickets only (RFC 5077, and PSK in TLS 1.3), so Gyrus
// shares the ticket KEYS instead: every process reads them from the same
// database, so a ticket sealed by one process opens in any other
// (WrapSession/UnwrapSession with our own ticket format, tickets.go).
//
// Rotation: a key seals new tickets for half the session timeout T from
// its creation and opens tickets until creation + T/2 + T, so every
// ticket lives its full T. The process that first needs a fresh key takes
// the database's write lock, re-reads the keys (another process may have
// just added one) and adds one only if none is usable; each process
// seals with the newest usable key. Processes notice new keys by
// stat'ing the file (inode, size, mtime) at most once a second and when
// a ticket names a key they do not know; they re-read only when the file
// changed. tls_prune deletes keys past their expiry. If the database
// cannot be used, a process falls back to keys of its own (resumption
// then works only with that process) and logs a DBERROR at most once a
// minute.
//
// # Ticket-key records (our own format, in Cyrus's session database)
//
// Key: KeyPrefix ("gyrus.tk.", 9 bytes) followed by the 16-byte key id
// in unpadded base64url (22 characters): 31 bytes. Cyrus's own records
// are keyed by the TLS session id OpenSSL generated, always 32 bytes, so
// the two never collide; and Cyrus's tls_prune asserts that the keys it
// deletes are at most 32 bytes long, so ours must not be longer.
//
// Value, 61 bytes:
//
//	0   8  expiry: Unix seconds, host byte order (time_t, like Cyrus's
//	       records), after which the key opens no ticket
//	8   4  magic "GYTK"
//	12  1  version (1)
//	13  8  created: Unix seconds, host order
//	21  8  use-until: Unix seconds, host order; new tickets until then
//	29 32  AES-256-GCM key
//
// Because the expiry comes first in the same form as in Cyrus's records
// (<time_t expire><DER SSL_SESSION>), real Cyrus's tls_prune prunes our
// keys correctly, and ours prunes Cyrus's sessions: `cyr_dbtool ...
// twoskip consistent` and Cyrus's tls_prune accept files Gyrus wrote
// (tested against the real programs).
//
// # Approximations (what differs from Cyrus + OpenSSL)
//
//   - Cipher suites: only suites crypto/tls implements can be enabled: the
//     ECDHE-ECDSA/ECDHE-RSA AES-GCM, CHACHA20-POLY1305 and AES-CBC-SHA
//     suites and the four AES suites with RSA key exchange. No DHE, PSK,
//     SRP, CAMELLIA, ARIA, CCM. Go's CBC-SHA256 suites are never enabled
//     (not constant-time in Go). The order is OpenSSL's but crypto/tls
//     ignores order. A string that leaves no Go suite but allows TLS 1.3
//     gives a TLS 1.3-only server (logged). TLS 1.3 suites are not
//     configurable, as in Cyrus 3.6.
//   - Security level: mirrored are the minimum key sizes of our own
//     certificates, TLS 1.0/1.1 off above level 0, and no RSA key
//     exchange at level 3+. Not mirrored: limits on the client's
//     certificate keys and signature digests.
//   - tls_versions with a gap: see above.
//   - tls_client_ca_dir: every PEM file is read, once, at start.
//   - Resumption is ticket based (no session-id cache); Cyrus-format
//     session records are never written or read by services, only
//     pruned. TLS 1.2 tickets carry no lifetime hint.
//   - No OpenSSL verify depth limit (Cyrus sets none either).
//
// # Invariants and locks
//
// A Server is immutable after NewServer except for three caches, each
// behind its own mutex: the certificate store, the CRL store and the key
// ring. The key ring's mutex is held across a tls_sessions.db transaction
// only when keys are re-read or rotated; no other lock is taken while
// holding one of these, and tls_sessions.db is the only database touched.
// Handshakes never write to the database except to rotate (once per T/2
// for the whole service).
package tlsutil
