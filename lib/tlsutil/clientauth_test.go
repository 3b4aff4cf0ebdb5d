package tlsutil

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// clientCert makes a client certificate of ca for cn.
func clientCert(t *testing.T, ca *pki, cn string) (tls.Certificate, []byte) {
	t.Helper()
	c, k, leaf := ca.issue(t, cn, "ec", true)
	pair, err := tls.X509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	return pair, leaf.SerialNumber.Bytes()
}

func TestClientCertificates(t *testing.T) {
	e := newEnv(t)
	caFile := writeFile(t, e.dir, "clientca.pem", e.ca.pem)
	good, _ := clientCert(t, e.ca, "alice")
	stranger, _ := clientCert(t, newCA(t, "Other CA"), "mallory")
	for _, tc := range []struct {
		mode   string
		cert   *tls.Certificate
		ok     bool
		wantID string
	}{
		{"off", &good, true, ""}, // not asked: the client sends nothing
		{"optional", nil, true, ""},
		{"optional", &good, true, "alice"},
		{"optional", &stranger, false, ""}, // sent but does not verify
		{"require", nil, false, ""},
		{"require", &good, true, "alice"},
		{"require", &stranger, false, ""},
	} {
		name := tc.mode + "/none"
		if tc.cert != nil {
			name = tc.mode + "/" + tc.cert.Leaf.Subject.CommonName
		}
		t.Run(name, func(t *testing.T) {
			s := e.server(t, "imap", Options{}, "tls_client_ca_file", caFile, "tls_client_certs", tc.mode)
			cfg := e.clientConfig()
			if tc.cert != nil {
				// Send it even when its CA is not in the request (Go's
				// client would otherwise keep quiet).
				cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return tc.cert, nil }
			}
			st, _, serr, _ := dial(t, s, cfg)
			if (serr == nil) != tc.ok {
				t.Fatalf("server error %v, want ok=%v", serr, tc.ok)
			}
			if serr != nil {
				return
			}
			if st.PeerCN != tc.wantID || st.SASL().ExternalID != tc.wantID {
				t.Errorf("identity %q / %q, want %q", st.PeerCN, st.SASL().ExternalID, tc.wantID)
			}
			if tc.wantID != "" && !strings.HasSuffix(st.LogLine(), "authenticated as "+tc.wantID) {
				t.Errorf("log line %q", st.LogLine())
			}
		})
	}
	if !strings.Contains(logBuf.String(), "verify error:num=20:unable to get local issuer certificate") {
		t.Error("failed verification not logged with OpenSSL's words")
	}
}

func TestClientCertResumedKeepsIdentity(t *testing.T) {
	e := newEnv(t)
	caFile := writeFile(t, e.dir, "clientca.pem", e.ca.pem)
	good, _ := clientCert(t, e.ca, "alice")
	s := e.server(t, "imap", Options{}, "tls_client_ca_file", caFile)
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		cfg := e.clientConfig()
		cfg.MaxVersion = v
		cfg.Certificates = []tls.Certificate{good}
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		first, _, err, _ := dial(t, s, cfg)
		if err != nil {
			t.Fatal(err)
		}
		st, ccs, err, _ := dial(t, s, cfg)
		if err != nil || !ccs.DidResume || !st.Resumed {
			t.Fatalf("v%x: not resumed: %v", v, err)
		}
		if st.PeerCN != "alice" {
			t.Errorf("v%x: resumed session lost the client identity: %q", v, st.PeerCN)
		}
		if string(st.EndPoint) != string(first.EndPoint) || len(st.EndPoint) == 0 {
			t.Errorf("v%x: resumed session lost tls-server-end-point", v)
		}
	}
}

func TestCRL(t *testing.T) {
	e := newEnv(t)
	caFile := writeFile(t, e.dir, "clientca.pem", e.ca.pem)
	good, _ := clientCert(t, e.ca, "alice")
	revoked, _ := clientCert(t, e.ca, "bob")
	crlFile := filepath.Join(e.dir, "crl.pem")
	now := time.Now()
	clock := func() time.Time { return now }
	s := e.server(t, "imap", Options{Now: clock}, "tls_client_ca_file", caFile, "tls_crl_file", crlFile)
	try := func(c tls.Certificate) error {
		cfg := e.clientConfig()
		cfg.Certificates = []tls.Certificate{c}
		_, _, err, _ := dial(t, s, cfg)
		return err
	}
	// Unreadable CRL file: checking is off.
	if err := try(good); err != nil {
		t.Errorf("no CRL file: %v", err)
	}
	if !strings.Contains(logBuf.String(), "Can't load CRL file "+crlFile+".") {
		t.Error("missing CRL file not logged")
	}
	writeFile(t, e.dir, "crl.pem", e.ca.crl(t, now.Add(time.Hour), revoked.Leaf.SerialNumber))
	now = now.Add(2 * time.Second) // past the check interval: the new file is read
	if err := try(good); err != nil {
		t.Errorf("good certificate with CRL: %v", err)
	}
	if err := try(revoked); err == nil {
		t.Error("revoked certificate accepted")
	}
	if !strings.Contains(logBuf.String(), "verify error:num=23:certificate revoked") {
		t.Error("revocation not logged")
	}
	// A CRL from another CA does not cover ours: OpenSSL fails with
	// "unable to get certificate CRL".
	writeFile(t, e.dir, "crl.pem", newCA(t, "Other").crl(t, now.Add(time.Hour)))
	now = now.Add(2 * time.Second)
	if err := try(good); err == nil {
		t.Error("accepted without a CRL of its issuer")
	}
	// An expired CRL fails too.
	os.Remove(crlFile)
	writeFile(t, e.dir, "crl.pem", e.ca.crl(t, now.Add(-time.Minute)))
	now = now.Add(2 * time.Second)
	if err := try(good); err == nil || !strings.Contains(logBuf.String(), "num=12:CRL has expired") {
		t.Errorf("expired CRL: %v", err)
	}
}

func TestFirstCN(t *testing.T) {
	ca := newCA(t, "CA")
	_, _, leaf := ca.issue(t, "carol", "ec", true)
	if got := firstCN(leaf); got != "carol" {
		t.Errorf("firstCN %q", got)
	}
}
