package sasl

import "context"

// Login checks a password given outside SASL: IMAP LOGIN (RFC 9051
// 6.2.3), POP3 USER/PASS (RFC 1939), the way Cyrus does it with
// sasl_checkpass: the id is canonicalized, the password checked by the
// configured methods, and the id authorized as itself (Authorize sees
// authcid == authzid, where Cyrus checks userdeny). Without TLS it is
// refused with CodeEncrypt unless AllowPlaintext is set (Cyrus then
// advertises LOGINDISABLED; the caller words the refusal).
func (s *Server) Login(ctx context.Context, st ConnState, user string, password []byte) (Outcome, error) {
	if !st.TLS && !s.AllowPlaintext {
		return Outcome{}, errf(CodeEncrypt, "plaintext login without TLS")
	}
	x := &Exchange{srv: s, st: st}
	x.out.Plaintext = true
	if err := x.checkPassword(ctx, user, password); err != nil {
		return Outcome{}, err
	}
	if err := x.authorize(ctx, ""); err != nil {
		return Outcome{}, err
	}
	return x.out, nil
}
