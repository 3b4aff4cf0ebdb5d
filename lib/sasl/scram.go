package sasl

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"

	"gyrus/lib/sasl/store"
)

// SCRAM, RFC 5802 (SHA-1) and RFC 7677 (SHA-256), with channel binding
// for the -PLUS variants (RFC 5802 section 6; RFC 9266 tls-exporter).
// Not done: SASLprep of user names and passwords (RFC 4013); ids and
// passwords are used as the UTF-8 bytes the client sent, as Cyrus SASL
// 2.1.28 does.

const (
	scramMaxMessage = 4096 // far above any legitimate client message
	nonceBytes      = 18
)

type scramState struct {
	gs2Header       string // "n,," / "y,,a=x," / "p=tls-exporter,,"
	clientFirstBare string
	serverFirst     string
	nonce           string // client nonce + server nonce
	secret          store.Secret
	found           bool
	authzid         string
}

var b64 = base64.StdEncoding

func (s *Server) newNonce() string {
	if s.nonce != nil {
		return s.nonce()
	}
	b := make([]byte, nonceBytes)
	if _, err := rand.Read(b); err != nil {
		panic("sasl: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return base64.RawStdEncoding.EncodeToString(b)
}

func startScram(x *Exchange) step {
	st := &scramState{}
	x.private = st
	state := 0
	return func(ctx context.Context, x *Exchange, resp []byte) ([]byte, bool, error) {
		if len(resp) > scramMaxMessage {
			return nil, true, errf(CodeBadProt, "SCRAM message too long")
		}
		switch state {
		case 0:
			if resp == nil {
				state = 1
				return []byte{}, false, nil // client-first comes next
			}
			fallthrough
		case 1:
			state = 2
			out, err := x.scramClientFirst(st, string(resp))
			return out, false, err
		case 2:
			state = 3
			out, err := x.scramClientFinal(ctx, st, string(resp))
			return out, err == nil, err
		}
		return nil, true, errf(CodeBadProt, "unexpected SCRAM step")
	}
}

// ClientFirst is a parsed SCRAM client-first-message (RFC 5802 7).
type ClientFirst struct {
	CBFlag   byte   // 'n', 'y' or 'p'
	CBName   string // with 'p'
	Authzid  string // decoded saslname
	Username string // decoded saslname
	Nonce    string
	Bare     string // client-first-message-bare
	GS2      string // gs2-header, as sent
}

// ParseClientFirst parses a client-first-message.
func ParseClientFirst(msg string) (ClientFirst, error) {
	var cf ClientFirst
	flag, rest, ok := strings.Cut(msg, ",")
	if !ok {
		return cf, errf(CodeBadProt, "SCRAM: no gs2 header")
	}
	switch {
	case flag == "n" || flag == "y":
		cf.CBFlag = flag[0]
	case strings.HasPrefix(flag, "p=") && len(flag) > 2 && validCBName(flag[2:]):
		cf.CBFlag, cf.CBName = 'p', flag[2:]
	default:
		return cf, errf(CodeBadProt, "SCRAM: bad channel binding flag")
	}
	az, bare, ok := strings.Cut(rest, ",")
	if !ok {
		return cf, errf(CodeBadProt, "SCRAM: no authzid field")
	}
	if az != "" {
		if !strings.HasPrefix(az, "a=") {
			return cf, errf(CodeBadProt, "SCRAM: bad authzid field")
		}
		v, err := decodeSaslname(az[2:])
		if err != nil || v == "" {
			return cf, errf(CodeBadProt, "SCRAM: bad authzid")
		}
		cf.Authzid = v
	}
	cf.GS2 = msg[:len(msg)-len(bare)]
	cf.Bare = bare
	f := strings.Split(bare, ",")
	if len(f) < 2 {
		return cf, errf(CodeBadProt, "SCRAM: short client-first-message")
	}
	if strings.HasPrefix(f[0], "m=") {
		return cf, errf(CodeBadProt, "SCRAM: mandatory extension not supported")
	}
	if !strings.HasPrefix(f[0], "n=") {
		return cf, errf(CodeBadProt, "SCRAM: no username")
	}
	u, err := decodeSaslname(f[0][2:])
	if err != nil || u == "" {
		return cf, errf(CodeBadProt, "SCRAM: bad username")
	}
	cf.Username = u
	if !strings.HasPrefix(f[1], "r=") || !validNonce(f[1][2:]) {
		return cf, errf(CodeBadProt, "SCRAM: bad nonce")
	}
	cf.Nonce = f[1][2:]
	for _, ext := range f[2:] {
		if len(ext) < 2 || ext[1] != '=' {
			return cf, errf(CodeBadProt, "SCRAM: bad extension")
		}
	}
	return cf, nil
}

func validCBName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func validNonce(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e || s[i] == ',' {
			return false
		}
	}
	return true
}

// decodeSaslname undoes "=2C" and "=3D" (RFC 5802 5.1); any other '='
// or a ',' is an error.
func decodeSaslname(s string) (string, error) {
	if !strings.ContainsAny(s, "=,") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == ',':
			return "", errf(CodeBadProt, "comma in saslname")
		case s[i] != '=':
			b.WriteByte(s[i])
		case strings.HasPrefix(s[i:], "=2C"):
			b.WriteByte(',')
			i += 2
		case strings.HasPrefix(s[i:], "=3D"):
			b.WriteByte('=')
			i += 2
		default:
			return "", errf(CodeBadProt, "bad escape in saslname")
		}
	}
	return b.String(), nil
}

