package sasl

import (
	"context"
	"strings"

	"gyrus/lib/sasl/store"
)

// Mechanism names.
const (
	MechPlain           = "PLAIN"
	MechLogin           = "LOGIN"
	MechExternal        = "EXTERNAL"
	MechScramSHA1       = "SCRAM-SHA-1"
	MechScramSHA1Plus   = "SCRAM-SHA-1-PLUS"
	MechScramSHA256     = "SCRAM-SHA-256"
	MechScramSHA256Plus = "SCRAM-SHA-256-PLUS"
)

// Backend is what mechanisms need of the password checks;
// *Authenticator implements it.
type Backend interface {
	CheckPassword(ctx context.Context, user string, password []byte) (method string, err error)
	SupportsScram() bool
	ScramSecret(id, scheme string) (sec store.Secret, found bool, err error)
}

// ChannelBinding is the TLS channel binding of a connection (RFC 5929,
// RFC 9266), for the SCRAM -PLUS mechanisms.
type ChannelBinding struct {
	Type string // "tls-exporter", "tls-unique" or "tls-server-end-point"
	Data []byte
}

// ConnState is what the caller knows of the connection.
type ConnState struct {
	TLS            bool            // the connection is protected by TLS
	ChannelBinding *ChannelBinding // nil: no -PLUS mechanisms
	ExternalID     string          // identity from a TLS client certificate; "" = no EXTERNAL
}

// Server runs mechanisms for one service. Set its fields once, then
// share it between connections.
type Server struct {
	Backend Backend
	// MechList is sasl_mech_list (nil = all, in Gyrus's preference order).
	MechList []string
	// AllowPlaintext is allowplaintext: PLAIN and LOGIN without TLS.
	AllowPlaintext bool
	// Canon canonicalizes a login id (Cyrus canonify_userid); an error
	// refuses the id. nil keeps ids as given.
	Canon func(id string) (string, error)
	// Authorize decides whether authcid may act as authzid (called also
	// when they are equal, like Cyrus's proxy policy, which checks
	// userdeny there). nil allows only authzid == authcid.
	Authorize func(ctx context.Context, authcid, authzid string) error

	// nonce returns a fresh SCRAM server nonce (tests fix it).
	nonce func() string
}

// Outcome is the result of a successful exchange.
type Outcome struct {
	Mech      string
	AuthID    string // canonical authenticated id
	User      string // canonical id to act as (= AuthID unless proxying)
	Method    string // password check method that accepted (PLAIN, LOGIN)
	Plaintext bool   // the password crossed the wire (plaintextloginpause)
}

type mechanism struct {
	name      string
	plaintext bool
	plus      bool
	scheme    string // SCRAM secret scheme
}

// start returns the first step of the mechanism (a switch rather than a
// table field: the steps refer back to the table).
func (m *mechanism) start(x *Exchange) step {
	switch {
	case m.scheme != "":
		return startScram(x)
	case m.name == MechPlain:
		return startPlain(x)
	case m.name == MechLogin:
		return startLogin(x)
	}
	return startExternal(x)
}

// step is the per-mechanism state machine; see Exchange.Next.
type step func(ctx context.Context, x *Exchange, response []byte) (challenge []byte, done bool, err error)

// mechanisms in preference order (strongest first), Cyrus SASL style.
var mechanisms = []mechanism{
	{name: MechExternal},
	{name: MechScramSHA256Plus, plus: true, scheme: store.SchemeSHA256},
	{name: MechScramSHA256, scheme: store.SchemeSHA256},
	{name: MechScramSHA1Plus, plus: true, scheme: store.SchemeSHA1},
	{name: MechScramSHA1, scheme: store.SchemeSHA1},
	{name: MechPlain, plaintext: true},
	{name: MechLogin, plaintext: true},
}

func (s *Server) usable(m *mechanism, st ConnState) bool {
	switch {
	case m.plaintext && !st.TLS && !s.AllowPlaintext:
		return false
	case m.name == MechExternal:
		return st.ExternalID != ""
	case m.scheme != "" && (s.Backend == nil || !s.Backend.SupportsScram()):
		return false
	case m.plus:
		return st.ChannelBinding != nil && st.ChannelBinding.Type != ""
	}
	return true
}

func lookupMech(name string) *mechanism {
	for i := range mechanisms {
		if strings.EqualFold(mechanisms[i].name, name) {
			return &mechanisms[i]
		}
	}
	return nil
}

