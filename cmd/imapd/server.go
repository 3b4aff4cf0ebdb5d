package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"gyrus/lib/acl"
	"gyrus/lib/annotate"
	"gyrus/lib/authz"
	"gyrus/lib/charset"
	"gyrus/lib/config"
	"gyrus/lib/idle"
	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/message"
	"gyrus/lib/quota"
	"gyrus/lib/sasl"
	"gyrus/lib/service"
	"gyrus/lib/sysexits"
	"gyrus/lib/tlsutil"
	"gyrus/lib/tool"
)

// Flags are imapd's own command-line options (imapd(8)).
type Flags struct {
	ImplicitTLS bool // -s
	NoPassword  bool // -N
	ExtSSF      int  // -p
	NoQuota     bool // -q
}

// Server is what the sessions of one imapd process share: the
// configuration, the open databases and the engines (SASL, TLS). It is
// built once by Init and read-only afterwards; every field is safe for
// concurrent use.
type Server struct {
	cfg     *config.Config
	env     *service.Env
	flags   Flags
	ident   string // the imapd.conf/syslog ident (cyrus.conf entry name)
	procDir string

	ns       mboxname.Namespace
	list     *mboxlist.List
	settings *mboxlist.Settings
	quota    *quota.DB
	annot    *annotate.DB
	authz    *authz.Policy // login policy, user_deny.db
	policy   *acl.Policy
	auth     *sasl.Authenticator
	sasl     *sasl.Server
	tls      *tlsutil.Server // nil when TLS is not configured
	watcher  *idle.Watcher

	mbopts  mailbox.Options
	msgopts message.Options
	limits  imapwire.Limits
	// searchFlags are the search normalisation of search_skipdiacrit,
	// search_whitespace and rfc2047_utf8 (lib/charset).
	searchFlags charset.Flags

	// settings read once
	servername     string
	timeout        time.Duration // autologout (timeout, at least 30 minutes)
	idlePoll       time.Duration
	failedPause    time.Duration
	plainPause     time.Duration
	maxMessageSize int64
	suppressed     map[string]bool

	writers sync.Pool // *imapwire.Writer, lent to a session while a command runs
}

// NewServer prepares the process-wide state from imapd.conf.
func NewServer(env *service.Env, f Flags) (*Server, error) {
	c := env.Config
	s := &Server{cfg: c, env: env, flags: f, ident: env.Ident}
	var err error
	if s.ns, err = mboxname.NamespaceFromConfig(c); err != nil {
		return nil, err
	}
	if err := s.ns.Validate(); err != nil {
		return nil, tool.Fatal(sysexits.Config, "%v", err)
	}
	if s.procDir, err = procDir(c); err != nil {
		return nil, err
	}
	st, err := mboxlist.SettingsFromConfig(c)
	if err != nil {
		return nil, err
	}
	if em, err := mailbox.ParseExpungeMode(c.ExpungeMode()); err == nil {
		st.Mailbox.ExpungeMode = em
	}
	st.Mailbox.SingleInstanceStore = c.Singleinstancestore()
	if s.quota, err = quota.Open(quota.OptionsFromConfig(c)); err != nil {
		return nil, fmt.Errorf("open quota database: %w", err)
	}
	st.Quota = s.quota
	st.Mailbox.Quota = s.quota
	if f.NoQuota {
		// -q: usage is still counted, limits are not enforced
		st.Quota = noQuotaCheck{s.quota}
		st.Mailbox.Quota = noQuotaCheck{s.quota}
	}
	if s.list, err = mboxlist.Open(st); err != nil {
		return nil, fmt.Errorf("open mailboxes database: %w", err)
	}
	s.settings = s.list.Settings()
	s.mbopts = s.settings.Mailbox
	path, backend := annotate.PathFromConfig(c)
	if s.annot, err = annotate.Open(path, backend); err != nil {
		return nil, fmt.Errorf("open annotations database: %w", err)
	}
	if s.policy, err = acl.New(acl.ConfigFromConfig(c)); err != nil {
		log.Warn("implicit_owner_rights", "error", err)
	}
	s.authz = authz.New(c, s.ident, s.ns, s.policy, s.list)

	s.servername = c.Servername()
	if s.servername == "" {
		s.servername, _ = os.Hostname()
	}
	// Cyrus: the timeout may not be under 30 minutes (RFC 3501 5.4).
	s.timeout = c.Timeout()
	if s.timeout < 30*time.Minute {
		s.timeout = 30 * time.Minute
	}
	s.idlePoll = c.Imapidlepoll()
	s.failedPause = c.Failedloginpause()
	s.plainPause = c.Plaintextloginpause()
	s.maxMessageSize = int64(c.Maxmessagesize())
	if s.maxMessageSize <= 0 {
		s.maxMessageSize = 4294967295 // Cyrus's UINT32_MAX
	}
	s.suppressed = map[string]bool{}
	for _, w := range strings.Fields(c.SuppressCapabilities()) {
		s.suppressed[strings.ToUpper(w)] = true
	}

	s.msgopts = message.Options{
		MaxHeaderLines: c.Maxheaderlines(),
		BoundaryLimit:  c.BoundaryLimit(),
		RFC2046Strict:  c.Rfc2046Strict(),
		RFC2047UTF8:    c.Rfc2047Utf8(),
	}
	s.searchFlags = charset.ConfigFlags(c.SearchSkipdiacrit(), c.SearchWhitespace(), c.Rfc2047Utf8())
	s.limits = imapwire.Limits{
		MaxWord:        int64(c.Maxword()),
		MaxQuoted:      int64(c.Maxquoted()),
		MaxLiteral:     int64(c.Maxliteral()),
		MaxArgsSize:    int64(c.Maxargssize()),
		MaxMessageSize: s.maxMessageSize,
	}

	so, err := sasl.OptionsFromConfig(c, "imap")
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
		Canon:          s.canonUser,
		Authorize:      s.authz.Authorize,
	}
	if tlsutil.Enabled(c) {
		if s.tls, err = tlsutil.NewServer(c, tlsutil.Options{}); err != nil {
			if f.ImplicitTLS {
				return nil, tool.Fatal(sysexits.Config, "TLS server engine: %v", err)
			}
			log.Error("tls_engine_failed", "error", err)
			s.tls = nil
		}
	} else if f.ImplicitTLS {
		return nil, tool.Fatal(sysexits.Config, "imapd -s: TLS is not configured (tls_server_cert, tls_server_key)")
	}
	if s.watcher, err = idle.New(); err != nil {
		log.Warn("idle_watcher", "error", err)
		s.watcher = idle.Default()
	}
	s.writers.New = func() any { return imapwire.NewWriter(nil) }
	return s, nil
}

// Serve runs one connection.
func (s *Server) Serve(ctx context.Context, conn net.Conn, ss *service.Session) {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true) // responses are written whole; no Nagle delay
	}
	sess := newSession(s, conn, ss)
	sess.run(ctx)
}

// noQuotaCheck is the quota hook of imapd -q: usage is charged, limits
// are never in the way.
type noQuotaCheck struct{ *quota.DB }

func (noQuotaCheck) Check(string, mailbox.Usage) error { return nil }

func procDir(c *config.Config) (string, error) {
	if p := c.ProcPath(); p != "" {
		return p, nil
	}
	return c.Configdirectory() + "/proc", nil
}
