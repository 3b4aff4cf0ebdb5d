// Package sasl checks passwords and runs the server side of SASL
// (RFC 4422) mechanisms for imapd, pop3d, lmtpd and timsieved, choosing
// and configuring them from imapd.conf's sasl_* keys as Cyrus SASL does.
//
// Password checks (Authenticator), selected by sasl_pwcheck_method, a
// space-separated list tried in order until one accepts:
//   - auxprop (default): Gyrus's own hashed store (package store, file
//     sasl_sasldb_path + ".gyrus"), consulted FIRST; a user it lists is
//     decided by it (a tombstone means "no such user"); others fall back
//     to Cyrus SASL's Berkeley DB sasldb2 at sasl_sasldb_path (package
//     sasldb, read only). sasl_auxprop_plugin may name only "sasldb".
//   - saslauthd: the daemon at sasl_saslauthd_path (package saslauthd).
//   - alwaystrue: every password is right (test setups only).
//
// Realms mirror libsasl with Cyrus imapd's sasl_server_new(service,
// servername, user_realm=NULL): the id checked is the one the caller's
// Canon callback returns (Cyrus's canonify_userid: lowercasing,
// virtdomains, defaultdomain trimming). For auxprop it is split at its
// FIRST '@' into user and realm, and an id without '@' gets the realm
// servername (sasldb key user\0servername\0userPassword). For saslauthd
// it is split at its LAST '@'; without '@' the realm sent is empty.
//
// Mechanisms (Server): PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-
// login, Cyrus prompts "Username:" and "Password:"), SCRAM-SHA-1 and
// SCRAM-SHA-256 (RFC 5802, RFC 7677) with their -PLUS channel-binding
// variants when the caller gives binding data, and EXTERNAL (RFC 4422
// appendix A) when the caller gives a TLS client identity. The list is
// filtered by sasl_mech_list (its order wins, as in Cyrus) and the
// password-sending ones (PLAIN, LOGIN) are hidden without TLS unless
// allowplaintext is on (Cyrus's SASL_SEC_NOPLAINTEXT). SCRAM needs the
// auxprop method (saslauthd cannot produce SCRAM keys).
//
// Invariants:
//   - Passwords and proofs are never logged nor put in errors.
//   - Authorization (authzid different from the authenticated id) is
//     decided only by the caller's Authorize callback (Cyrus's
//     mysasl_proxy_policy: admins, proxyservers, loginuseacl); without
//     one, proxying is refused.
//   - Failed attempts return *Error (SASL code and detail, as Cyrus logs
//     them); the caller applies failedloginpause and logs "badlogin".
//   - An Authenticator and a Server are safe for concurrent use; an
//     Exchange belongs to one connection. No package lock is held while
//     calling saslauthd or the caller's callbacks.
package sasl
