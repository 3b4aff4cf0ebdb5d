// Command imapd is Gyrus's IMAP server (imapd(8)): one process serves
// many connections, one goroutine each, and answers like Cyrus IMAP
// 3.6.1. master starts it with the listening socket on fd 4; --listen
// runs it without master (tests, debugging), -X on stdin/stdout.
//
// Options (spec/tools.md §1.3): -s implicit TLS (imaps), -N no password
// check (tests only), -p ssf an external security layer of that strength,
// -q no quota enforcement; plus the service options -C -U -T -D -X.
package main

import (
	"context"
	"net"

	"github.com/urfave/cli/v2"

	"gyrus/lib/service"
)

func main() {
	service.Run(spec())
}

func spec() service.Spec {
	var srv *Server
	return service.Spec{
		Name:  "imapd",
		Usage: "IMAP server",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "s", Usage: "implicit TLS: handshake before the greeting (imaps)"},
			&cli.BoolFlag{Name: "N", Usage: "skip password verification (testing only)"},
			&cli.IntFlag{Name: "p", Usage: "the connection has an external security layer of this `ssf`"},
			&cli.BoolFlag{Name: "q", Usage: "do not enforce quotas"},
		},
		Init: func(env *service.Env) error {
			s, err := NewServer(env, Flags{
				ImplicitTLS: env.Bool("s"),
				NoPassword:  env.Bool("N"),
				ExtSSF:      env.Int("p"),
				NoQuota:     env.Bool("q"),
			})
			if err != nil {
				return err
			}
			srv = s
			return nil
		},
		Serve: func(ctx context.Context, conn net.Conn, ss *service.Session) {
			srv.Serve(ctx, conn, ss)
		},
	}
}
