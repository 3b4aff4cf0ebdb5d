package tlsutil

import (
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gyrus/lib/config"
	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/twoskip" // the default tls_sessions_db backend
	"gyrus/lib/log"
)

// MaxSessionTimeout is the longest tls_session_timeout Cyrus accepts.
const MaxSessionTimeout = 24 * time.Hour

// ErrNotConfigured is returned by NewServer when tls_server_cert or
// tls_server_key is unset or "disabled" (Cyrus's tls_enabled() is false).
var ErrNotConfigured = errors.New("TLS is not configured (tls_server_cert/tls_server_key)")

// Enabled reports whether TLS is configured for the config's ident, as
// Cyrus's tls_enabled(): both tls_server_cert and tls_server_key set and
// neither "disabled". Services advertise STARTTLS only then.
func Enabled(c *config.Config) bool {
	for _, v := range []string{c.TlsServerCert(), c.TlsServerKey()} {
		if v == "" || strings.EqualFold(v, "disabled") {
			return false
		}
	}
	return true
}

// Options tune a Server beyond imapd.conf; the zero value is right for
// services.
type Options struct {
	// Now is the clock (tests inject one); nil means time.Now.
	Now func() time.Time
	// CheckInterval is how often certificate, CRL and sessions-database
	// files are stat'ed for changes; 0 means one second.
	CheckInterval time.Duration
}

// Server is the TLS engine of one service process: the tls.Config built
// from imapd.conf, the certificates, and the shared ticket keys. It is
// safe for concurrent use by any number of sessions.
type Server struct {
	ident   string
	tmpl    *tls.Config
	certs   *certStore
	auth    *clientAuth
	ring    *keyRing // nil: resumption disabled
	db      *cyrusdb.DB
	timeout time.Duration
	now     func() time.Time
	ciphers cipherList
}

// once-per-process notices about keys Go cannot honour.
var (
	dhOnce    sync.Once
	curveOnce sync.Once
)

// NewServer builds the TLS engine for the config's ident (the service
// name, so "imaps_tls_server_cert" applies to imaps), following Cyrus
// 3.6.1's tls_init_serverengine. It fails where Cyrus's does (bad cipher
// list, certificate or key that cannot be loaded, tls_client_certs:
// require without CAs), logging Cyrus's words, and in two cases of its
// own: no TLS version left, and no certificate configured.
func NewServer(c *config.Config, o Options) (*Server, error) {
	if !Enabled(c) {
		return nil, ErrNotConfigured
	}
	s := &Server{ident: c.Ident(), now: o.Now}
	if s.now == nil {
		s.now = time.Now
	}
	check := o.CheckInterval
	if check <= 0 {
		check = time.Second
	}
	tc := &tls.Config{}
	s.tmpl = tc

	minV, maxV, err := parseVersions(c.TlsVersions())
	if err != nil {
		return nil, err
	}

	s.ciphers, err = parseCipherString(c.TlsCiphers())
	if err != nil {
		log.Printf(log.LevelErr, "TLS server engine: cannot load cipher list '%s'", c.TlsCiphers())
		return nil, err
	}
	tc.CipherSuites = goCipherSuites(s.ciphers)
	if s.ciphers.SecLevel >= 1 && minV < tls.VersionTLS12 {
		// OpenSSL 3.0 refuses TLS 1.0/1.1 handshakes above security level
		// 0 (their signatures use SHA-1/MD5): Cyrus on Debian 12 answers
		// them with an internal_error alert unless tls_ciphers says
		// @SECLEVEL=0.
		log.Debug("tls: TLS 1.0/1.1 disabled at security level", "seclevel", s.ciphers.SecLevel)
		minV = tls.VersionTLS12
	}
	if len(tc.CipherSuites) == 0 && minV <= tls.VersionTLS12 {
		// OpenSSL accepted the list, but nothing in it exists in Go (e.g.
		// DHE only): TLS <= 1.2 cannot be offered.
		if maxV < tls.VersionTLS13 {
			return nil, &CipherError{c.TlsCiphers(), "no cipher suite Gyrus implements"}
		}
		log.Printf(log.LevelWarning, "TLS server engine: no TLS 1.2 cipher of '%s' is implemented; offering TLS 1.3 only", c.TlsCiphers())
		minV = tls.VersionTLS13
	}
	if minV > maxV {
		return nil, fmt.Errorf("tls_versions %q: no protocol version left at security level %d", c.TlsVersions(), s.ciphers.SecLevel)
	}
	tc.MinVersion, tc.MaxVersion = minV, maxV
	// tls_prefer_server_ciphers: crypto/tls always picks by its own
	// preference (hardware AES or not); there is nothing to set.

	if s.auth, err = newClientAuth(c, s.now, check); err != nil {
		return nil, err
	}
	tc.ClientAuth, tc.ClientCAs = s.auth.mode, s.auth.names

	pairs := splitCertFiles(c.TlsServerCert(), c.TlsServerKey())
	if s.certs, err = newCertStore(pairs, s.ciphers.SecLevel, check, s.now); err != nil {
		log.Printf(log.LevelErr, "%v", err)
		log.Printf(log.LevelErr, "TLS server engine: cannot load cert/key data, may be a cert/key mismatch?")
		return nil, err
	}

	if f := c.TlsServerDhparam(); f != "" {
		dhOnce.Do(func() {
			log.Printf(log.LevelNotice, "inittls: tls_server_dhparam %s not used: Gyrus has no DHE key exchange", f)
		})
	}
	tc.CurvePreferences = curvePreferences(c.TlsEccurve())

	s.timeout = c.TlsSessionTimeout()
	if s.timeout < 0 {
		s.timeout = 0
	}
	if s.timeout > MaxSessionTimeout {
		s.timeout = MaxSessionTimeout
	}
	if s.timeout == 0 {
		tc.SessionTicketsDisabled = true
		return s, nil
	}
	path := SessionsDBPath(c)
	db, err := cyrusdb.Open(path, c.TlsSessionsDb(), cyrusdb.Create)
	if err != nil {
		// Cyrus logs this and runs without its shared cache; we keep
		// process-local ticket keys.
		log.Printf(log.LevelErr, "DBERROR: opening %s: %v", path, err)
		db = nil
	}
	s.db = db
	s.ring = newKeyRing(db, s.timeout, check, s.now)
	return s, nil
}

