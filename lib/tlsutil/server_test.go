package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEnabled(t *testing.T) {
	e := newEnv(t)
	if !Enabled(e.config(t, "imap")) {
		t.Error("cert and key set: not enabled")
	}
	for _, kv := range [][2]string{{"tls_server_cert", ""}, {"tls_server_key", ""}, {"tls_server_cert", "disabled"}, {"tls_server_key", "DISABLED"}} {
		c := e.config(t, "imap", kv[0], kv[1])
		if Enabled(c) {
			t.Errorf("%s=%q: enabled", kv[0], kv[1])
		}
		if _, err := NewServer(c, Options{}); !errors.Is(err, ErrNotConfigured) {
			t.Errorf("%s=%q: NewServer err %v", kv[0], kv[1], err)
		}
	}
	// The service prefix wins: imaps gets its own certificate.
	c := e.config(t, "imaps", "tls_server_cert", "disabled", "imaps_tls_server_cert", e.certFile)
	if !Enabled(c) || Enabled(e.config(t, "imap", "tls_server_cert", "disabled", "imaps_tls_server_cert", e.certFile)) {
		t.Error("imaps_tls_server_cert not honoured for ident imaps only")
	}
}

func TestParseVersions(t *testing.T) {
	for _, tc := range []struct {
		in       string
		min, max uint16
		err      bool
	}{
		{"tls1_0 tls1_1 tls1_2 tls1_3", tls.VersionTLS10, tls.VersionTLS13, false},
		{"tls1_2 tls1_3", tls.VersionTLS12, tls.VersionTLS13, false},
		{"tls1_3", tls.VersionTLS13, tls.VersionTLS13, false},
		{"tls1_2", tls.VersionTLS12, tls.VersionTLS12, false},
		{"tls1_1 tls1_3", tls.VersionTLS13, tls.VersionTLS13, false}, // gap: highest run
		{"tls1_0 tls1_2", tls.VersionTLS12, tls.VersionTLS12, false},
		{"xtls1_2y,tls1_1", tls.VersionTLS11, tls.VersionTLS12, false}, // Cyrus uses strstr
		{"", 0, 0, true},
		{"ssl3 tls1.2", 0, 0, true},
	} {
		lo, hi, err := parseVersions(tc.in)
		if (err != nil) != tc.err || lo != tc.min || hi != tc.max {
			t.Errorf("%q: %x..%x %v, want %x..%x err=%v", tc.in, lo, hi, err, tc.min, tc.max, tc.err)
		}
	}
}

func TestSplitCertFiles(t *testing.T) {
	for _, tc := range []struct {
		cert, key string
		want      []certPair
	}{
		{"a.pem", "", []certPair{{"a.pem", "a.pem"}}},
		{"a.pem", "a.key", []certPair{{"a.pem", "a.key"}}},
		{"rsa.pem,ec.pem", "rsa.key,ec.key", []certPair{{"rsa.pem", "rsa.key"}, {"ec.pem", "ec.key"}}},
		{"rsa.pem,ec.pem", "rsa.key", []certPair{{"rsa.pem", "rsa.key"}, {"ec.pem", "ec.pem"}}},
		{"rsa.pem,ec.pem", "", []certPair{{"rsa.pem", "rsa.pem"}, {"ec.pem", "ec.pem"}}},
	} {
		if got := splitCertFiles(tc.cert, tc.key); !slices.Equal(got, tc.want) {
			t.Errorf("%q %q: %v want %v", tc.cert, tc.key, got, tc.want)
		}
	}
}

