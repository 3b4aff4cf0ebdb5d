package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"gyrus/lib/config"
	"gyrus/lib/log"
)

// clientAuth is tls_client_certs with its CA and CRL files, as Cyrus's
// tls_init_serverengine sets them up:
//
//   - off: no certificate is asked for.
//   - optional/require need tls_client_ca_file or tls_client_ca_dir; without
//     either, "require" is fatal and "optional" asks for nothing.
//   - The trust store is the CA file, the CA directory and the system's
//     default CA paths (SSL_CTX_set_default_verify_paths): a client
//     certificate from any CA the system trusts verifies, as in Cyrus.
//   - The CertificateRequest names only the CAs of tls_client_ca_file
//     (SSL_load_client_CA_file); with no CA there (e.g. only a directory)
//     Cyrus asks for no certificate at all, and so do we.
//   - A certificate the client sends must verify, even with "optional",
//     else the handshake fails (SSL_VERIFY_PEER).
type clientAuth struct {
	mode  tls.ClientAuthType
	names *x509.CertPool // advertised CAs (tls_client_ca_file)
	roots *x509.CertPool // trust store
	crl   *crlStore      // nil: no revocation checking
	now   func() time.Time
}

func newClientAuth(c *config.Config, now func() time.Time, check time.Duration) (*clientAuth, error) {
	a := &clientAuth{mode: tls.NoClientCert, now: now}
	setting := c.TlsClientCerts()
	if setting == config.TlsClientCertsOff {
		return a, nil
	}
	file, dir := c.TlsClientCaFile(), c.TlsClientCaDir()
	if file == "" && dir == "" {
		log.Debug("TLS server engine: No client CA data configured.")
		if setting == config.TlsClientCertsRequire {
			return nil, errors.New("tls_client_certs: require, but neither tls_client_ca_file nor tls_client_ca_dir is set")
		}
		return a, nil
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	var names *x509.CertPool
	if file != "" {
		certs, err := readPEMCerts(file)
		if err != nil || len(certs) == 0 {
			log.Printf(log.LevelWarning, "TLS server engine: Failed loading client CA data, cert auth disabled.")
			return a, nil
		}
		names = x509.NewCertPool()
		for _, ca := range certs {
			roots.AddCert(ca)
			names.AddCert(ca)
		}
	}
	if dir != "" {
		// OpenSSL looks certificates up by subject hash (<hash>.<n>
		// files); we read every PEM certificate in the directory.
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if !e.Type().IsRegular() && e.Type()&os.ModeSymlink == 0 {
				continue
			}
			certs, _ := readPEMCerts(filepath.Join(dir, e.Name()))
			for _, ca := range certs {
				roots.AddCert(ca)
			}
		}
	}
	if names == nil {
		log.Printf(log.LevelErr, "TLS server engine: No client CA certs specified. Client side certs may not work")
		return a, nil
	}
	a.names, a.roots = names, roots
	a.mode = tls.RequestClientCert
	if setting == config.TlsClientCertsRequire {
		a.mode = tls.RequireAnyClientCert
	}
	log.Debug(fmt.Sprintf("Set client CA list: Client cert requested, %srequired",
		map[bool]string{true: "", false: "not "}[setting == config.TlsClientCertsRequire]))
	if f := c.TlsCrlFile(); f != "" {
		a.crl = newCRLStore(f, check, now)
	}
	return a, nil
}

// readPEMCerts reads the CERTIFICATE blocks of a PEM file.
func readPEMCerts(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out, nil
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(b.Bytes); err == nil {
			out = append(out, c)
		}
	}
}

// verify checks the client's certificate on every handshake, resumed
// ones included (crypto/tls calls VerifyConnection for both), so a
// certificate revoked or expired since the first handshake stops working.
func (a *clientAuth) verify(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return nil // "require" is enforced by crypto/tls itself
	}
	log.Debug("Doing a peer verify")
	leaf := cs.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	now := a.now()
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: a.roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return verifyError(leaf, err, now)
	}
	if a.crl == nil {
		return nil
	}
	crls, active := a.crl.get()
	if !active {
		return nil
	}
	var last error
	for _, ch := range chains {
		if last = checkRevocation(ch, crls, now); last == nil {
			return nil
		}
	}
	return last
}