// SessionsDBPath is tls_sessions_db_path, or its default
// {configdirectory}/tls_sessions.db.
func SessionsDBPath(c *config.Config) string {
	if p := c.TlsSessionsDbPath(); p != "" {
		return p
	}
	return filepath.Join(c.Configdirectory(), "tls_sessions.db")
}

// parseVersions reads tls_versions the way Cyrus does: a protocol is
// kept when its name appears anywhere in the string. OpenSSL then serves
// exactly the kept versions (with "tls1_1 tls1_3", TLS 1.2 clients are
// refused); crypto/tls only knows a range, so across a gap we keep the
// highest contiguous run and never enable a version that is not listed.
func parseVersions(s string) (minV, maxV uint16, err error) {
	names := []struct {
		name string
		v    uint16
	}{{"tls1_3", tls.VersionTLS13}, {"tls1_2", tls.VersionTLS12}, {"tls1_1", tls.VersionTLS11}, {"tls1_0", tls.VersionTLS10}}
	for _, n := range names {
		on := strings.Contains(s, n.name)
		switch {
		case on && maxV == 0:
			maxV, minV = n.v, n.v
		case on:
			if minV == n.v+1 {
				minV = n.v
			}
		}
	}
	if maxV == 0 {
		return 0, 0, fmt.Errorf("tls_versions %q enables no protocol (tls1_0 tls1_1 tls1_2 tls1_3)", s)
	}
	return minV, maxV, nil
}

// curvePreferences maps tls_eccurve. Cyrus hands the name to OpenSSL's
// OBJ_sn2nid and, when OpenSSL knows it, makes it the ONLY group for
// ECDHE, in TLS 1.3 too (clients offering only X25519 fail against the
// default prime256v1). Unknown names leave OpenSSL's defaults, as do
// curves Go lacks (logged once).
func curvePreferences(name string) []tls.CurveID {
	switch name {
	case "prime256v1":
		return []tls.CurveID{tls.CurveP256}
	case "secp384r1":
		return []tls.CurveID{tls.CurveP384}
	case "secp521r1":
		return []tls.CurveID{tls.CurveP521}
	case "X25519":
		return []tls.CurveID{tls.X25519}
	}
	curveOnce.Do(func() {
		log.Printf(log.LevelNotice, "inittls: tls_eccurve %q is not a curve Gyrus implements; using the default groups", name)
	})
	return nil
}

// Close releases the sessions database.
func (s *Server) Close() error {
	if s.db != nil {
		return s.db.Close()
	}
	return nil
}

// ReloadCertificates re-reads the certificate and key files now (for a
// SIGHUP handler). Handshakes also pick up changed files by themselves
// within a second. On error the old certificates stay in use.
func (s *Server) ReloadCertificates() error { return s.certs.Reload() }

// SessionTimeout is the effective tls_session_timeout (0: no resumption).
func (s *Server) SessionTimeout() time.Duration { return s.timeout }