// TestConfigMapping checks the tls.Config each option combination gives.
func TestConfigMapping(t *testing.T) {
	e := newEnv(t)
	writeFile(t, e.dir, "ca.pem", e.ca.pem)
	caFile := filepath.Join(e.dir, "ca.pem")
	for _, tc := range []struct {
		name     string
		kv       []string
		min, max uint16
		auth     tls.ClientAuthType
		curves   []tls.CurveID
		noTicket bool
		suites   func([]uint16) bool
		err      string
	}{
		{name: "defaults", min: tls.VersionTLS12, max: tls.VersionTLS13, curves: []tls.CurveID{tls.CurveP256},
			suites: func(s []uint16) bool {
				return slices.Contains(s, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384) &&
					slices.Contains(s, tls.TLS_RSA_WITH_AES_128_GCM_SHA256) &&
					!slices.Contains(s, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256)
			}},
		{name: "seclevel0 keeps TLS1.0", kv: []string{"tls_ciphers", "DEFAULT@SECLEVEL=0"}, min: tls.VersionTLS10, max: tls.VersionTLS13, curves: []tls.CurveID{tls.CurveP256}},
		{name: "seclevel0 but versions", kv: []string{"tls_ciphers", "DEFAULT@SECLEVEL=0", "tls_versions", "tls1_1 tls1_2"}, min: tls.VersionTLS11, max: tls.VersionTLS12, curves: []tls.CurveID{tls.CurveP256}},
		{name: "seclevel3 no kRSA", kv: []string{"tls_ciphers", "DEFAULT:@SECLEVEL=3"}, min: tls.VersionTLS12, max: tls.VersionTLS13, curves: []tls.CurveID{tls.CurveP256},
			suites: func(s []uint16) bool { return len(s) > 0 && !slices.Contains(s, tls.TLS_RSA_WITH_AES_128_GCM_SHA256) }},
		{name: "HIGH:!aNULL:!kRSA", kv: []string{"tls_ciphers", "HIGH:!aNULL:!kRSA"}, min: tls.VersionTLS12, max: tls.VersionTLS13, curves: []tls.CurveID{tls.CurveP256},
			suites: func(s []uint16) bool { return len(s) == 10 }},
		{name: "DHE only: TLS1.3 only", kv: []string{"tls_ciphers", "DHE-RSA-AES256-GCM-SHA384"}, min: tls.VersionTLS13, max: tls.VersionTLS13, curves: []tls.CurveID{tls.CurveP256}},
		{name: "DHE only without 1.3", kv: []string{"tls_ciphers", "DHE-RSA-AES256-GCM-SHA384", "tls_versions", "tls1_2"}, err: "no cipher suite"},
		{name: "bad cipher list", kv: []string{"tls_ciphers", "NOSUCHCIPHER"}, err: "cannot load cipher list"},
		{name: "deprecated tls_cipher_list", kv: []string{"tls_cipher_list", "NOSUCHCIPHER"}, err: "cannot load cipher list"},
		{name: "no versions", kv: []string{"tls_versions", "ssl3"}, err: "enables no protocol"},
		{name: "only tls1_0 at seclevel 1", kv: []string{"tls_versions", "tls1_0"}, err: "no protocol version left"},
		{name: "curve X25519", kv: []string{"tls_eccurve", "X25519"}, min: tls.VersionTLS12, max: tls.VersionTLS13, curves: []tls.CurveID{tls.X25519}},
		{name: "curve unknown", kv: []string{"tls_eccurve", "P-256"}, min: tls.VersionTLS12, max: tls.VersionTLS13, curves: nil},
		{name: "timeout 0", kv: []string{"tls_session_timeout", "0"}, min: tls.VersionTLS12, max: tls.VersionTLS13, curves: []tls.CurveID{tls.CurveP256}, noTicket: true},
		{name: "client optional", kv: []string{"tls_client_ca_file", caFile}, min: tls.VersionTLS12, max: tls.VersionTLS13, curves: []tls.CurveID{tls.CurveP256}, auth: tls.RequestClientCert},
		{name: "client require", kv: []string{"tls_client_ca_file", caFile, "tls_client_certs", "require"}, min: tls.VersionTLS12, max: tls.VersionTLS13, curves: []tls.CurveID{tls.CurveP256}, auth: tls.RequireAnyClientCert},
		{name: "client off", kv: []string{"tls_client_ca_file", caFile, "tls_client_certs", "off"}, min: tls.VersionTLS12, max: tls.VersionTLS13, curves: []tls.CurveID{tls.CurveP256}},
		{name: "client require without CA", kv: []string{"tls_client_certs", "require"}, err: "neither tls_client_ca_file"},
		{name: "client CA dir only: not asked", kv: []string{"tls_client_ca_dir", e.dir}, min: tls.VersionTLS12, max: tls.VersionTLS13, curves: []tls.CurveID{tls.CurveP256}},
		{name: "client CA file unreadable: disabled", kv: []string{"tls_client_ca_file", "/nonexistent/ca.pem", "tls_client_certs", "require"}, min: tls.VersionTLS12, max: tls.VersionTLS13, curves: []tls.CurveID{tls.CurveP256}},
		{name: "missing key file", kv: []string{"tls_server_key", "/nonexistent/key.pem"}, err: "unable to get private key"},
		{name: "key mismatch", kv: []string{"tls_server_key", filepath.Join(e.dir, "other.key")}, err: "does not match"},
		{name: "dhparam accepted", kv: []string{"tls_server_dhparam", "/etc/ssl/dh.pem"}, min: tls.VersionTLS12, max: tls.VersionTLS13, curves: []tls.CurveID{tls.CurveP256}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "key mismatch" {
				_, k, _ := e.ca.issue(t, "other", "ec", false)
				writeFile(t, e.dir, "other.key", k)
			}
			s, err := NewServer(e.config(t, "imap", tc.kv...), Options{})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			c := s.tmpl
			if c.MinVersion != tc.min || c.MaxVersion != tc.max {
				t.Errorf("versions %x..%x want %x..%x", c.MinVersion, c.MaxVersion, tc.min, tc.max)
			}
			if c.ClientAuth != tc.auth {
				t.Errorf("ClientAuth %v want %v", c.ClientAuth, tc.auth)
			}
			if !slices.Equal(c.CurvePreferences, tc.curves) {
				t.Errorf("curves %v want %v", c.CurvePreferences, tc.curves)
			}
			if c.SessionTicketsDisabled != tc.noTicket || (s.ring == nil) != tc.noTicket {
				t.Errorf("tickets disabled=%v ring=%v", c.SessionTicketsDisabled, s.ring != nil)
			}
			if tc.suites != nil && !tc.suites(c.CipherSuites) {
				t.Errorf("suites %v", c.CipherSuites)
			}
		})
	}
	if !strings.Contains(logBuf.String(), "tls_server_dhparam /etc/ssl/dh.pem not used") {
		t.Error("dhparam not logged")
	}
	if !strings.Contains(logBuf.String(), "TLS server engine: cannot load cipher list 'NOSUCHCIPHER'") {
		t.Error("bad cipher list not logged in Cyrus's words")
	}
}

