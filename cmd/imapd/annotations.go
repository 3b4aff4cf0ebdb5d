package main

import (
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

// fetchAnnotations renders the ANNOTATION fetch item's value.
func (s *Session) fetchAnnotations(uid uint32, a *imapwire.AnnotationFetch) []byte {
	sel := s.sel
	anns, _ := sel.mb.Annotations(uid)
	rights := sel.rights
	var b strings.Builder
	b.WriteByte('(')
	first := true
	type vals struct{ shared, priv []byte }
	seen := map[string]*vals{}
	var order []string
	for _, an := range anns {
		match := false
		for _, p := range a.Entries {
			if annotationEntryMatch(p, an.Entry) {
				match = true
			}
		}
		if !match {
			continue
		}
		v := seen[an.Entry]
		if v == nil {
			v = &vals{}
			seen[an.Entry] = v
			order = append(order, an.Entry)
		}
		switch {
		case an.UserID == "":
			v.shared = an.Value
		case an.UserID == s.userid:
			v.priv = an.Value
		}
	}
	for _, entry := range order {
		v := seen[entry]
		var parts []string
		add := func(attr string, val []byte, ok bool) {
			if !attribWanted(a.Attribs, attr) || !ok {
				return
			}
			if strings.HasPrefix(attr, "size.") {
				parts = append(parts, attr+" \""+strconv.Itoa(len(val))+"\"")
				return
			}
			parts = append(parts, attr+" "+string(astringBytes(nil, string(val))))
		}
		if rights.Has(acl.Read) {
			add("value.shared", v.shared, v.shared != nil)
			add("size.shared", v.shared, v.shared != nil)
			add("value.priv", v.priv, v.priv != nil)
			add("size.priv", v.priv, v.priv != nil)
		}
		if len(parts) == 0 {
			continue
		}
		if !first {
			b.WriteByte(' ')
		}
		first = false
		b.Write(astringBytes(nil, entry))
		b.WriteString(" (" + strings.Join(parts, " ") + ")")
	}
	b.WriteByte(')')
	return []byte(b.String())
}

// storeAnnotations is STORE ANNOTATION (silent, as Cyrus): shared
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
	if !s.condstore {
		for _, d := range changed {
			if sel.extra[d.seq-1].told == d.oldMod {
				sel.extra[d.seq-1].told = sel.view.Msg(d.seq).ModSeq
			}
		}
	}
	s.tellPending(uid, uid, false)
	s.ok(tag)
}
