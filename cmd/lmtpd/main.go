// Command lmtpd is Gyrus's LMTP delivery service (lmtpd(8)): it takes
// mail from the MTA (directly, or through deliver(8) on the UNIX socket)
// and puts it into the mailboxes, answering for each recipient as Cyrus
// IMAP 3.6.1's lmtpd does, byte for byte. One process serves many
// connections; their deliveries are committed together (lib/deliver).
//
// Options (spec/tools.md §1.5): -a pre-authorizes TCP clients (as
// postman; UNIX socket clients always are); plus the service options
// -C -U -T -D -X and --listen.
package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"gyrus/lib/acl"
	"gyrus/lib/config"
	"gyrus/lib/deliver"
	"gyrus/lib/deliver/lmtp"
	"gyrus/lib/fileio"
	"gyrus/lib/log"
	"gyrus/lib/sasl"
	"gyrus/lib/service"
	"gyrus/lib/sysexits"
	"gyrus/lib/tlsutil"
	"gyrus/lib/tool"
	"gyrus/lib/version"
)

// rawSyncs is how many group syncs may be in flight as raw system
// calls: the syncfs and the shared flush (fileio.SyncFS and
// SyncOverwrite run one of each at a time per file system) and one
// commit's write of its index header. Under bench/lmtp 3 was a little
// faster than 2 and 4 (session 9 in bench/lmtp/RESULTS.md).
const rawSyncs = 3

func main() {
	// A delivery allocates ~27 KB and lmtpd keeps 1-2 MB live, so at
	// Go's default (GOGC=100, a 4 MB heap goal) the collector ran every
	// ~30 messages, ~1 ms of CPU each (GODEBUG=gctrace=1 under
	// bench/lmtp): ~3 % of lmtpd's CPU and a burst of thread wake-ups
	// each time. Four times the headroom (a heap goal of 16 MB) makes
	// it every ~250 (136 -> 16 collections in a 4,100-message run);
	// GOGC in the environment still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// The group commit's syncs are made as raw system calls, each
	// holding a P of its own while it waits for the disk, so that the
	// runtime's sysmon does not wake every 20 µs to hand Ps around
	// (lib/fileio/rawsync.go): about 15 % less CPU per delivery under
	// bench/lmtp. As many more Ps than the default keep every CPU
	// for Go code while they are in flight. A GOMAXPROCS in the
	// environment turns both off.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + rawSyncs)
		fileio.SetRawSyncs(rawSyncs)
	}
	service.Run(spec())
}

// server is what the sessions of one lmtpd process share.
type server struct {
	cfg     *lmtp.Config
	d       *deliver.Deliverer
	stores  *deliver.Stores
	preauth bool
}

func spec() service.Spec {
	var srv *server
	return service.Spec{
		Name:  "lmtpd",
		Usage: "LMTP delivery service",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "a", Usage: "pre-authorize connections on internet sockets (trusted MTAs only)"},
		},
		Init: func(env *service.Env) error {
			s, err := newServer(env)
			if err != nil {
				return err
			}
			srv = s
			return nil
		},
		Serve: func(ctx context.Context, conn net.Conn, ss *service.Session) {
			lmtp.Serve(ctx, conn, srv.cfg, srv.d, lmtp.Conn{
				ClientHost: ss.ClientHost,
				Unix:       isUnix(conn),
				PreAuth:    srv.preauth,
				SetUser:    ss.SetUser,
			})
		},
		ShutdownGrace: 30 * time.Second,
	}
}

// isUnix tells a connection that came in on a UNIX socket (or -X's
// standard input, which Cyrus also treats as local).
func isUnix(conn net.Conn) bool {
	if a := conn.LocalAddr(); a != nil {
		return a.Network() == "unix" || a.Network() == "unixpacket"
	}
	return true
}

func newServer(env *service.Env) (*server, error) {
	c := env.Config
	opts, stores, err := deliver.FromConfig(c, env.Service)
	if err != nil {
		return nil, tool.Fatal(sysexits.Software, "%v", err)
	}
	d, err := deliver.New(opts)
	if err != nil {
		stores.Close()
		return nil, err
	}
	name := c.Servername()
	if name == "" {
		name, _ = os.Hostname()
	}
	base := c.SyslogPrefix()
	if base == "" {
		base = name
	}
	lc := &lmtp.Config{
		ServerName:       name,
		ServerInfo:       c.Serverinfo(),
		Product:          "Gyrus",
		Version:          version.Version,
		MaxMessageSize:   int64(c.Maxmessagesize()),
		Reject8bit:       c.Reject8bit(),
		Munge8bit:        c.Munge8bit(),
		StrictRFC2821:    c.LmtpStrictRfc2821(),
		SoftNoAuth:       c.SoftNoauth(),
		QuotaPermFailure: c.LmtpOverQuotaPermFailure(),
		Postmaster:       c.Postmaster(),
		Chatty:           c.Chatty(),
		ShutdownFile:     filepath.Join(c.Configdirectory(), "msg", "shutdown"),
		Timeout:          6 * time.Minute,
		// Cyrus built with Sieve (as Debian's) adds this to every message.
		AddHeaders:    []deliver.Header{{Name: "X-Sieve", Body: "CMU Sieve 3.0"}},
		SessionIDBase: base,
	}
	if tlsutil.Enabled(c) {
		if lc.TLS, err = tlsutil.NewServer(c, tlsutil.Options{}); err != nil {
			log.Error("tls_engine_failed", "error", err)
			lc.TLS = nil
		}
	}
	if lc.SASL, err = saslServer(c, name); err != nil {
		return nil, tool.Fatal(sysexits.Config, "%v", err)
	}
	return &server{cfg: lc, d: d, stores: stores, preauth: env.Bool("a")}, nil
}

// saslServer is AUTH for clients that are not pre-authorized.
func saslServer(c *config.Config, servername string) (*sasl.Server, error) {
	so, err := sasl.OptionsFromConfig(c, "lmtp")
	if err != nil {
		return nil, err
	}
	so.ServerName = servername
	auth, err := sasl.New(so)
	if err != nil {
		return nil, err
	}
	pol, _ := acl.New(acl.ConfigFromConfig(c))
	admins := strings.Fields(c.Admins())
	isAdmin := func(id string) bool {
		ident := acl.Identity{UserID: id}
		for _, a := range admins {
			if ident.MemberOf(a) {
				return true
			}
		}
		return false
	}
	return &sasl.Server{
		Backend:        auth,
		MechList:       so.MechList,
		AllowPlaintext: c.Allowplaintext(),
		Canon: func(id string) (string, error) {
			if pol != nil {
				if cid, ok := pol.Canonify(id); ok && cid != "" {
					return cid, nil
				}
			}
			return id, nil
		},
		// Cyrus's proxy policy: acting as someone else takes an admin.
		Authorize: func(_ context.Context, authcid, authzid string) error {
			if authcid == authzid || isAdmin(authcid) {
				return nil
			}
			return &sasl.Error{Code: sasl.CodeNoAuthz, Detail: "not authorized to act as " + authzid}
		},
	}, nil
}
