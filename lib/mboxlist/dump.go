package mboxlist

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The JSON form of ctl_mboxlist -d / -u (Cyrus 3.6.1 ctl_mboxlist.c,
// printed with jansson: members in insertion order, ", " and ": "
// separators, JSON_EMBED per entry).

// jsonString appends s as jansson's json_dumps prints a string; ok is
// false when s is not valid UTF-8 (jansson then has no string, and the
// member is left out).
func jsonString(b []byte, s string) ([]byte, bool) {
	if !utf8.ValidString(s) {
		return b, false
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < 0x20 {
				b = fmt.Appendf(b, "\\u%04x", c)
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"'), true
}

type jobj struct {
	b     []byte
	first bool
}

func newObj() *jobj { return &jobj{b: []byte{'{'}, first: true} }

func (o *jobj) raw(key string, val []byte) {
	kb, ok := jsonString(nil, key)
	if !ok {
		return
	}
	if !o.first {
		o.b = append(o.b, ", "...)
	}
	o.first = false
	o.b = append(o.b, kb...)
	o.b = append(o.b, ": "...)
	o.b = append(o.b, val...)
}

// str adds a string member; a string jansson cannot hold is left out,
// and so is an absent (nil) one.
func (o *jobj) str(key string, val *string) {
	if val == nil {
		return
	}
	vb, ok := jsonString(nil, *val)
	if !ok {
		return
	}
	o.raw(key, vb)
}

func (o *jobj) bytes() []byte { return append(o.b, '}') }

func sp(s string) *string { return &s }

// nonEmpty maps Cyrus's NULL (absent) strings: fields the parser leaves
// NULL when missing.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// DumpEntryJSON prints one entry as ctl_mboxlist -d does, without the
// surrounding braces: "<name>": {...}.
func DumpEntryJSON(e *Entry) []byte {
	o := newObj()
	o.str("name", sp(e.Name))
	o.str("mtime", sp(strconv.FormatInt(e.MTime, 10)))
	o.str("uidvalidity", sp(strconv.FormatUint(uint64(e.UIDValidity), 10)))
	o.str("createdmodseq", sp(strconv.FormatUint(e.CreatedModSeq, 10)))
	o.str("foldermodseq", sp(strconv.FormatUint(e.FolderModSeq, 10)))
	o.str("mbtype", sp(e.Type.String()))
	o.str("partition", nonEmpty(e.Partition))
	o.str("server", nonEmpty(e.Server))
	acl := newObj()
	seen := map[string]int{}
	var pairs [][2]string
	for _, p := range SplitACL(e.ACL) {
		if i, ok := seen[p[0]]; ok { // json_object_set replaces in place
			pairs[i][1] = p[1]
			continue
		}
		seen[p[0]] = len(pairs)
		pairs = append(pairs, p)
	}
	for _, p := range pairs {
		acl.str(p[0], sp(p[1]))
	}
	o.raw("acl", acl.bytes())
	o.str("uniqueid", nonEmpty(e.UniqueID))
	o.str("legacy_specialuse", nonEmpty(e.LegacySpecialUse))
	h := []byte{'['}
	for i, f := range e.History {
		if i > 0 {
			h = append(h, ", "...)
		}
		ho := newObj()
		ho.str("name", nonEmpty(f.Name))
		ho.str("mtime", sp(strconv.FormatInt(f.MTime, 10)))
		ho.str("uidvalidity", sp(strconv.FormatUint(uint64(f.UIDValidity), 10)))
		ho.str("createdmodseq", sp(strconv.FormatUint(f.CreatedModSeq, 10)))
		ho.str("foldermodseq", sp(strconv.FormatUint(f.FolderModSeq, 10)))
		ho.str("mbtype", sp(f.Type.String()))
		ho.str("partition", nonEmpty(f.Partition))
		h = append(h, ho.bytes()...)
	}
	h = append(h, ']')
	o.raw("name_history", h)
	out, ok := jsonString(nil, e.Name)
	if !ok {
		// jansson cannot key an object by it: Cyrus prints "{}"-less
		// nothing; we print the member under an empty key instead.
		out, _ = jsonString(nil, "")
	}
	out = append(out, ": "...)
	return append(out, o.bytes()...)
}

// DumpOptions select what Dump prints (ctl_mboxlist -d flags).
type DumpOptions struct {
	Partition     string // -p: only this partition
	Intermediates bool   // -y
	// Purge (-x) deletes each dumped entry's N record after printing it.
	Purge bool
}

// Dump writes the whole list as ctl_mboxlist -d does: "{", entries
// separated by ",\n", "\n}\n". Tombstones are included.
func (l *List) Dump(w io.Writer, o DumpOptions) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("{\n")
	sep := ""
	fl := WithTombstones
	if o.Intermediates {
		fl |= WithIntermediates
	}
	err := l.Foreach("", fl, func(e *Entry) error {
		if o.Partition != "" && o.Partition != e.Partition {
			return nil
		}
		bw.WriteString(sep)
		bw.Write(DumpEntryJSON(e))
		sep = ",\n"
		if o.Purge {
			k, err := l.LockNamespace(e.Name, lockExclusive)
			if err != nil {
				return err
			}
			err = l.update(func(t *Tx) error { return t.Put(e.Name, nil) })
			k.Release()
			return err
		}
		return nil
	})
	bw.WriteString("\n}\n")
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

// UndumpJSON loads entries from the JSON form (ctl_mboxlist -u), adding
// or replacing records; mtime is ignored (records are written now), as in
// Cyrus. Problems with single entries are reported through warn and the
// entry skipped, also as in Cyrus.
func (l *List) UndumpJSON(r io.Reader, warn func(string)) error {
	entries, err := ParseDumpJSON(r, warn)
	for _, e := range entries {
		k, lerr := l.LockNamespace(e.Name, lockExclusive)
		if lerr != nil {
			return lerr
		}
		uerr := l.update(func(t *Tx) error { return t.Put(e.Name, e) })
		k.Release()
		if uerr != nil {
			return uerr
		}
	}
	return err
}

// ParseDumpJSON reads the JSON dump form into entries (the parse half of
// UndumpJSON). Entries read before a syntax error are returned with it.
func ParseDumpJSON(r io.Reader, warn func(string)) ([]*Entry, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("parse error: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("parse error: not a JSON object")
	}
	var out []*Entry
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return out, fmt.Errorf("parse error: %v", err)
		}
		key, _ := kt.(string)
		var raw map[string]json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return out, fmt.Errorf("parse error: %v", err)
		}
		if e, skip := undumpEntry(key, raw, warn); !skip {
			out = append(out, e)
		}
	}
	return out, nil
}