func TestSessionTimeoutClamp(t *testing.T) {
	e := newEnv(t)
	if s := e.server(t, "imap", Options{}, "tls_session_timeout", "48h"); s.SessionTimeout() != 24*time.Hour {
		t.Errorf("48h -> %v", s.SessionTimeout())
	}
	if s := e.server(t, "imap", Options{}, "tls_session_timeout", "30"); s.SessionTimeout() != 30*time.Minute {
		t.Errorf("bare 30 -> %v", s.SessionTimeout())
	}
	e2 := newEnv(t)
	e2.server(t, "imap", Options{}, "tls_session_timeout", "0")
	if _, err := os.Stat(filepath.Join(e2.dir, "tls_sessions.db")); err == nil {
		t.Error("timeout 0 still created tls_sessions.db")
	}
}

var logLineRE = regexp.MustCompile(`starttls: TLSv1\.[23] with cipher \S+ \((128|256)/(128|256) bits (new|reused)\) (no authentication|authenticated as \S+)`)

func TestHandshake(t *testing.T) {
	e := newEnv(t)
	s := e.server(t, "imap", Options{})
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		cfg := e.clientConfig()
		cfg.MaxVersion = v
		st, ccs, serr, cerr := dial(t, s, cfg)
		if serr != nil || cerr != nil {
			t.Fatalf("v%x: server %v client %v", v, serr, cerr)
		}
		if st.Conn.Version != v || ccs.Version != v {
			t.Errorf("version %x/%x want %x", st.Conn.Version, ccs.Version, v)
		}
		if !logLineRE.MatchString(st.LogLine()) || !strings.Contains(logBuf.String(), st.LogLine()) {
			t.Errorf("log line %q not logged or malformed", st.LogLine())
		}
		if !regexp.MustCompile(`^version=TLSv1\.[23] cipher=\S+ bits=\d+/\d+ verify=YES$`).MatchString(st.Info()) {
			t.Errorf("Info %q", st.Info())
		}
		if len(st.Exporter) != 32 || len(st.EndPoint) != 32 {
			t.Errorf("bindings exporter=%d endpoint=%d", len(st.Exporter), len(st.EndPoint))
		}
		// The client computes the same bindings.
		ekm, _ := ccs.ExportKeyingMaterial("EXPORTER-Channel-Binding", []byte{}, 32)
		if string(ekm) != string(st.Exporter) {
			t.Error("tls-exporter differs from the client's")
		}
		if string(endPointHash(ccs.PeerCertificates[0])) != string(st.EndPoint) {
			t.Error("tls-server-end-point differs from the client's")
		}
		ss := st.SASL()
		want := "tls-exporter"
		if v == tls.VersionTLS12 {
			want = "tls-unique"
			if string(st.Unique) != string(ccs.TLSUnique) || len(st.Unique) == 0 {
				t.Error("tls-unique missing or different")
			}
		}
		if !ss.TLS || ss.ExternalID != "" || ss.ChannelBinding == nil || ss.ChannelBinding.Type != want {
			t.Errorf("SASL state %+v, want binding %s", ss, want)
		}
	}
	if st, _, serr, _ := dial(t, s, &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "localhost"}); serr == nil || st != nil {
		t.Error("client rejecting our certificate: server handshake did not fail")
	}
}

