package main

import (
	"strings"

	"gyrus/lib/version"
)

// implementation is the IMPLEMENTATION capability (RFC 5804 1.7); Cyrus
// says "Cyrus timsieved <version>", serverinfo: min drops the version,
// off says only "ManageSieve".
func (s *Server) implementation() string {
	switch s.cfg.Serverinfo() {
	case "on":
		return "Gyrus timsieved " + version.Version
	case "min":
		return "Gyrus timsieved"
	}
	return "ManageSieve"
}

// capabilities writes the capability list and its OK (RFC 5804 1.7), in
// Cyrus 3.6.1's order: the greeting, the CAPABILITY answer and the
// answer to STARTTLS (RFC 5804 2.2).
func (s *Session) capabilities() {
	line := func(k, v string) { s.reply(`"` + k + `" "` + v + `"`) }
	line("IMPLEMENTATION", s.srv.implementation())
	line("VERSION", "1.0")
	// RFC 5804 1.7: SASL until authenticated (our mechanisms have no
	// security layer), and never while TLS is required and not yet on.
	if !s.tlsRequired && !s.authed {
		line("SASL", strings.Join(s.sasl.Mechanisms(s.saslState()), " "))
	}
	line("SIEVE", s.srv.sieveCapability)
	// the companions of enotify and extlists, when the compiler offers
	// them (Cyrus sieve_listextensions)
	if s.srv.sieveWords["enotify"] {
		line("NOTIFY", "mailto") // RFC 5804 1.7, RFC 5435
	}
	if s.srv.sieveWords["extlists"] {
		line("EXTLISTS", "urn:ietf:params:sieve:addrbook") // RFC 6134 2.2
	}
	if s.srv.tlsConfigured && !s.tlsDone && !s.authed {
		s.reply(`"STARTTLS"`)
	}
	if s.authed {
		line("OWNER", s.userid) // RFC 5804 1.7
	}
	s.reply(`"UNAUTHENTICATE"`) // RFC 5804 2.14.1
	s.reply("OK")
}
