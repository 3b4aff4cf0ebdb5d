package main

import (
	"strconv"
	"strings"
)

// The capability list is data, one row per capability, in the order
// Cyrus 3.6.1 prints them (imap/imapd.c base_capabilities[] and
// capa_response()). Each row says in which states it is shown, what
// turns it on, and which RFC defines it. Rows marked !Implemented are
// Cyrus capabilities Gyrus does not offer yet: they are kept here so the
// gap is visible (doc/rfc.md lists them), and never advertised.
//
// Cyrus's quirks are kept on purpose: the full post-login list is shown
// by CAPABILITY before login too (Cyrus's cmd_capability asks for both
// masks), LOGINDISABLED is shown after login, AUTH= is hidden after login
// unless the session keeps TLS's strength (a LOGIN under TLS), and with
// literalminus: yes the LITERAL+ row still prints "LITERAL+" (Cyrus
// substitutes LITERAL- into a variable it then does not print).

// capMask says when a row is shown (Cyrus CAPA_PREAUTH, CAPA_POSTAUTH).
type capMask uint8

const (
	capPre  capMask = 1 // in the greeting and before authentication
	capPost capMask = 2 // after authentication (and in CAPABILITY)
	capBoth         = capPre | capPost
)

// capRow is one capability.
type capRow struct {
	Name        string
	Mask        capMask
	Config      string // the imapd.conf switch that governs it ("" none)
	RFC         string
	Implemented bool
	// Dynamic rows: when set, they decide (and may expand to several
	// words, e.g. AUTH=PLAIN AUTH=LOGIN) from the session's state.
	Words func(s *Session) []string
}

