package main

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"io"
	"runtime"
	"strings"
	"syscall"
	"time"

	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/version"
)

func gyrusVersion() string { return version.Version }

// cmdCapability is RFC 9051 6.1.1 CAPABILITY; Cyrus lists the
// post-login capabilities in every state.
func (s *Session) cmdCapability(tag string) {
	s.tellChanges(false)
	s.wr().Capability(s.capabilityWords(capBoth))
	s.ok(tag)
}

// cmdNoop is NOOP and CHECK (RFC 9051 6.1.2, 6.4.1): the moment to tell
// the client everything, expunges included.
func (s *Session) cmdNoop(tag string) {
	s.tellChanges(true)
	s.ok(tag)
}

// cmdLogout is RFC 9051 6.1.3.
func (s *Session) cmdLogout(tag string) {
	if s.sel != nil {
		s.closeSelected(s.srv.cfg.Autoexpunge())
	}
	s.wr().StatusResponse("", imapwire.StatusBYE, "", "LOGOUT received")
	s.ok(tag)
	s.closing = true
}

// cmdID is RFC 2971 ID as Cyrus's cmd_id answers it: the client's
// parameters are logged, the server's are given per imapidresponse and
// serverinfo.
func (s *Session) cmdID(tag string, a *imapwire.ID) {
	if !s.authed() && s.didID {
		// Cyrus: one ID before login; later ones get "OK NIL"
		s.okText(tag, "NIL")
		return
	}
	if len(a.Params) > 0 {
		var b strings.Builder
		for _, p := range a.Params {
			b.WriteString(` "` + p.Field + `" `)
			if p.Value == nil || *p.Value == "NIL" {
				b.WriteString("NIL")
			} else {
				b.WriteString(`"` + *p.Value + `"`)
			}
		}
		log.Printf(log.LevelInfo, "client id sessionid=<%s>:%s", s.sessionID, b.String())
	}
	info := s.srv.cfg.Serverinfo()
	w := s.wr()
	switch {
	case s.srv.cfg.Imapidresponse() && (s.authed() || info == "on"):
		w.ID(s.srv.idParams(true))
	case info != "off":
		w.ID(s.srv.idParams(false))
	default:
		w.RawString("* ID NIL\r\n")
	}
	s.tellChanges(false)
	s.ok(tag)
	s.didID = true
}

// idParams is the server's ID: the full answer with version, OS and
// build environment, or the short one (serverinfo: min hides the
// version).
func (s *Server) idParams(full bool) []imapwire.IDParam {
	str := func(v string) *string { return &v }
	p := []imapwire.IDParam{{Field: "name", Value: str("Gyrus IMAPD")}}
	if full || s.cfg.Serverinfo() == "on" {
		p = append(p, imapwire.IDParam{Field: "version", Value: str(gyrusVersion() + " (Cyrus " + version.CyrusCompat + " compatible)")})
	}
	p = append(p, imapwire.IDParam{Field: "vendor", Value: str("Gyrus")},
		imapwire.IDParam{Field: "support-url", Value: str("man:imapd(8)")})
	if !full {
		return p
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		p = append(p,
			imapwire.IDParam{Field: "os", Value: str(utsString(u.Sysname[:]))},
			imapwire.IDParam{Field: "os-version", Value: str(utsString(u.Release[:]))})
	}
	env := "Built w/" + runtime.Version() + "; lock = ofd; idle = inotify"
	p = append(p, imapwire.IDParam{Field: "environment", Value: str(env)})
	return p
}

func utsString(b []int8) string {
	var out []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		out = append(out, byte(c))
	}
	return string(out)
}

// cmdEnable is RFC 5161 ENABLE; like Cyrus 3.6.1 it knows CONDSTORE
// and QRESYNC (which implies CONDSTORE) and ignores the rest.
func (s *Session) cmdEnable(tag string, a *imapwire.Enable) {
	var condstore, qresync, rev2, utf8Accept, enabledUIDOnly bool
	for _, c := range a.Caps {
		switch strings.ToUpper(c) {
		case "CONDSTORE":
			condstore = true
		case "QRESYNC":
			qresync, condstore = true, true
		case "IMAP4REV2": // rev2.go
			rev2 = s.hasCap("IMAP4rev2")
		case "UTF8=ACCEPT": // utf8accept.go
			utf8Accept = s.hasCap("UTF8=ACCEPT")
		case "UIDONLY": // uidonly.go
			if s.enableUIDOnly() {
				enabledUIDOnly = true
			}
		}
	}
	var enabled []string
	if rev2 && s.enableRev2() {
		enabled = append(enabled, "IMAP4rev2")
	}
	if utf8Accept && s.enableUTF8Accept() {
		enabled = append(enabled, "UTF8=ACCEPT")
	}
	if condstore && !s.condstore {
		enabled = append(enabled, "CONDSTORE")
	}
	if qresync && !s.qresync {
		enabled = append(enabled, "QRESYNC")
	}
	if enabledUIDOnly {
		enabled = append(enabled, "UIDONLY")
	}
	if len(enabled) > 0 || s.rev2 { // RFC 9051 6.3.1: always, for rev2
		s.wr().Enabled(enabled)
	}
	s.condstore = s.condstore || condstore
	s.qresync = s.qresync || qresync
	if qresync {
		s.p.Enable("QRESYNC")
	}
	s.ok(tag)
}

