package sasl

import "context"

// LOGIN (draft-murchison-sasl-login-00): the server asks "Username:"
// and "Password:" (in IMAP: "+ VXNlcm5hbWU6", "+ UGFzc3dvcmQ6", checked
// against Cyrus 3.6.1). A non-empty initial response is the user name.
// Like Cyrus SASL, each answer is limited to 1024 bytes.
const (
	loginUserPrompt = "Username:"
	loginPassPrompt = "Password:"
	loginMaxField   = 1024
)

func startLogin(x *Exchange) step {
	state := 1
	var user string
	return func(ctx context.Context, x *Exchange, resp []byte) ([]byte, bool, error) {
		switch state {
		case 1:
			state = 2
			if len(resp) == 0 {
				return []byte(loginUserPrompt), false, nil
			}
			fallthrough
		case 2:
			if len(resp) > loginMaxField {
				return nil, true, errf(CodeBadProt, "user name longer than 1024 bytes")
			}
			user = string(resp)
			state = 3
			return []byte(loginPassPrompt), false, nil
		default:
			if len(resp) > loginMaxField {
				return nil, true, errf(CodeBadProt, "password longer than 1024 bytes")
			}
			if err := x.checkPassword(ctx, user, resp); err != nil {
				return nil, true, err
			}
			if err := x.authorize(ctx, ""); err != nil {
				return nil, true, err
			}
			return nil, true, nil
		}
	}
}