// capabilities is the table. The fixed rows come first (base_capabilities
// order), then the conditional ones in the order capa_response() adds
// them.
var capabilities = []capRow{
	{Name: "IMAP4rev1", Mask: capBoth, RFC: "RFC 3501", Implemented: true},
	{Name: "IMAP4rev2", Mask: capBoth, RFC: "RFC 9051", Implemented: true}, // rev2.go; not in 3.6.1
	{Name: "LITERAL+", Mask: capBoth, Config: "literalminus (prints LITERAL+ anyway, as Cyrus)", RFC: "RFC 7888", Implemented: true},
	{Name: "ID", Mask: capBoth, Config: "imapidresponse, serverinfo", RFC: "RFC 2971", Implemented: true},
	{Name: "ENABLE", Mask: capBoth, RFC: "RFC 5161", Implemented: true},
	{Name: "ACL", Mask: capPost, RFC: "RFC 4314", Implemented: true},
	{Name: "ANNOTATE-EXPERIMENT-1", Mask: capPost, RFC: "RFC 5257", Implemented: true},
	{Name: "BINARY", Mask: capPost, RFC: "RFC 3516", Implemented: true},
	{Name: "CATENATE", Mask: capPost, RFC: "RFC 4469", Implemented: true},
	{Name: "CHILDREN", Mask: capPost, RFC: "RFC 3348", Implemented: true},
	{Name: "CONDSTORE", Mask: capPost, RFC: "RFC 7162", Implemented: true},
	{Name: "CREATE-SPECIAL-USE", Mask: capPost, RFC: "RFC 6154", Implemented: true},
	{Name: "ESEARCH", Mask: capPost, RFC: "RFC 4731", Implemented: true},
	{Name: "ESORT", Mask: capPost, RFC: "RFC 5267", Implemented: true},
	{Name: "INPROGRESS", Mask: capPost, Config: "imap_inprogress_interval (the rate)", RFC: "RFC 9585", Implemented: true}, // not in Cyrus 3.6.1 (inprogress.go)
	{Name: "LIST-EXTENDED", Mask: capPost, RFC: "RFC 5258", Implemented: true},
	{Name: "LIST-MYRIGHTS", Mask: capPost, RFC: "RFC 8440", Implemented: true},
	{Name: "LIST-STATUS", Mask: capPost, RFC: "RFC 5819", Implemented: true},
	{Name: "MAILBOX-REFERRALS", Mask: capPost, Config: "proxyd_disable_mailbox_referrals", RFC: "RFC 2193", Implemented: true},
	{Name: "METADATA", Mask: capPost, RFC: "RFC 5464", Implemented: true},
	{Name: "MOVE", Mask: capPost, RFC: "RFC 6851", Implemented: true},
	{Name: "MULTISEARCH", Mask: capPost, RFC: "RFC 7377", Implemented: true}, // not in Cyrus 3.6.1 (multisearch.go)
	{Name: "MULTIAPPEND", Mask: capPost, RFC: "RFC 3502", Implemented: true},
	{Name: "NAMESPACE", Mask: capPost, RFC: "RFC 2342", Implemented: true},
	{Name: "NOTIFY", Mask: capPost, RFC: "RFC 5465", Implemented: true}, // not in Cyrus 3.6.1 (notify.go)
	{Name: "OBJECTID", Mask: capPost, RFC: "RFC 8474", Implemented: true},
	{Name: "PARTIAL", Mask: capPost, RFC: "RFC 9394", Implemented: true}, // not in Cyrus 3.6.1 (partial.go)
	{Name: "PREVIEW", Mask: capPost, Config: "jmap_preview_annot", RFC: "RFC 8970", Implemented: true},
	{Name: "QRESYNC", Mask: capPost, RFC: "RFC 7162", Implemented: true},
	{Name: "QUOTA", Mask: capPost, RFC: "RFC 9208, RFC 2087", Implemented: true},
	{Name: "REPLACE", Mask: capPost, RFC: "RFC 8508", Implemented: true}, // not in Cyrus 3.6.1 (replace.go)
	{Name: "RIGHTS=kxten", Mask: capPost, RFC: "RFC 4314", Implemented: true},
	{Name: "SAVEDATE", Mask: capPost, RFC: "RFC 8514", Implemented: true},
	{Name: "SEARCH=FUZZY", Mask: capPost, RFC: "RFC 6203", Implemented: true},
	{Name: "SORT", Mask: capPost, RFC: "RFC 5256", Implemented: true},
	{Name: "SORT=DISPLAY", Mask: capPost, RFC: "RFC 5957", Implemented: true},
	{Name: "SPECIAL-USE", Mask: capPost, RFC: "RFC 6154", Implemented: true},
	{Name: "STATUS=SIZE", Mask: capPost, RFC: "RFC 8438", Implemented: true},
	{Name: "THREAD=ORDEREDSUBJECT", Mask: capPost, RFC: "RFC 5256", Implemented: true},
	{Name: "THREAD=REFERENCES", Mask: capPost, RFC: "RFC 5256", Implemented: true},
	{Name: "UIDPLUS", Mask: capPost, RFC: "RFC 4315", Implemented: true},
	{Name: "UIDONLY", Mask: capPost, RFC: "RFC 9586", Implemented: true}, // not in Cyrus 3.6.1 (uidonly.go)
	{Name: "UNSELECT", Mask: capPost, RFC: "RFC 3691", Implemented: true},
	{Name: "URLAUTH", Mask: capPost, RFC: "RFC 4467", Implemented: true},
	{Name: "URLAUTH=BINARY", Mask: capPost, RFC: "RFC 5524", Implemented: true},
	{Name: "UTF8=ACCEPT", Mask: capPost, Config: "reject8bit, munge8bit (both must be off)", RFC: "RFC 6855", Implemented: true, // utf8accept.go; not in 3.6.1
		Words: func(s *Session) []string {
			if s.srv.utf8AcceptAllowed() {
				return []string{"UTF8=ACCEPT"}
			}
			return nil
		}},
	{Name: "WITHIN", Mask: capPost, RFC: "RFC 5032", Implemented: true},
	{Name: "ANNOTATEMORE", Mask: capPost, Config: "annotation_enable_legacy_commands", RFC: "draft-daboo-imap-annotatemore", Implemented: false},
	{Name: "DIGEST=SHA1", Mask: capPost, RFC: "Cyrus", Implemented: true},
	{Name: "LIST-METADATA", Mask: capPost, RFC: "Cyrus", Implemented: true},
	{Name: "NO_ATOMIC_RENAME", Mask: capPost, RFC: "Cyrus", Implemented: true},
	{Name: "SCAN", Mask: capPost, RFC: "Cyrus", Implemented: true},
	{Name: "SORT=MODSEQ", Mask: capPost, RFC: "Cyrus", Implemented: true},
	{Name: "SORT=UID", Mask: capPost, RFC: "Cyrus", Implemented: true},
	{Name: "THREAD=REFS", Mask: capPost, RFC: "draft-ietf-morg-inthread", Implemented: true},
	{Name: "X-CREATEDMODSEQ", Mask: capPost, RFC: "Cyrus", Implemented: true},
	{Name: "X-REPLICATION", Mask: capPost, RFC: "Cyrus (SYNCAPPLY/SYNCGET over IMAP)", Implemented: false},
	{Name: "X-SIEVE-MAILBOX", Mask: capPost, RFC: "Cyrus (replication of sieve scripts)", Implemented: false},
	{Name: "XLIST", Mask: capPost, RFC: "Google XLIST", Implemented: true},
	{Name: "XMOVE", Mask: capPost, RFC: "Cyrus (MOVE's old name)", Implemented: true},

	// capa_response()'s conditional part.
	{Name: "STARTTLS", Mask: capBoth, Config: "tls_server_cert, tls_server_key", RFC: "RFC 3501", Implemented: true,
		Words: func(s *Session) []string {
			if s.srv.tls != nil && !s.tlsDone && !s.authed() {
				return []string{"STARTTLS"}
			}
			return nil
		}},
	{Name: "LOGINDISABLED", Mask: capBoth, Config: "allowplaintext, tls_required", RFC: "RFC 3501", Implemented: true,
		Words: func(s *Session) []string {
			if s.tlsRequired() || s.authed() || (!s.tlsDone && s.srv.flags.ExtSSF < 2 && !s.srv.cfg.Allowplaintext()) {
				return []string{"LOGINDISABLED"}
			}
			return nil
		}},
	{Name: "AUTH=", Mask: capBoth, Config: "sasl_mech_list, allowplaintext, tls_required", RFC: "RFC 3501, RFC 4959 (SASL-IR)", Implemented: true,
		Words: func(s *Session) []string {
			if s.tlsRequired() {
				return nil
			}
			// After login Cyrus shows them only while the session has a
			// strength of its own: TLS after LOGIN (an AUTHENTICATE
			// replaces it with its layer's, none here); SASL-IR only
			// before login.
			if s.authed() && (!s.tlsDone || s.saslLogin) {
				return nil
			}
			mechs := s.srv.sasl.Mechanisms(s.saslState())
			if len(mechs) == 0 {
				return nil
			}
			out := make([]string, 0, len(mechs)+1)
			for _, m := range mechs {
				out = append(out, "AUTH="+m)
			}
			if s.authed() {
				return out
			}
			return append(out, "SASL-IR")
		}},
	{Name: "UNAUTHENTICATE", Mask: capPost, RFC: "RFC 8437", Implemented: true,
		Words: func(s *Session) []string {
			if s.authed() && s.isAdmin {
				return []string{"UNAUTHENTICATE"}
			}
			return nil
		}},
	{Name: "XCONVERSATIONS", Mask: capPost, Config: "conversations", RFC: "Cyrus", Implemented: false},
	{Name: "COMPRESS=DEFLATE", Mask: capPost, RFC: "RFC 4978", Implemented: true,
		Words: func(s *Session) []string {
			if !s.compressed {
				return []string{"COMPRESS=DEFLATE"}
			}
			return nil
		}},
	{Name: "X-QUOTA=", Mask: capPost, RFC: "Cyrus (the quota resources)", Implemented: true,
		Words: func(s *Session) []string {
			return []string{"X-QUOTA=STORAGE", "X-QUOTA=MESSAGE", "X-QUOTA=X-ANNOTATION-STORAGE", "X-QUOTA=X-NUM-FOLDERS"}
		}},
	{Name: "IDLE", Mask: capPost, Config: "imapidlepoll (0 disables)", RFC: "RFC 2177", Implemented: true,
		Words: func(s *Session) []string {
			if s.srv.idleEnabled() {
				return []string{"IDLE"}
			}
			return nil
		}},
	{Name: "APPENDLIMIT=", Mask: capPost, Config: "maxmessagesize", RFC: "RFC 7889", Implemented: true,
		Words: func(s *Session) []string {
			return []string{"APPENDLIMIT=" + strconv.FormatInt(s.srv.maxMessageSize, 10)}
		}},
}

