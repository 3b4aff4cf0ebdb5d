package main

import (
	"strconv"
	"strings"

	"gyrus/lib/version"
)

// implementation is the IMPLEMENTATION capability and the product part
// of the greeting (Cyrus: "Cyrus POP3 <version>").
func implementation() string { return "Gyrus POP3 " + version.Version }

// capability is one line of the CAPA answer (RFC 2449 6), in Cyrus's
// order: its text, and when it is listed.
type capability struct {
	text func(s *Session) string // "" leaves the line out
}

func always(text string) capability {
	return capability{text: func(*Session) string { return text }}
}

// capabilities is Cyrus 3.6.1's CAPA list (imap/pop3d.c cmd_capa).
var capabilities = []capability{
	// RFC 5034 SASL: the mechanisms, before authentication (or after it
	// when a layer with a strength exists, which after STLS and USER/PASS
	// is TLS's: Cyrus keeps the TLS strength until an AUTH replaces it
	// with the mechanism's, 0 for ours).
	{text: func(s *Session) string {
		if s.tlsRequired || (s.authed && s.ssf == 0) {
			return ""
		}
		mechs := s.sasl.Mechanisms(s.saslState())
		if len(mechs) == 0 {
			return ""
		}
		return "SASL " + strings.Join(mechs, " ")
	}},
	// RFC 2595 4: STLS until TLS is on, and only before login.
	{text: func(s *Session) string {
		if s.srv.tlsConfigured && !s.tlsDone && !s.authed {
			return "STLS"
		}
		return ""
	}},
	// RFC 2449 6.7: popexpiretime in whole days, NEVER when negative.
	{text: func(s *Session) string {
		if s.srv.expire < 0 {
			return "EXPIRE NEVER"
		}
		return "EXPIRE " + strconv.FormatInt(int64(s.srv.expire.Seconds())/(24*60*60), 10)
	}},
	// RFC 2449 6.5: popminpoll in seconds.
	{text: func(s *Session) string {
		return "LOGIN-DELAY " + strconv.FormatInt(int64(s.srv.minPoll.Seconds()), 10)
	}},
	always("TOP"),
	always("UIDL"),
	always("PIPELINING"),
	always("RESP-CODES"),
	always("AUTH-RESP-CODE"), // RFC 3206
	// RFC 2449 6.8: USER/PASS where plaintext passwords may be sent.
	{text: func(s *Session) string {
		if !s.tlsRequired && !s.authed && s.plaintextAllowed() {
			return "USER"
		}
		return ""
	}},
	// RFC 2449 6.9: after login always, before it with serverinfo: on.
	{text: func(s *Session) string {
		if s.authed || s.srv.cfg.Serverinfo() == "on" {
			return "IMPLEMENTATION " + implementation()
		}
		return ""
	}},
}

// cmdCapa is RFC 2449 5 CAPA, valid in every state.
func (s *Session) cmdCapa() {
	s.reply("+OK List of capabilities follows")
	for _, c := range capabilities {
		if t := c.text(s); t != "" {
			s.reply(t)
		}
	}
	s.reply(".")
}
