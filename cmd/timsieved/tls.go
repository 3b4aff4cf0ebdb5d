package main

import (
	"context"

	"gyrus/lib/log"
	"gyrus/lib/sasl"
)

// cmdStarttls is RFC 5804 2.2. Input pipelined after the command has
// been thrown away by the caller (Cyrus does the same: RFC 5804 2.2
// forbids using it).
func (s *Session) cmdStarttls() {
	if s.tlsDone {
		s.no("TLS already active")
		return
	}
	if s.srv.tls == nil {
		log.Printf(log.LevelErr, "error initializing TLS")
		s.no("Error initializing TLS")
		return
	}
	s.reply(`OK "Begin TLS negotiation now"`)
	if s.out.Flush() != nil {
		s.closing = true
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.srv.timeout)
	defer cancel()
	tc, st, err := s.srv.tls.Handshake(ctx, s.raw)
	if err != nil {
		// the client is in the middle of a handshake: nothing more can
		// be said in the clear
		log.Printf(log.LevelNotice, "STARTTLS failed: %s", s.clientHost())
		s.closing = true
		return
	}
	log.Printf(log.LevelNotice, "%s", st.LogLine())
	s.conn = tc
	s.in.Reset(inbound{s})
	s.out.Reset(outbound{s})
	s.tlsDone, s.tlsState, s.tlsRequired = true, st, false
	// RFC 5804 2.2: the capabilities again, now with the mechanisms
	// TLS allows
	s.capabilities()
}

// saslState is the connection as lib/sasl sees it.
func (s *Session) saslState() sasl.ConnState {
	if s.tlsState != nil {
		return s.tlsState.SASL()
	}
	return sasl.ConnState{}
}
