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
		Name:  "pop3d",
		Usage: "POP3 server",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "s", Usage: "implicit TLS: handshake before the greeting (pop3s)"},
			&cli.IntFlag{Name: "p", Usage: "the connection has an external security layer of this `ssf`"},
		},
		Init: func(env *service.Env) error {
			s, err := NewServer(env, Flags{
				ImplicitTLS: env.Bool("s"),
				ExtSSF:      env.Int("p"),
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
