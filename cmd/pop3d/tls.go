package main

import (
	"context"
	"time"

	"gyrus/lib/log"
)

// cmdSTLS is RFC 2595 4 STLS. Anything the client pipelined after it is
// thrown away before the handshake (Cyrus does the same).
func (s *Session) cmdSTLS() {
	if s.tlsDone {
		s.reply("-ERR Already successfully executed STLS")
		return
	}
	if s.srv.tls == nil {
		s.reply("-ERR [SYS/PERM] Error initializing TLS")
		return
	}
	s.reply("+OK Begin TLS negotiation now")
	if s.release() != nil {
		return
	}
	s.in.Discard(s.in.Buffered())
	if !s.handshake(context.Background(), s.srv.timeout) {
		// the client is in the middle of a handshake: nothing more can
		// be said in the clear
		log.Printf(log.LevelNotice, "[pop3d] STARTTLS failed: %s", s.clientHost())
		s.closing = true
	}
}

// handshake runs the TLS handshake on the raw connection; on success the
// session reads and writes through TLS, and TLS's strength is the SASL
// external layer (Cyrus saslprops_set_tls).
func (s *Session) handshake(ctx context.Context, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tc, st, err := s.srv.tls.Handshake(ctx, s.raw)
	if err != nil {
		return false
	}
	s.conn = tc
	s.in.Reset(inbound{s})
	s.tlsDone = true
	s.tlsState = st
	s.tlsRequired = false
	s.ssf = st.Bits
	return true
}