// cmdNamespace is RFC 2342 NAMESPACE (Cyrus: the personal namespace
// only when the user has an INBOX; the others unless disabled).
func (s *Session) cmdNamespace(tag string) {
	ns := &s.srv.ns
	v := s.viewer()
	personal, other, shared := ns.Prefixes(v)
	sep := ns.Sep()
	var p, o, sh []imapwire.NamespaceDesc
	if _, err := s.srv.list.Lookup(ns.UserInbox(s.userid, "")); err == nil {
		p = []imapwire.NamespaceDesc{{Prefix: personal, Delim: sep}}
	}
	if s.isAdmin || !s.srv.cfg.DisableUserNamespace() {
		o = []imapwire.NamespaceDesc{{Prefix: other, Delim: sep}}
	}
	if s.isAdmin || !s.srv.cfg.DisableSharedNamespace() {
		sh = []imapwire.NamespaceDesc{{Prefix: shared, Delim: sep}}
	}
	s.wr().Namespace(p, o, sh)
	s.tellChanges(false)
	s.ok(tag)
}

// cmdStartTLS is RFC 9051 6.2.1 STARTTLS.
func (s *Session) cmdStartTLS(tag string) {
	switch {
	case s.authed():
		s.bad(tag, "Can't Starttls after authentication")
		return
	case s.compressed:
		s.bad(tag, "Can't Starttls after Compress")
		return
	case s.tlsDone:
		s.bad(tag, "Already did a successful Starttls")
		return
	}
	s.okText(tag, "Begin TLS negotiation now")
	if s.release() != nil {
		s.closing = true
		return
	}
	// Input pipelined after STARTTLS is discarded (RFC 3501 6.2.1, as
	// Cyrus does).
	s.p.Reset(s.raw)
	if !s.startTLS(context.Background(), s.srv.timeout) {
		s.closing = true
	}
}

// startTLS runs the handshake on the raw connection and switches the
// session to the TLS connection.
func (s *Session) startTLS(ctx context.Context, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tc, st, err := s.srv.tls.Handshake(ctx, s.raw)
	if err != nil {
		if s.srv.flags.ImplicitTLS && !s.tlsDone {
			log.Printf(log.LevelNotice, "imaps TLS negotiation failed: %s", s.clientHost())
		} else {
			log.Printf(log.LevelNotice, "STARTTLS negotiation failed: %s", s.clientHost())
		}
		return false
	}
	s.conn = tc
	s.dst = tc
	s.p.Reset(tc)
	s.tlsDone = true
	s.tlsState = st
	return true
}

// cmdCompress is RFC 4978 COMPRESS DEFLATE.
func (s *Session) cmdCompress(tag string, a *imapwire.Compress) {
	switch {
	case s.compressed:
		s.bad(tag, "[COMPRESSIONACTIVE] DEFLATE active via COMPRESS")
		return
	case !strings.EqualFold(a.Algorithm, "DEFLATE"):
		s.noText(tag, "Unknown COMPRESS algorithm: "+a.Algorithm)
		return
	}
	s.okText(tag, a.Algorithm+" active") // as the client wrote it, like Cyrus
	if s.release() != nil {
		s.closing = true
		return
	}
	fw, err := flate.NewWriter(s.conn, flate.DefaultCompression)
	if err != nil {
		s.closing = true
		return
	}
	pending := s.p.Reset(nil)
	in := io.MultiReader(bytes.NewReader(pending), s.conn)
	s.p.Reset(bufio.NewReaderSize(flate.NewReader(in), 4096))
	s.dst = fw
	s.compressed = true
}

// stopCompress drops the deflate layer (UNAUTHENTICATE, as Cyrus).
func (s *Session) stopCompress() {
	s.dst = s.conn
	s.p.Reset(s.conn)
	s.compressed = false
}
