package tlsutil

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"gyrus/lib/log"
)

// certPair is one server certificate: its chain file and its key file
// (the same file when tls_server_key does not name one).
type certPair struct {
	certFile, keyFile string
}

// splitCertFiles reads tls_server_cert and tls_server_key as Cyrus's
// set_cert_stuff does: at most two comma-separated files each (e.g. an RSA
// and an EC certificate); the key defaults to the certificate file, and a
// second certificate without a second key takes its key from its own file.
func splitCertFiles(certs, keys string) []certPair {
	if keys == "" {
		keys = certs
	}
	c1, c2, two := strings.Cut(certs, ",")
	k1, k2, twoKeys := strings.Cut(keys, ",")
	out := []certPair{{c1, k1}}
	if two {
		if !twoKeys {
			k2 = c2
		}
		out = append(out, certPair{c2, k2})
	}
	return out
}

// certStore holds the server certificates and reloads a pair when one of
// its files changes on disk (checked at most every check interval, from
// the handshakes themselves), so that renewed certificates are served
// without restarting anything. A pair that fails to reload keeps serving
// its previous version and the failure is logged.
type certStore struct {
	pairs    []certPair
	secLevel int
	check    time.Duration
	now      func() time.Time

	mu      sync.Mutex
	certs   []*tls.Certificate
	stamps  [][2]fileStamp
	checkAt time.Time
}

func newCertStore(pairs []certPair, secLevel int, check time.Duration, now func() time.Time) (*certStore, error) {
	s := &certStore{pairs: pairs, secLevel: secLevel, check: check, now: now,
		certs: make([]*tls.Certificate, len(pairs)), stamps: make([][2]fileStamp, len(pairs))}
	for i := range pairs {
		if err := s.loadPair(i); err != nil {
			return nil, err
		}
	}
	s.checkAt = now()
	return s, nil
}

// loadPair (re)loads pair i; errors are worded like Cyrus's syslog lines.
func (s *certStore) loadPair(i int) error {
	p := s.pairs[i]
	st := [2]fileStamp{stampOf(p.certFile), stampOf(p.keyFile)}
	certPEM, err := os.ReadFile(p.certFile)
	if err != nil {
		return fmt.Errorf("unable to get certificate from '%s': %w", p.certFile, err)
	}
	keyPEM, err := os.ReadFile(p.keyFile)
	if err != nil {
		return fmt.Errorf("unable to get private key from '%s': %w", p.keyFile, err)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("Private key '%s' does not match public key '%s' (or cannot be read): %w", p.keyFile, p.certFile, err)
	}
	if c.Leaf == nil {
		if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return fmt.Errorf("unable to get certificate from '%s': %w", p.certFile, err)
		}
	}
	if err := checkKeySize(c.Leaf, s.secLevel); err != nil {
		return fmt.Errorf("unable to get certificate from '%s': %w", p.certFile, err)
	}
	s.certs[i] = &c
	s.stamps[i] = st
	return nil
}

// keyBits are OpenSSL's minimum key sizes per security level (RSA, EC).
var keyBits = [6][2]int{{0, 0}, {1024, 160}, {2048, 224}, {3072, 256}, {7680, 384}, {15360, 512}}

// checkKeySize refuses a certificate whose key is too small for the
// security level, as OpenSSL does when the certificate is loaded ("ee key
// too small").
func checkKeySize(leaf *x509.Certificate, level int) error {
	if level < 0 || level >= len(keyBits) {
		return nil
	}
	switch k := leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < keyBits[level][0] {
			return fmt.Errorf("ee key too small (RSA %d bits at security level %d)", k.N.BitLen(), level)
		}
	case *ecdsa.PublicKey:
		if k.Curve.Params().BitSize < keyBits[level][1] {
			return fmt.Errorf("ee key too small (EC %d bits at security level %d)", k.Curve.Params().BitSize, level)
		}
	}
	return nil
}

// maybeReload reloads the pairs whose files changed.
func (s *certStore) maybeReload() {
	now := s.now()
	if d := now.Sub(s.checkAt); d < s.check && d >= 0 {
		return
	}
	s.checkAt = now
	for i, p := range s.pairs {
		if [2]fileStamp{stampOf(p.certFile), stampOf(p.keyFile)} == s.stamps[i] {
			continue
		}
		if err := s.loadPair(i); err != nil {
			// Keep serving the old one; try again at the next change.
			s.stamps[i] = [2]fileStamp{stampOf(p.certFile), stampOf(p.keyFile)}
			log.Printf(log.LevelErr, "TLS server engine: cannot reload cert/key data, keeping the old: %v", err)
			continue
		}
		log.Notice("tls certificate reloaded", "file", p.certFile)
	}
}

// Reload reloads every certificate now, whatever the files' times say.
// On error nothing changes.
func (s *certStore) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	saved := append([]*tls.Certificate(nil), s.certs...)
	savedSt := append([][2]fileStamp(nil), s.stamps...)
	for i := range s.pairs {
		if err := s.loadPair(i); err != nil {
			copy(s.certs, saved)
			copy(s.stamps, savedSt)
			return err
		}
	}
	return nil
}

// get picks the certificate for a handshake: the first non-RSA one the
// client can use (OpenSSL usually ends up on the EC certificate too, as
// clients list ECDSA signature schemes first), else the first usable
// RSA one, else the first (the handshake then fails in crypto/tls).
func (s *certStore) get(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	s.mu.Lock()
	s.maybeReload()
	certs := append([]*tls.Certificate(nil), s.certs...)
	s.mu.Unlock()
	var rsaOK *tls.Certificate
	for _, c := range certs {
		if hello.SupportsCertificate(c) != nil {
			continue
		}
		switch c.Leaf.PublicKey.(type) {
		case *ecdsa.PublicKey, ed25519.PublicKey:
			return c, nil
		}
		if rsaOK == nil {
			rsaOK = c
		}
	}
	if rsaOK != nil {
		return rsaOK, nil
	}
	if len(certs) == 0 {
		return nil, errors.New("no server certificate")
	}
	return certs[0], nil
}