func jstr(raw map[string]json.RawMessage, k string) (string, bool) {
	v, ok := raw[k]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

func undumpEntry(key string, raw map[string]json.RawMessage, warn func(string)) (*Entry, bool) {
	if len(key) >= 490 {
		warn(fmt.Sprintf("mailbox name too long: %s", key))
		return nil, true
	}
	e := &Entry{Name: key}
	if s, ok := jstr(raw, "uidvalidity"); ok {
		e.UIDValidity = uint32(atou64(s))
	} else {
		warn("missing uidvalidity for " + key)
	}
	if s, ok := jstr(raw, "createdmodseq"); ok {
		e.CreatedModSeq = atou64(s)
	} else {
		warn("missing createdmodseq for " + key)
	}
	if s, ok := jstr(raw, "foldermodseq"); ok {
		e.FolderModSeq = atou64(s)
	} else {
		warn("missing foldermodseq for " + key)
	}
	if s, ok := jstr(raw, "mbtype"); ok {
		e.Type = ParseType(s)
	} else {
		warn("missing mbtype for " + key)
	}
	if s, ok := jstr(raw, "partition"); ok {
		if len(s) >= 64 {
			warn("partition too long for " + key)
			return nil, true
		}
		e.Partition = s
	} else {
		warn("missing mbtype for " + key) // sic: Cyrus 3.6.1's message
		return nil, true
	}
	if s, ok := jstr(raw, "server"); ok {
		e.Server = s
	}
	if a, ok := raw["acl"]; ok {
		e.HasACL = true
		dec := json.NewDecoder(bytesReader(a))
		if t, err := dec.Token(); err == nil && t == json.Delim('{') {
			var pairs [][2]string
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					break
				}
				var v any
				if dec.Decode(&v) != nil {
					break
				}
				s, _ := v.(string)
				pairs = append(pairs, [2]string{fmt.Sprint(kt), s})
			}
			e.ACL = JoinACL(pairs)
		}
	}
	if s, ok := jstr(raw, "uniqueid"); ok {
		e.UniqueID = s
	} else {
		warn("missing uniqueid for " + key)
		return nil, true
	}
	if s, ok := jstr(raw, "legacy_specialuse"); ok {
		e.LegacySpecialUse = s
	}
	if h, ok := raw["name_history"]; ok {
		var items []map[string]json.RawMessage
		if json.Unmarshal(h, &items) == nil {
			for _, it := range items {
				var f Former
				f.Name, _ = jstr(it, "name")
				if s, ok := jstr(it, "mtime"); ok {
					f.MTime = int64(int32(atoi64(s)))
				}
				if s, ok := jstr(it, "uidvalidity"); ok {
					f.UIDValidity = uint32(atou64(s))
				}
				if s, ok := jstr(it, "createdmodseq"); ok {
					f.CreatedModSeq = atou64(s)
				}
				if s, ok := jstr(it, "foldermodseq"); ok {
					f.FolderModSeq = atou64(s)
				}
				if s, ok := jstr(it, "mbtype"); ok {
					f.Type = ParseType(s)
				}
				f.Partition, _ = jstr(it, "partition")
				e.History = append(e.History, f)
			}
		}
	}
	return e, false
}

