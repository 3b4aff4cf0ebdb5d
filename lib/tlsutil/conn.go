package tlsutil

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"hash"
	"net"
	"strings"
	"time"

	"gyrus/lib/log"
	"gyrus/lib/sasl"
)

// State is what a service needs to know about a TLS connection once the
// handshake is done.
type State struct {
	Version string // OpenSSL's protocol name: "TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1"
	Cipher  string // OpenSSL's cipher suite name, e.g. "ECDHE-RSA-AES256-GCM-SHA384"
	Bits    int    // symmetric key bits used (Cyrus's SASL SSF)
	AlgBits int    // key bits of the algorithm
	Resumed bool   // the session was resumed from a ticket
	ALPN    string // negotiated application protocol, if any

	// PeerCert is the client's certificate, verified against the client
	// CAs (nil when none was sent); PeerCN is its first commonName, the
	// identity for SASL EXTERNAL.
	PeerCert *x509.Certificate
	PeerCN   string

	// Channel bindings. Exporter is tls-exporter (RFC 9266), set for TLS
	// 1.3 and for TLS 1.2 with extended master secret; Unique is
	// tls-unique (RFC 5929 §3), TLS <= 1.2 only; EndPoint is
	// tls-server-end-point (RFC 5929 §4), the hash of our certificate,
	// nil when RFC 5929 leaves it undefined (e.g. Ed25519).
	Exporter []byte
	Unique   []byte
	EndPoint []byte

	Conn tls.ConnectionState
}

// ChannelBinding returns the binding of the given type, or nil.
func (st *State) ChannelBinding(typ string) *sasl.ChannelBinding {
	var d []byte
	switch typ {
	case "tls-exporter":
		d = st.Exporter
	case "tls-unique":
		d = st.Unique
	case "tls-server-end-point":
		d = st.EndPoint
	}
	if d == nil {
		return nil
	}
	return &sasl.ChannelBinding{Type: typ, Data: d}
}

// SASL is the connection as lib/sasl sees it. The channel binding offered
// to SCRAM-PLUS is tls-exporter on TLS 1.3 (RFC 9266 makes it the
// default there), tls-unique on older versions (what Cyrus 3.6 offers),
// then whatever else exists.
func (st *State) SASL() sasl.ConnState {
	cs := sasl.ConnState{TLS: true, ExternalID: st.PeerCN}
	order := []string{"tls-unique", "tls-exporter", "tls-server-end-point"}
	if st.Conn.Version >= tls.VersionTLS13 {
		order = []string{"tls-exporter", "tls-server-end-point"}
	}
	for _, typ := range order {
		if cb := st.ChannelBinding(typ); cb != nil {
			cs.ChannelBinding = cb
			break
		}
	}
	return cs
}

// LogLine is Cyrus's NOTICE line for a finished handshake, e.g.
// "starttls: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits new) no authentication".
func (st *State) LogLine() string {
	var b strings.Builder
	reuse := "new"
	if st.Resumed {
		reuse = "reused"
	}
	fmt.Fprintf(&b, "starttls: %s with cipher %s (%d/%d bits %s) ", st.Version, st.Cipher, st.Bits, st.AlgBits, reuse)
	if st.PeerCN != "" {
		fmt.Fprintf(&b, "authenticated as %s", st.PeerCN)
	} else {
		b.WriteString("no authentication")
	}
	if st.ALPN != "" {
		fmt.Fprintf(&b, "; application protocol = %s", st.ALPN)
	}
	return b.String()
}

// Info is Cyrus's tls_get_info() text: "version=TLSv1.3
// cipher=TLS_AES_256_GCM_SHA384 bits=256/256 verify=YES". verify is YES
// whenever the handshake succeeded: a certificate that does not verify
// fails it, and no certificate counts as OK, as in OpenSSL.
func (st *State) Info() string {
	return fmt.Sprintf("version=%s cipher=%s bits=%d/%d verify=YES", st.Version, st.Cipher, st.Bits, st.AlgBits)
}

// versionName is OpenSSL's SSL_get_version text.
func versionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return fmt.Sprintf("unknown(0x%04x)", v)
}

// suiteInfo gives OpenSSL's name and strength bits of a suite.
func suiteInfo(id uint16) (string, int) {
	switch id {
	case tls.TLS_AES_128_GCM_SHA256:
		return "TLS_AES_128_GCM_SHA256", 128
	case tls.TLS_AES_256_GCM_SHA384:
		return "TLS_AES_256_GCM_SHA384", 256
	case tls.TLS_CHACHA20_POLY1305_SHA256:
		return "TLS_CHACHA20_POLY1305_SHA256", 256
	}
	if i, ok := suiteByID[id]; ok {
		return osslSuites[i].Name, osslSuites[i].Bits
	}
	return tls.CipherSuiteName(id), 0
}

