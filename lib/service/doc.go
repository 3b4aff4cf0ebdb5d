// Package service is what every Gyrus service program (imapd, pop3d,
// lmtpd, timsieved, ...) links: the start-up Cyrus's master/service.c
// does, the accept loop, one goroutine per session, limits, proc files
// and a graceful stop. A service's main is one call:
//
//	func main() {
//		service.Run(service.Spec{
//			Name:  "pop3d",
//			Flags: []cli.Flag{&cli.BoolFlag{Name: "s", Usage: "TLS from the start"}},
//			Init:  func(env *service.Env) error { ...open databases...; return nil },
//			Serve: func(ctx context.Context, conn net.Conn, s *service.Session) { ...one session... },
//		})
//	}
//
// # Command line
//
// Besides the program's own flags, Run handles the generic ones of every
// Cyrus service (spec/tools.md §1.1): -C file (imapd.conf), -U uses
// (default 250), -T seconds (default 60), -D (run debug_command first),
// -X (serve one session on stdin/stdout, without master). As in Cyrus, an
// option and its value must be separate words ("-U 30"): "-U30" or a
// merged "-DX" exits with EX_USAGE. --listen ADDR runs the service
// without master on host:port, [v6]:port or /unix/path (tests,
// debugging); everything after accept is the same code path.
//
// Under master, $CYRUS_SERVICE (the cyrus.conf entry name, also the
// imapd.conf and syslog ident) and $CYRUS_ID are required (EX_SOFTWARE
// without them); standalone and -X default them to the program name and 0.
//
// # Processes and connections
//
// A Cyrus service process serves one connection at a time; a Gyrus
// service process serves many, one goroutine each. The process stops
// accepting — "retires" — after -U connections, after -T seconds
// (chosen at random in [T, 2T)) without any session once it has served
// one, when its own executable file is replaced or removed, on SIGHUP,
// or when its descriptors (RLIMIT_NOFILE, set by cyrus.conf maxfds) are
// nearly used up. A retired process finishes its sessions and exits 0;
// master starts a replacement as prefork asks. SIGTERM (and SIGINT)
// stops accepting, cancels the sessions' context at once so they can say
// goodbye, and closes what is left after Spec.ShutdownGrace (default 10
// s). A panic in a session is logged with its stack and ends that
// session only.
//
// # The master protocol
//
// fd 3 carries 8-byte messages {int32 message; int32 value} in host byte
// order (Cyrus master/service.h), fd 4 is the listening socket. The child
// writes the pid as value. Cyrus's messages keep their meaning:
// AVAILABLE(1) ready for a connection, UNAVAILABLE(2) not accepting,
// CONNECTION(3) took its one connection, CONNECTION_MULTI(4) took one
// more connection and still accepts.
//
// With Cyrus's master (no $GYRUS_SLOTS), fd 3 is a write-only pipe and
// maxchild counts processes. A Gyrus service then sends CONNECTION_MULTI
// for each connection and UNAVAILABLE when it retires, and takes as
// many connections as it gets: under Cyrus's master its concurrency is
// limited only by its descriptors.
//
// Gyrus's master sets $GYRUS_SLOTS=1 and makes fd 3 a socket that also
// carries messages back, so that maxchild caps the CONNECTIONS of a
// service across all its processes, and prefork counts processes:
//
//	child  -> master  MULTI_HELLO(0x100)    I serve many connections, send me slots
//	master -> child   SLOT_GRANT(0x200) n   you may hold n more connections at once
//	                                       (n = -1: no limit, the entry has no maxchild)
//	child  -> master  CONNECTION_MULTI(4)   a connection started (uses one of my slots)
//	child  -> master  CONNECTION_END(0x101) a connection ended (its slot stays mine)
//	child  -> master  UNAVAILABLE(2)        I stopped accepting (retiring)
//	child  -> master  SLOT_RELEASE(0x102)   one slot given back (one message per slot)
//	master -> child   SLOT_REVOKE(0x201) n  give back up to n unused slots
//	child  -> master  REVOKE_DONE(0x103)    answered the SLOT_REVOKE (after its releases)
//
// A slot is the right to hold one connection. Master hands out at most
// maxchild slots per listening socket, counting each one-connection
// (Cyrus-style) child as one, and gives free slots to the processes that
// accept, the poorest first (so shares even out). A process that is left
// without any free slot while another holds two or more gets half of
// those: master revokes them from the richer one. A process accepts only
// while it holds a free slot, so the cap is never exceeded; slots held
// unused by accepting processes count as available when master decides
// whether another process (prefork) may start. A retiring process gives back its
// free slots at once and each further slot as its sessions end; an
// exiting process's slots return to master with it. A process that
// holds no free slot simply does not accept: the kernel queues new
// connections until a slot is free somewhere.
//
// # Proc files
//
// Each session has a proc file (package proc): registered at accept with
// the service name and client host, updated by Session.SetUser,
// SetMailbox and SetCommand, removed when the session ends; the process
// directory goes when the process exits.
//
// # Invariants
//
// One accept goroutine per process; one goroutine per session; the slot
// accounting (slots.go) is guarded by one mutex and sends its messages
// in the order the accounting changed; nothing is written to fd 3
// outside link.send.
package service
