package sasl

import "context"

// EXTERNAL, RFC 4422 appendix A: the identity comes from outside SASL
// (the TLS client certificate the caller verified, ConnState.ExternalID);
// the client's message is an optional authorization id.
func startExternal(x *Exchange) step {
	first := true
	return func(ctx context.Context, x *Exchange, resp []byte) ([]byte, bool, error) {
		if resp == nil && first {
			first = false
			return []byte{}, false, nil
		}
		id, err := x.canon(x.st.ExternalID)
		if err != nil {
			return nil, true, err
		}
		x.out.AuthID = id
		if err := x.authorize(ctx, string(resp)); err != nil {
			return nil, true, err
		}
		return nil, true, nil
	}
}