func TestEccurveRestrictsGroups(t *testing.T) {
	e := newEnv(t)
	s := e.server(t, "imap", Options{}) // tls_eccurve default prime256v1
	cfg := e.clientConfig()
	cfg.CurvePreferences = []tls.CurveID{tls.X25519}
	if _, _, serr, _ := dial(t, s, cfg); serr == nil {
		t.Error("X25519-only client accepted with tls_eccurve prime256v1 (Cyrus refuses it)")
	}
	cfg.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256}
	if _, _, serr, cerr := dial(t, s, cfg); serr != nil || cerr != nil {
		t.Errorf("X25519+P256 client: %v %v", serr, cerr)
	}
}

func TestSecLevelOldVersions(t *testing.T) {
	e := newEnv(t)
	cfg := e.clientConfig()
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
	if _, _, serr, _ := dial(t, e.server(t, "imap", Options{}), cfg); serr == nil {
		t.Error("TLS 1.0 accepted at the default security level")
	}
	st, _, serr, cerr := dial(t, e.server(t, "imap", Options{}, "tls_ciphers", "DEFAULT@SECLEVEL=0"), cfg)
	if serr != nil || cerr != nil || st.Version != "TLSv1" {
		t.Errorf("TLS 1.0 at SECLEVEL=0: %v %v %s", serr, cerr, fmtState(st))
	}
}

func TestSecLevelKeySize(t *testing.T) {
	e := newEnv(t)
	c, k, _ := e.ca.issue(t, "localhost", "rsa1024", false)
	writeFile(t, e.dir, "small.pem", c)
	writeFile(t, e.dir, "small.key", k)
	kv := []string{"tls_server_cert", filepath.Join(e.dir, "small.pem"), "tls_server_key", filepath.Join(e.dir, "small.key")}
	if _, err := NewServer(e.config(t, "imap", kv...), Options{}); err != nil {
		t.Errorf("1024-bit RSA at level 1: %v", err)
	}
	_, err := NewServer(e.config(t, "imap", append(kv, "tls_ciphers", "DEFAULT@SECLEVEL=2")...), Options{})
	if err == nil || !strings.Contains(err.Error(), "ee key too small") {
		t.Errorf("1024-bit RSA at level 2: %v", err)
	}
}

func TestTwoCertificates(t *testing.T) {
	e := newEnv(t)
	rc, rk, rleaf := e.ca.issue(t, "localhost", "rsa", false)
	writeFile(t, e.dir, "rsa.pem", append(rc, rk...)) // key inside the cert file
	s := e.server(t, "imap", Options{}, "tls_server_cert", filepath.Join(e.dir, "rsa.pem")+","+e.certFile,
		"tls_server_key", filepath.Join(e.dir, "rsa.pem")+","+e.keyFile)
	_, ccs, serr, cerr := dial(t, s, e.clientConfig())
	if serr != nil || cerr != nil {
		t.Fatal(serr, cerr)
	}
	if _, isRSA := ccs.PeerCertificates[0].PublicKey.(interface{ Size() int }); isRSA {
		t.Error("default client got the RSA certificate; want EC")
	}
	cfg := e.clientConfig()
	cfg.MaxVersion = tls.VersionTLS12
	cfg.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
	_, ccs, serr, cerr = dial(t, s, cfg)
	if serr != nil || cerr != nil || !ccs.PeerCertificates[0].Equal(rleaf) {
		t.Errorf("RSA-only client: %v %v", serr, cerr)
	}
}

func TestCertificateReload(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	clock := func() time.Time { return now }
	s := e.server(t, "imap", Options{Now: clock, CheckInterval: time.Second})
	_, ccs, _, _ := dial(t, s, e.clientConfig())
	first := ccs.PeerCertificates[0]
	c, k, leaf := e.ca.issue(t, "localhost", "ec", false)
	writeFile(t, e.dir, "server.pem", c)
	writeFile(t, e.dir, "server.key", k)
	_, ccs, _, _ = dial(t, s, e.clientConfig())
	if !ccs.PeerCertificates[0].Equal(first) {
		t.Error("reloaded before the check interval")
	}
	now = now.Add(2 * time.Second)
	_, ccs, _, _ = dial(t, s, e.clientConfig())
	if !ccs.PeerCertificates[0].Equal(leaf) {
		t.Error("new certificate not served after the files changed")
	}
	// A broken new file keeps the current certificate.
	writeFile(t, e.dir, "server.pem", []byte("garbage"))
	now = now.Add(2 * time.Second)
	_, ccs, serr, _ := dial(t, s, e.clientConfig())
	if serr != nil || !ccs.PeerCertificates[0].Equal(leaf) {
		t.Errorf("broken file: %v", serr)
	}
	if err := s.ReloadCertificates(); err == nil {
		t.Error("ReloadCertificates with a broken file succeeded")
	}
	writeFile(t, e.dir, "server.pem", c)
	if err := s.ReloadCertificates(); err != nil {
		t.Error(err)
	}
}
