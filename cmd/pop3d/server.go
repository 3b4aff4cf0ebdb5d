package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"gyrus/lib/acl"
	"gyrus/lib/authz"
	"gyrus/lib/config"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/quota"
	"gyrus/lib/sasl"
	"gyrus/lib/service"
	"gyrus/lib/sysexits"
	"gyrus/lib/tlsutil"
	"gyrus/lib/tool"
)

// Flags are pop3d's own command-line options (pop3d(8)).
type Flags struct {
	ImplicitTLS bool // -s
	ExtSSF      int  // -p
}

// UIDL formats (imapd.conf uidl_format).
const (
	uidlUIDOnly = "uidonly"
	uidlCyrus   = "cyrus"
	uidlDovecot = "dovecot"
	uidlCourier = "courier"
)

// Server is what the sessions of one pop3d process share: imapd.conf,
// the open databases and the SASL and TLS engines. It is built once by
// Init and read-only afterwards (the sasldb2 cache has its own mutex).
type Server struct {
	cfg   *config.Config
	env   *service.Env
	flags Flags
	ident string // cyrus.conf entry name: imapd.conf and syslog ident

	ns       mboxname.Namespace
	list     *mboxlist.List
	settings *mboxlist.Settings
	quota    *quota.DB
	authz    *authz.Policy // login policy, user_deny.db
	policy   *acl.Policy
	auth     *sasl.Authenticator
	sasl     *sasl.Server    // template: each session copies it with its own callbacks
	tls      *tlsutil.Server // nil when TLS is not configured or failed to start
	mbopts   mailbox.Options

	tlsConfigured bool // tls_enabled(): STLS is a command and advertised
	servername    string

	// settings read once (Cyrus reads them per session from the same
	// static configuration)
	timeout     time.Duration // poptimeout, at least 10 minutes
	failedPause time.Duration
	plainPause  time.Duration
	minPoll     time.Duration // popminpoll
	pollPadding int           // poppollpadding
	expire      time.Duration // popexpiretime (< 0: NEVER)
	uidlFormat  string
	apop        *apopStore // nil: no APOP (allowapop off, or no sasldb auxprop)

	bufs sync.Pool // *retrBuf, lent to a RETR/TOP
}

// NewServer prepares the process-wide state from imapd.conf.
func NewServer(env *service.Env, f Flags) (*Server, error) {
	c := env.Config
	s := &Server{cfg: c, env: env, flags: f, ident: env.Ident}
	var err error
	if s.ns, err = mboxname.NamespaceFromConfig(c); err != nil {
		return nil, tool.Fatal(sysexits.Config, "%v", err)
	}
	if err := s.ns.Validate(); err != nil {
		return nil, tool.Fatal(sysexits.Config, "%v", err)
	}
	st, err := mboxlist.SettingsFromConfig(c)
	if err != nil {
		return nil, tool.Fatal(sysexits.Config, "%v", err)
	}
	st.Mailbox.SingleInstanceStore = c.Singleinstancestore()
	if s.quota, err = quota.Open(quota.OptionsFromConfig(c)); err != nil {
		return nil, fmt.Errorf("open quota database: %w", err)
	}
	st.Quota = s.quota
	st.Mailbox.Quota = s.quota
	if s.list, err = mboxlist.Open(st); err != nil {
		return nil, fmt.Errorf("open mailboxes database: %w", err)
	}
	s.settings = s.list.Settings()
	s.mbopts = s.settings.Mailbox
	if s.policy, err = acl.New(acl.ConfigFromConfig(c)); err != nil {
		log.Warn("implicit_owner_rights", "error", err)
	}
	s.authz = authz.New(c, env.Ident, s.ns, s.policy, s.list)
	s.servername = c.Servername()
	if s.servername == "" {
		s.servername, _ = os.Hostname()
	}

	// Cyrus: poptimeout may not be under 10 minutes (RFC 1939 3).
	s.timeout = c.Poptimeout()
	if s.timeout < 10*time.Minute {
		s.timeout = 10 * time.Minute
	}
	s.failedPause = c.Failedloginpause()
	s.plainPause = c.Plaintextloginpause()
	s.minPoll = c.Popminpoll()
	s.pollPadding = c.Poppollpadding()
	s.expire = c.Popexpiretime()
	s.uidlFormat = c.UidlFormat()
	switch s.uidlFormat {
	case uidlUIDOnly, uidlCyrus, uidlDovecot, uidlCourier:
	default:
		return nil, tool.Fatal(sysexits.Config, "uidl_format: unknown value %q", s.uidlFormat)
	}

	// The SASL service name of POP3 is "pop" (RFC 5034 4).
	so, err := sasl.OptionsFromConfig(c, "pop")
	if err != nil {
		return nil, tool.Fatal(sysexits.Config, "%v", err)
	}
	so.ServerName = s.servername
	if s.auth, err = sasl.New(so); err != nil {
		return nil, tool.Fatal(sysexits.Config, "%v", err)
	}
	s.sasl = &sasl.Server{
		Backend:        s.auth,
		MechList:       so.MechList,
		AllowPlaintext: c.Allowplaintext(),
	}
	if c.Allowapop() {
		s.apop = newAPOPStore(s.auth)
	}

	s.tlsConfigured = tlsutil.Enabled(c)
	if s.tlsConfigured {
		if s.tls, err = tlsutil.NewServer(c, tlsutil.Options{}); err != nil {
			if f.ImplicitTLS {
				return nil, tool.Fatal(sysexits.Config, "pop3s: TLS server engine: %v", err)
			}
			// Cyrus: STLS is still offered and fails with "Error
			// initializing TLS".
			log.Printf(log.LevelErr, "[pop3d] error initializing TLS: %v", err)
			s.tls = nil
		}
	} else if f.ImplicitTLS {
		log.Printf(log.LevelErr, "pop3s: required OpenSSL options not present")
		return nil, tool.Fatal(sysexits.Config, "pop3s: required OpenSSL options not present")
	}
	s.bufs.New = func() any { return newRetrBuf() }
	return s, nil
}

// Serve runs one connection.
func (s *Server) Serve(ctx context.Context, conn net.Conn, ss *service.Session) {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true) // answers are flushed whole; no Nagle delay
	}
	newSession(s, conn, ss).run(ctx)
}
