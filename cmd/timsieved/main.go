package main

import (
	"context"
	"net"

	"gyrus/lib/service"
)

func main() {
	service.Run(spec())
}

func spec() service.Spec {
	var srv *Server
	return service.Spec{
		Name:  "timsieved",
		Usage: "ManageSieve server: users upload and activate their Sieve scripts",
		Init: func(env *service.Env) error {
			s, err := NewServer(env)
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