// UndumpLegacy loads the pre-JSON dump format (ctl_mboxlist -u -L), one
// mailbox a line:
//
//	name TAB mbtype [server!]partition acl>uniqueid mtime uidvalidity foldermodseq createdmodseq [specialuse]
//
// where mbtype is the decimal type number and acl the tab form (it may be
// empty: "name TAB type part >uniqueid ..."). Lines without a partition
// are skipped with a message, as in Cyrus.
func (l *List) UndumpLegacy(r io.Reader, warn func(string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 16384), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		e, ok := parseLegacyLine(sc.Text())
		if !ok {
			warn(fmt.Sprintf("line %d: no partition found", line))
			continue
		}
		if len(e.Name) >= 491 {
			warn(fmt.Sprintf("line %d: mailbox name too long", line))
			continue
		}
		if len(e.Partition) >= 64 {
			warn(fmt.Sprintf("line %d: partition name too long", line))
			continue
		}
		k, err := l.LockNamespace(e.Name, lockExclusive)
		if err != nil {
			return err
		}
		err = l.update(func(t *Tx) error { return t.Put(e.Name, e) })
		k.Release()
		if err != nil {
			return err
		}
	}
	return sc.Err()
}

// parseLegacyLine reads one -L line the way Cyrus's sscanf pattern does.
func parseLegacyLine(s string) (*Entry, bool) {
	tab := strings.IndexByte(s, '\t')
	if tab <= 0 {
		return nil, false
	}
	e := &Entry{Name: s[:tab]}
	rest := s[tab+1:]
	f := strings.Fields(rest)
	if len(f) < 2 {
		return nil, false
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return nil, false
	}
	e.Type = Type(uint32(n))
	// partition: the second word
	i := strings.Index(rest, f[1]) + len(f[1])
	part := f[1]
	rest = strings.TrimLeft(rest[i:], " \t\n")
	gt := strings.IndexByte(rest, '>')
	if gt < 0 {
		return nil, false
	}
	e.ACL, e.HasACL = rest[:gt], true
	if e.ACL == "" {
		e.HasACL = false
	}
	tail := strings.Fields(rest[gt+1:])
	if len(tail) > 0 {
		e.UniqueID = tail[0]
	}
	nums := []*uint64{nil, nil, &e.FolderModSeq, &e.CreatedModSeq}
	for j := 1; j < len(tail) && j <= 4; j++ {
		switch j {
		case 1:
			e.MTime = atoi64(tail[j])
		case 2:
			e.UIDValidity = uint32(atou64(tail[j]))
		default:
			*nums[j-1] = atou64(tail[j])
		}
	}
	if len(tail) > 5 {
		e.LegacySpecialUse = strings.Join(tail[5:], " ")
	}
	if bang := strings.IndexByte(part, '!'); bang >= 0 {
		e.Server, part = part[:bang], part[bang+1:]
	}
	e.Partition = part
	return e, true
}