func (x *Exchange) scramClientFirst(st *scramState, msg string) ([]byte, error) {
	cf, err := ParseClientFirst(msg)
	if err != nil {
		return nil, err
	}
	cb := x.st.ChannelBinding
	switch {
	case x.mech.plus && cf.CBFlag != 'p':
		return nil, errf(CodeBadBinding, "SCRAM -PLUS without channel binding")
	case !x.mech.plus && cf.CBFlag == 'p':
		return nil, errf(CodeBadBinding, "channel binding requested with a non-PLUS mechanism")
	case cf.CBFlag == 'p' && (cb == nil || !strings.EqualFold(cf.CBName, cb.Type)):
		return nil, errf(CodeBadBinding, "unsupported channel binding type")
	case cf.CBFlag == 'y' && x.srv.advertised(x.mech.name+"-PLUS", x.st):
		// The client could bind but thought we could not: a downgrade.
		return nil, errf(CodeBadBinding, "channel binding downgrade")
	}
	id, err := x.canon(cf.Username)
	if err != nil {
		return nil, err
	}
	x.out.AuthID = id
	sec, found, err := x.srv.Backend.ScramSecret(id, x.mech.scheme)
	if err != nil {
		return nil, err
	}
	st.gs2Header, st.clientFirstBare, st.secret, st.found, st.authzid = cf.GS2, cf.Bare, sec, found, cf.Authzid
	st.nonce = cf.Nonce + x.srv.newNonce()
	st.serverFirst = "r=" + st.nonce + ",s=" + b64.EncodeToString(sec.Salt) + ",i=" + strconv.Itoa(sec.Iterations)
	return []byte(st.serverFirst), nil
}

// ClientFinal is a parsed client-final-message.
type ClientFinal struct {
	CBind        []byte // decoded c= (gs2 header + binding data)
	Nonce        string
	Proof        []byte
	WithoutProof string
}

// ParseClientFinal parses a client-final-message (RFC 5802 7).
func ParseClientFinal(msg string) (ClientFinal, error) {
	var cf ClientFinal
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return cf, errf(CodeBadProt, "SCRAM: no proof")
	}
	cf.WithoutProof = msg[:i]
	proof, err := b64.DecodeString(msg[i+3:])
	if err != nil || len(proof) == 0 {
		return cf, errf(CodeBadProt, "SCRAM: bad proof")
	}
	cf.Proof = proof
	f := strings.Split(cf.WithoutProof, ",")
	if len(f) < 2 || !strings.HasPrefix(f[0], "c=") || !strings.HasPrefix(f[1], "r=") {
		return cf, errf(CodeBadProt, "SCRAM: bad client-final-message")
	}
	if cf.CBind, err = b64.DecodeString(f[0][2:]); err != nil {
		return cf, errf(CodeBadProt, "SCRAM: bad channel binding field")
	}
	cf.Nonce = f[1][2:]
	for _, ext := range f[2:] {
		if len(ext) < 2 || ext[1] != '=' {
			return cf, errf(CodeBadProt, "SCRAM: bad extension")
		}
	}
	return cf, nil
}

func (x *Exchange) scramClientFinal(ctx context.Context, st *scramState, msg string) ([]byte, error) {
	cf, err := ParseClientFinal(msg)
	if err != nil {
		return nil, err
	}
	want := []byte(st.gs2Header)
	if st.gs2Header[0] == 'p' {
		want = append(want, x.st.ChannelBinding.Data...)
	}
	if subtle.ConstantTimeCompare(cf.CBind, want) != 1 {
		return nil, errf(CodeBadBinding, "channel binding data mismatch")
	}
	if cf.Nonce != st.nonce {
		return nil, errf(CodeBadProt, "SCRAM: nonce mismatch")
	}
	h := store.HashFor(st.secret.Scheme)
	authMessage := st.clientFirstBare + "," + st.serverFirst + "," + cf.WithoutProof
	sig := hmac.New(h, st.secret.StoredKey)
	sig.Write([]byte(authMessage))
	clientSig := sig.Sum(nil)
	if len(cf.Proof) != len(clientSig) || !st.found {
		return nil, errf(CodeBadAuth, "SCRAM proof does not match")
	}
	clientKey := make([]byte, len(clientSig))
	for i := range clientKey {
		clientKey[i] = cf.Proof[i] ^ clientSig[i]
	}
	d := h()
	d.Write(clientKey)
	if subtle.ConstantTimeCompare(d.Sum(nil), st.secret.StoredKey) != 1 {
		return nil, errf(CodeBadAuth, "SCRAM proof does not match")
	}
	if err := x.authorize(ctx, st.authzid); err != nil {
		return nil, err
	}
	ss := hmac.New(h, st.secret.ServerKey)
	ss.Write([]byte(authMessage))
	return []byte("v=" + b64.EncodeToString(ss.Sum(nil))), nil
}