// verifyError logs a failed verification with OpenSSL's error number and
// text, as Cyrus's verify_callback does, and returns it.
func verifyError(leaf *x509.Certificate, err error, now time.Time) error {
	num, text, notice := 20, "unable to get local issuer certificate", ""
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) {
		switch inv.Reason {
		case x509.Expired:
			num, text, notice = 10, "certificate has expired", "cert has expired"
			if leaf.NotBefore.After(now) {
				num, text, notice = 9, "certificate is not yet valid", "cert not yet valid"
			}
		case x509.IncompatibleUsage:
			num, text = 26, "unsupported certificate purpose"
		default:
			num, text = 7, "certificate signature failure"
		}
	}
	return logVerify(num, text, notice, err)
}

func logVerify(num int, text, notice string, cause error) error {
	log.Printf(log.LevelErr, "verify error:num=%d:%s", num, text)
	if notice != "" {
		log.Printf(log.LevelNotice, "%s", notice)
	}
	return fmt.Errorf("client certificate: %s: %w", text, cause)
}

// checkRevocation applies tls_crl_file to one verified chain the way
// OpenSSL's X509_V_FLAG_CRL_CHECK|X509_V_FLAG_CRL_CHECK_ALL does: every
// certificate of the chain, the root included, needs a current CRL from
// its issuer, and must not be listed in it.
func checkRevocation(chain []*x509.Certificate, crls []*x509.RevocationList, now time.Time) error {
	for i, c := range chain {
		issuer := c
		if i+1 < len(chain) {
			issuer = chain[i+1]
		}
		var found *x509.RevocationList
		expired := false
		for _, l := range crls {
			if string(l.RawIssuer) != string(issuer.RawSubject) || l.CheckSignatureFrom(issuer) != nil {
				continue
			}
			if l.ThisUpdate.After(now) || (!l.NextUpdate.IsZero() && l.NextUpdate.Before(now)) {
				expired = true
				continue
			}
			found = l
			break
		}
		if found == nil {
			if expired {
				return logVerify(12, "CRL has expired", "", errors.New("no current CRL"))
			}
			return logVerify(3, "unable to get certificate CRL", "", fmt.Errorf("no CRL for %s", c.Subject))
		}
		for _, e := range found.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(c.SerialNumber) == 0 {
				return logVerify(23, "certificate revoked", "cert has been revoked",
					fmt.Errorf("%s serial %s", c.Subject, c.SerialNumber))
			}
		}
	}
	return nil
}

// crlStore is tls_crl_file, re-read when the file changes. Cyrus reads it
// once at start; a file that cannot be opened turns revocation checking
// off ("Can't load CRL file"), while a file without any CRL in it makes
// every client certificate fail, as in OpenSSL.
type crlStore struct {
	path  string
	check time.Duration
	now   func() time.Time

	mu      sync.Mutex
	crls    []*x509.RevocationList
	active  bool
	stamp   fileStamp
	checkAt time.Time
	loaded  bool
}

func newCRLStore(path string, check time.Duration, now func() time.Time) *crlStore {
	s := &crlStore{path: path, check: check, now: now}
	s.mu.Lock()
	s.load()
	s.mu.Unlock()
	return s
}

func (s *crlStore) load() {
	s.stamp = stampOf(s.path)
	s.checkAt = s.now()
	data, err := os.ReadFile(s.path)
	if err != nil {
		if !s.loaded || s.active {
			log.Printf(log.LevelErr, "Can't load CRL file %s.", s.path)
		}
		s.crls, s.active, s.loaded = nil, false, true
		return
	}
	var crls []*x509.RevocationList
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "X509 CRL" {
			continue
		}
		if l, err := x509.ParseRevocationList(b.Bytes); err == nil {
			crls = append(crls, l)
		}
	}
	s.crls, s.active, s.loaded = crls, true, true
}

func (s *crlStore) get() ([]*x509.RevocationList, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.now().Sub(s.checkAt); d >= s.check || d < 0 {
		s.checkAt = s.now()
		if stampOf(s.path) != s.stamp {
			s.load()
		}
	}
	return s.crls, s.active
}

var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

// firstCN is the first commonName of a certificate's subject, the
// identity Cyrus hands to SASL EXTERNAL (X509_NAME_get_text_by_NID takes
// the first one; Go's Subject.CommonName would be the last).
func firstCN(c *x509.Certificate) string {
	for _, n := range c.Subject.Names {
		if n.Type.Equal(oidCommonName) {
			if s, ok := n.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}
