package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"gyrus/lib/acl"
	"gyrus/lib/authz"
	"gyrus/lib/config"
	"gyrus/lib/log"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/sasl"
	"gyrus/lib/service"
	"gyrus/lib/sieve"
	"gyrus/lib/sievedir"
	"gyrus/lib/sysexits"
	"gyrus/lib/tlsutil"
	"gyrus/lib/tool"
)

// Server is what the sessions of one timsieved process share. It is
// built once by Init and read-only afterwards (the deny list has its own
// mutex).
type Server struct {
	cfg   *config.Config
	ident string

	ns      mboxname.Namespace
	list    *mboxlist.List
	locator *sievedir.Locator
	policy  *acl.Policy
	auth    *sasl.Authenticator
	sasl    *sasl.Server // template: each session copies it with its callbacks
	tls     *tlsutil.Server

	tlsConfigured bool
	authz         *authz.Policy

	sieveOpts sieve.Options
	// sieveCapability is the SIEVE capability (the enabled extensions
	// lib/sieve implements), sieveWords its words
	sieveCapability string
	sieveWords      map[string]bool
	compile         func([]byte, sieve.Options) ([]byte, error) // sieve.Compile (unit tests replace it)
	maxScriptSize   int                                         // sieve_maxscriptsize in bytes
	maxScripts      int
	timeout         time.Duration
	// initErr: the store cannot be used (sieveusehomedir); every session
	// is told so and closed, as Cyrus's timsieved does.
	initErr string
}

// NewServer prepares the process-wide state from imapd.conf.
func NewServer(env *service.Env) (*Server, error) {
	c := env.Config
	s := &Server{cfg: c, ident: env.Ident}
	var err error
	if s.ns, err = mboxname.NamespaceFromConfig(c); err != nil {
		return nil, tool.Fatal(sysexits.Config, "%v", err)
	}
	st, err := mboxlist.SettingsFromConfig(c)
	if err != nil {
		return nil, tool.Fatal(sysexits.Config, "%v", err)
	}
	if s.list, err = mboxlist.Open(st); err != nil {
		return nil, fmt.Errorf("open mailboxes database: %w", err)
	}
	s.locator = sievedir.NewLocator(s.list)
	if s.policy, err = acl.New(acl.ConfigFromConfig(c)); err != nil {
		log.Warn("implicit_owner_rights", "error", err)
	}
	s.authz = authz.New(c, env.Ident, s.ns, s.policy, s.list)
	servername := c.Servername()
	if servername == "" {
		servername, _ = os.Hostname()
	}

	s.sieveOpts = sieve.OptionsFromConfig(c)
	s.compile = sieve.Compile
	s.sieveCapability = s.sieveOpts.Capability()
	s.sieveWords = map[string]bool{}
	for _, w := range strings.Fields(s.sieveCapability) {
		s.sieveWords[w] = true
	}
	s.maxScriptSize = c.SieveMaxscriptsize() * 1024
	s.maxScripts = c.SieveMaxscripts()
	// Cyrus: the timeout key, never under 10 minutes (RFC 5804 gives no
	// figure; Cyrus uses IMAP's).
	s.timeout = c.Timeout()
	if s.timeout < 10*time.Minute {
		s.timeout = 10 * time.Minute
	}
	if c.Sieveusehomedir() {
		log.Printf(log.LevelErr, "can't use home directories")
		s.initErr = "Error initializing actions"
	}

	// The SASL service name of ManageSieve is "sieve" (RFC 5804 2.1).
	so, err := sasl.OptionsFromConfig(c, "sieve")
	if err != nil {
		return nil, tool.Fatal(sysexits.Config, "%v", err)
	}
	so.ServerName = servername
	if s.auth, err = sasl.New(so); err != nil {
		return nil, tool.Fatal(sysexits.Config, "%v", err)
	}
	s.sasl = &sasl.Server{Backend: s.auth, MechList: so.MechList, AllowPlaintext: c.Allowplaintext()}

	s.tlsConfigured = tlsutil.Enabled(c)
	if s.tlsConfigured {
		if s.tls, err = tlsutil.NewServer(c, tlsutil.Options{}); err != nil {
			// Cyrus: STARTTLS is still offered and fails with "Error
			// initializing TLS"
			log.Printf(log.LevelErr, "error initializing TLS: %v", err)
			s.tls = nil
		}
	}
	return s, nil
}

// Serve runs one connection.
func (s *Server) Serve(ctx context.Context, conn net.Conn, ss *service.Session) {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	sess := newSession(s, conn, ss)
	if s.initErr != "" {
		sess.reply("NO Fatal error: " + s.initErr)
		sess.out.Flush()
		return
	}
	sess.run(ctx)
}