// endPointHash is tls-server-end-point's hash of a certificate (RFC 5929
// §4.1): the hash of its signature algorithm, SHA-256 for MD5 and SHA-1,
// nil when the algorithm has no single hash.
func endPointHash(c *x509.Certificate) []byte {
	var h hash.Hash
	switch c.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1,
		x509.SHA256WithRSA, x509.DSAWithSHA256, x509.ECDSAWithSHA256, x509.SHA256WithRSAPSS:
		h = sha256.New()
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h = sha512.New384()
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h = sha512.New()
	default:
		return nil
	}
	h.Write(c.Raw)
	return h.Sum(nil)
}

// extraEndPoint tags the SessionState.Extra entry that carries the
// tls-server-end-point hash of the session's certificate, so that a
// resumed session (which sends no certificate) still knows it.
const extraEndPoint = "gyrus-cbep1:"

// connInfo is what the per-connection callbacks learn during a handshake.
type connInfo struct {
	endPoint []byte
}

// connConfig is the template with the callbacks bound to one connection.
func (s *Server) connConfig(ci *connInfo) *tls.Config {
	cfg := s.tmpl.Clone()
	cfg.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		c, err := s.certs.get(hello)
		if err == nil && c.Leaf != nil {
			ci.endPoint = endPointHash(c.Leaf)
		}
		return c, err
	}
	if s.auth.mode != tls.NoClientCert {
		cfg.VerifyConnection = s.auth.verify
	}
	if s.ring != nil {
		cfg.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
			extra := ss.Extra[:0:0]
			for _, e := range ss.Extra {
				if !strings.HasPrefix(string(e), extraEndPoint) {
					extra = append(extra, e)
				}
			}
			if ci.endPoint != nil {
				extra = append(extra, append([]byte(extraEndPoint), ci.endPoint...))
			}
			ss.Extra = extra
			state, err := ss.Bytes()
			if err != nil {
				return nil, err
			}
			return s.ring.sealTicket(s.ident, s.now(), state)
		}
		cfg.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
			state, err := s.ring.openTicket(s.ident, identity, s.now())
			if err != nil {
				return nil, nil // not ours, too old, or from another service: full handshake
			}
			ss, err := tls.ParseSessionState(state)
			if err != nil {
				return nil, nil
			}
			ci.endPoint = nil
			for _, e := range ss.Extra {
				if ep, ok := strings.CutPrefix(string(e), extraEndPoint); ok {
					ci.endPoint = []byte(ep)
				}
			}
			return ss, nil
		}
	}
	return cfg
}

// Handshake runs the server side of a TLS handshake on conn: right after
// accept for implicit TLS (imapd -s, pop3d -s), or after the "OK Begin
// TLS negotiation now" of STARTTLS, with nothing left unread in the
// caller's buffers. ctx bounds the handshake (Cyrus allows 180 s for
// imaps and the service's idle timeout for STARTTLS). On success it logs
// Cyrus's "starttls: ..." line at NOTICE and returns the TLS connection,
// which the caller reads and writes from then on.
func (s *Server) Handshake(ctx context.Context, conn net.Conn) (*tls.Conn, *State, error) {
	ci := &connInfo{}
	tc := tls.Server(conn, s.connConfig(ci))
	if err := tc.HandshakeContext(ctx); err != nil {
		log.Debug("SSL_accept() failed -> fail", "error", err.Error())
		return nil, nil, fmt.Errorf("TLS handshake: %w", err)
	}
	st := s.stateOf(tc, ci)
	log.Printf(log.LevelNotice, "%s", st.LogLine())
	return tc, st, nil
}

func (s *Server) stateOf(tc *tls.Conn, ci *connInfo) *State {
	cs := tc.ConnectionState()
	st := &State{Version: versionName(cs.Version), Resumed: cs.DidResume, ALPN: cs.NegotiatedProtocol,
		Unique: cs.TLSUnique, EndPoint: ci.endPoint, Conn: cs}
	st.Cipher, st.Bits = suiteInfo(cs.CipherSuite)
	st.AlgBits = st.Bits
	if len(cs.PeerCertificates) > 0 {
		st.PeerCert = cs.PeerCertificates[0]
		st.PeerCN = firstCN(st.PeerCert)
	}
	if ekm, err := cs.ExportKeyingMaterial("EXPORTER-Channel-Binding", []byte{}, 32); err == nil {
		st.Exporter = ekm
	}
	return st
}

// HandshakeTimeout is how long Cyrus gives an implicit-TLS client (imaps,
// pop3s) to finish its handshake.
const HandshakeTimeout = 180 * time.Second