// idleEnabled is Cyrus's idle_enabled(): IDLE is offered unless
// imapidlepoll is 0 (Gyrus always has a change notifier, lib/idle).
func (s *Server) idleEnabled() bool { return s.idlePoll > 0 }

// capabilityWords returns the capabilities for the session in the given
// states (capPre for the greeting and UNAUTHENTICATE's answer, capBoth
// for CAPABILITY and the login answers), as Cyrus's capa_response does.
func (s *Session) capabilityWords(mask capMask) []string {
	out := make([]string, 0, 80)
	for i := range capabilities {
		r := &capabilities[i]
		if !r.Implemented || r.Mask&mask == 0 {
			continue
		}
		// Cyrus's conditional tail stops after SASL-IR unless the
		// post-authentication part is asked for.
		if r.Words != nil {
			if r.Mask == capPost && mask&capPost == 0 {
				continue
			}
			for _, w := range r.Words(s) {
				if !s.srv.capSuppressed(w) {
					out = append(out, w)
				}
			}
			continue
		}
		if s.srv.capSuppressed(r.Name) {
			continue
		}
		if r.Name == "MAILBOX-REFERRALS" && s.srv.cfg.ProxydDisableMailboxReferrals() {
			continue
		}
		out = append(out, r.Name)
	}
	return out
}

// capSuppressed applies suppress_capabilities (Cyrus capa_is_disabled:
// the fixed rows only, compared without case). Gyrus applies it to the
// conditional words as well, except the authentication ones, which a
// client needs to log in at all.
func (s *Server) capSuppressed(word string) bool {
	if len(s.suppressed) == 0 {
		return false
	}
	if strings.HasPrefix(word, "AUTH=") || word == "SASL-IR" || word == "STARTTLS" || word == "LOGINDISABLED" {
		return false
	}
	return s.suppressed[strings.ToUpper(word)]
}

// hasCap reports whether the session advertises name (used by ENABLE).
func (s *Session) hasCap(name string) bool {
	for _, w := range s.capabilityWords(capBoth) {
		if strings.EqualFold(w, name) {
			return true
		}
	}
	return false
}