// Mechanisms lists the mechanism names to advertise on a connection:
// sasl_mech_list order when set (unknown names ignored), else Gyrus's.
func (s *Server) Mechanisms(st ConnState) []string {
	var out []string
	seen := map[string]bool{}
	add := func(m *mechanism) {
		if m != nil && !seen[m.name] && s.usable(m, st) {
			seen[m.name] = true
			out = append(out, m.name)
		}
	}
	if len(s.MechList) > 0 {
		for _, n := range s.MechList {
			add(lookupMech(n))
		}
		return out
	}
	for i := range mechanisms {
		add(&mechanisms[i])
	}
	return out
}

func (s *Server) advertised(name string, st ConnState) bool {
	for _, n := range s.Mechanisms(st) {
		if n == name {
			return true
		}
	}
	return false
}

// Exchange is one authentication attempt on one connection. Next is
// called first with the client's initial response (nil when the client
// sent none, empty when it sent an empty one), then with each response.
// It returns the challenge to send; done=true with a nil error means
// success (a non-empty challenge then is "additional data with
// success", e.g. SCRAM's server-final message, which the protocol
// delivers its own way). Any error ends the exchange.
type Exchange struct {
	srv     *Server
	mech    *mechanism
	st      ConnState
	next    step
	out     Outcome
	done    bool
	err     error
	private any // mechanism state
}

// Start begins mechanism name (case-insensitive). It fails with
// CodeNoMech if the mechanism is not offered on this connection.
func (s *Server) Start(name string, st ConnState) (*Exchange, error) {
	m := lookupMech(name)
	if m == nil || !s.advertised(m.name, st) {
		return nil, errf(CodeNoMech, "")
	}
	x := &Exchange{srv: s, mech: m, st: st}
	x.out.Mech = m.name
	x.out.Plaintext = m.plaintext
	x.next = m.start(x)
	return x, nil
}

// Next runs one step; see Exchange.
func (x *Exchange) Next(ctx context.Context, response []byte) (challenge []byte, done bool, err error) {
	if x.err != nil {
		return nil, true, x.err
	}
	if x.done {
		x.err = errf(CodeBadProt, "exchange already finished")
		return nil, true, x.err
	}
	challenge, done, err = x.next(ctx, x, response)
	if err != nil {
		x.err = err
		return nil, true, err
	}
	x.done = done
	return challenge, done, nil
}

// Outcome is valid after Next returned done with no error.
func (x *Exchange) Outcome() (Outcome, bool) { return x.out, x.done && x.err == nil }

// Mechanism is the name of the running mechanism.
func (x *Exchange) Mechanism() string { return x.mech.name }

func (x *Exchange) canon(id string) (string, error) {
	if x.srv.Canon == nil {
		return id, nil
	}
	c, err := x.srv.Canon(id)
	if err != nil {
		return "", &Error{Code: CodeBadAuth, Detail: "user id refused by canonicalization", Err: err}
	}
	if c == "" {
		return "", errf(CodeBadAuth, "user id refused by canonicalization")
	}
	return c, nil
}

// authorize settles x.out.User from an authzid ("" = act as AuthID).
func (x *Exchange) authorize(ctx context.Context, authzid string) error {
	user := x.out.AuthID
	if authzid != "" {
		c, err := x.canon(authzid)
		if err != nil {
			return &Error{Code: CodeNoAuthz, Detail: "bad authorization id", Err: err}
		}
		user = c
	}
	if x.srv.Authorize != nil {
		if err := x.srv.Authorize(ctx, x.out.AuthID, user); err != nil {
			if e, ok := err.(*Error); ok {
				return e
			}
			return &Error{Code: CodeBadAuth, Detail: x.out.AuthID + " may not act as " + user, Err: err}
		}
	} else if user != x.out.AuthID {
		return errf(CodeBadAuth, "%s may not act as %s", x.out.AuthID, user)
	}
	x.out.User = user
	return nil
}

// checkPassword canonicalizes authcid and checks the password.
func (x *Exchange) checkPassword(ctx context.Context, authcid string, password []byte) error {
	id, err := x.canon(authcid)
	if err != nil {
		return err
	}
	x.out.AuthID = id
	if x.srv.Backend == nil {
		return errf(CodeNoMech, "no password check configured")
	}
	method, err := x.srv.Backend.CheckPassword(ctx, id, password)
	if err != nil {
		return err
	}
	x.out.Method = method
	return nil
}
