package main

import (
	"bytes"
	"strconv"
	"strings"

	"gyrus/lib/acl"
	"gyrus/lib/imapwire"
	"gyrus/lib/mailbox/index"
)

// Per-message annotations (RFC 5257 ANNOTATE-EXPERIMENT-1): FETCH
// ANNOTATION, STORE ANNOTATION, SEARCH ANNOTATION. Values live in the
// mailbox's cyrus.annotations (lib/mailbox); attributes are value.shared,
// value.priv, size.shared, size.priv (and value/size for both).

// annotationEntryMatch matches an entry pattern ('*' anything, '%'
// anything but '/') against an entry name.
func annotationEntryMatch(pattern, name string) bool {
	if pattern == "" {
		return name == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(name); i++ {
			if annotationEntryMatch(pattern[1:], name[i:]) {
				return true
			}
		}
		return false
	case '%':
		for i := 0; i <= len(name); i++ {
			if annotationEntryMatch(pattern[1:], name[i:]) {
				return true
			}
			if i < len(name) && name[i] == '/' {
				return false
			}
		}
		return false
	}
	if name == "" || !strings.EqualFold(pattern[:1], name[:1]) {
		return false
	}
	return annotationEntryMatch(pattern[1:], name[1:])
}

// attribWanted expands "value" to both scopes.
func attribWanted(attribs []string, a string) bool {
	for _, w := range attribs {
		w = strings.ToLower(w)
		if w == a || (w == "value" && strings.HasPrefix(a, "value.")) ||
			(w == "size" && strings.HasPrefix(a, "size.")) || w == "*" {
			return true
		}
	}
	return false
}

// fetchAnnotations renders the ANNOTATION fetch item's value as Cyrus's
// annotate_state_fetch with index.c fetch_annotation_response: for each
// asked entry pattern, the stored values in database order (the shared
// one before the private one), each as value.* and/or size.* as asked;
// for an entry named without wildcards, the asked scopes not stored
// follow as NIL (size "0"), private before shared. An entry already
// returned by an earlier pattern is not repeated. Values are quoted
// strings or literals (prot_printmap); nothing is shown without "r".
func (s *Session) fetchAnnotations(uid uint32, a *imapwire.AnnotationFetch) []byte {
	sel := s.sel
	var b bytes.Buffer
	w := imapwire.NewWriter(&b)
	w.RawString("(")
	if !sel.rights.Has(acl.Read) && !s.isAdmin {
		w.RawString(")")
		w.Flush()
		return b.Bytes()
	}
	anns, _ := sel.mb.Annotations(uid)
	wantVS, wantSS := attribWanted(a.Attribs, "value.shared"), attribWanted(a.Attribs, "size.shared")
	wantVP, wantSP := attribWanted(a.Attribs, "value.priv"), attribWanted(a.Attribs, "size.priv")
	returned := map[string]bool{} // entry + "\x00" + userid
	first := true
	for _, pat := range a.Entries {
		var cur string // the entry whose attributes are being gathered
		var parts []func()
		flush := func() {
			if len(parts) == 0 {
				return
			}
			if !first {
				w.RawString(" ")
			}
			first = false
			w.AString(cur)
			for i, f := range parts {
				if i == 0 {
					w.RawString(" (")
				} else {
					w.RawString(" ")
				}
				f()
			}
			w.RawString(")")
			parts = nil
		}
		add := func(entry, userid string, val []byte, ok bool) {
			if entry != cur {
				flush()
				cur = entry
			}
			key := entry + "\x00" + userid
			if returned[key] {
				return
			}
			returned[key] = true
			vattr, sattr, wv, ws := "value.priv", "size.priv", wantVP, wantSP
			if userid == "" {
				vattr, sattr, wv, ws = "value.shared", "size.shared", wantVS, wantSS
			}
			if wv {
				parts = append(parts, func() { w.RawString(vattr + " "); w.NString(string(val), ok) })
			}
			if ws {
				n := strconv.Itoa(len(val))
				parts = append(parts, func() { w.RawString(sattr + " "); w.String(n) })
			}
		}
		foundShared, foundPriv := false, false
		for _, an := range anns {
			if !annotationEntryMatch(pat, an.Entry) {
				continue
			}
			switch an.UserID {
			case "":
				foundShared = true
			case s.userid:
				foundPriv = true
			default:
				continue
			}
			add(an.Entry, an.UserID, an.Value, len(an.Value) > 0)
		}
		if !strings.ContainsAny(pat, "*%") {
			if !foundPriv && (wantVP || wantSP) {
				add(pat, s.userid, nil, false)
			}
			if !foundShared && (wantVS || wantSS) {
				add(pat, "", nil, false)
			}
		}
		flush()
	}
	w.RawString(")")
	w.Flush()
	return b.Bytes()
}

// storeAnnotations is STORE ANNOTATION: shared
// values need 'n', private ones 'r'.
func (s *Session) storeAnnotations(tag string, uid bool, a *imapwire.Store) {
	sel := s.sel
	if err := s.refresh(); err != nil {
		s.no(tag, err)
		return
	}
	seqs := s.matchSeqs(a.Set, uid)
	for _, an := range a.Annotations {
		if index.IsVirtualAnnotation(an.Entry) {
			s.tellPending(uid, uid, false)
			s.no(tag, errPermission)
			return
		}
		for _, v := range an.Values {
			need := acl.Read
			if strings.EqualFold(v.Attrib, "value.shared") {
				need = acl.AnnotateMsg
			}
			if !sel.rights.Has(need) && !s.isAdmin {
				s.tellPending(uid, uid, false)
				s.no(tag, errPermission)
				return
			}
		}
	}
	tx, err := sel.mb.Begin()
	if err != nil {
		s.no(tag, err)
		return
	}
	type done struct {
		seq    uint32
		oldMod uint64
	}
	var changed []done
	for _, q := range seqs {
		m := sel.view.Msg(q)
		if m.Expunged() {
			continue
		}
		for _, an := range a.Annotations {
			for _, v := range an.Values {
				userid := ""
				switch strings.ToLower(v.Attrib) {
				case "value.shared":
				case "value.priv":
					userid = s.userid
				default:
					tx.Abort()
					s.tellPending(uid, uid, false)
					s.no(tag, errBadAnnotAttrib)
					return
				}
				val := v.Value
				if val == nil {
					val = []byte{}
				}
				if err := tx.SetAnnotation(m.UID, an.Entry, userid, val); err != nil {
					tx.Abort()
					s.tellPending(uid, uid, false)
					s.no(tag, err)
					return
				}
			}
		}
		changed = append(changed, done{q, m.ModSeq})
	}
	if err := tx.Commit(); err != nil {
		s.no(tag, err)
		return
	}
	s.refresh()
	// the new MODSEQ makes the messages changed ones: Cyrus reports their
	// flags like any other change ("* 1 FETCH (FLAGS (\Recent))")
	s.tellPending(uid, uid, false)
	s.ok(tag)
}
