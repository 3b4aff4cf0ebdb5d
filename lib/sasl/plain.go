package sasl

import (
	"bytes"
	"context"
)

// PLAIN, RFC 4616: one message "authzid NUL authcid NUL passwd". Like
// Cyrus SASL's plugin, the password is checked against the canonical
// authcid first, then the authzid is authorized.
func startPlain(x *Exchange) step {
	first := true
	return func(ctx context.Context, x *Exchange, resp []byte) ([]byte, bool, error) {
		if resp == nil && first {
			first = false
			return []byte{}, false, nil // no initial response: empty challenge
		}
		authzid, authcid, password, err := ParsePlain(resp)
		if err != nil {
			return nil, true, err
		}
		if err := x.checkPassword(ctx, authcid, password); err != nil {
			return nil, true, err
		}
		if err := x.authorize(ctx, authzid); err != nil {
			return nil, true, err
		}
		return nil, true, nil
	}
}

// ParsePlain splits a PLAIN message into its three fields.
func ParsePlain(msg []byte) (authzid, authcid string, password []byte, err error) {
	f := bytes.Split(msg, []byte{0})
	switch {
	case len(f) < 3:
		return "", "", nil, errf(CodeBadProt, "message has no password field")
	case len(f) > 3:
		return "", "", nil, errf(CodeBadProt, "message has more than three fields")
	case len(f[1]) == 0:
		return "", "", nil, errf(CodeBadProt, "empty authentication id")
	}
	return string(f[0]), string(f[1]), f[2], nil
}
