package store

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

const (
	header    = "# gyrus-sasl-secrets 1"
	tombstone = "!deleted"
	// maxLine bounds one line of the file (a user with both secrets at the
	// longest user and realm names is well under 2 KB).
	maxLine = 64 << 10
)

// Record is what the store knows about one user@realm.
type Record struct {
	User, Realm string
	Deleted     bool     // tombstone: deleted, do not fall back to sasldb2
	Secrets     []Secret // sorted by scheme; empty when Deleted
}

// Secret returns the user's secret of scheme, if any.
func (r Record) Secret(scheme string) (Secret, bool) {
	for _, s := range r.Secrets {
		if s.Scheme == scheme {
			return s, true
		}
	}
	return Secret{}, false
}

// Verify checks password against the strongest secret of the record.
func (r Record) Verify(password []byte) bool {
	if r.Deleted {
		return false
	}
	for i := len(Schemes) - 1; i >= 0; i-- {
		if s, ok := r.Secret(Schemes[i]); ok {
			return s.Verify(password)
		}
	}
	return false
}

// Key is the record's key in the file: escaped user "@" escaped realm.
func Key(user, realm string) string { return escape(user) + "@" + escape(realm) }

func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '%' || c == '@' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
	}
	return b.String(), nil
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// Parse decodes a whole store file. Records come back keyed by Key.
func Parse(data []byte) (map[string]Record, error) {
	recs := map[string]Record{}
	if len(data) == 0 {
		return recs, nil
	}
	lines := bytes.Split(data, []byte("\n"))
	if string(lines[0]) != header {
		return nil, fmt.Errorf("line 1: not a gyrus-sasl-secrets file (header %.40q)", lines[0])
	}
	if len(lines[len(lines)-1]) != 0 {
		return nil, fmt.Errorf("line %d: truncated (no final newline)", len(lines))
	}
	for n, l := range lines[1 : len(lines)-1] {
		lineNo := n + 2
		if len(l) > maxLine {
			return nil, fmt.Errorf("line %d: %d bytes is too long", lineNo, len(l))
		}
		f := strings.Split(string(l), " ")
		if len(f) < 2 {
			return nil, fmt.Errorf("line %d: no secret", lineNo)
		}
		eu, er, ok := strings.Cut(f[0], "@")
		if !ok {
			return nil, fmt.Errorf("line %d: key %.40q has no @", lineNo, f[0])
		}
		var r Record
		var err error
		if r.User, err = unescape(eu); err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		if r.Realm, err = unescape(er); err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		if Key(r.User, r.Realm) != f[0] {
			return nil, fmt.Errorf("line %d: key %.40q not in canonical form", lineNo, f[0])
		}
		if _, dup := recs[f[0]]; dup {
			return nil, fmt.Errorf("line %d: %s listed twice", lineNo, f[0])
		}
		if len(f) == 2 && f[1] == tombstone {
			r.Deleted = true
		} else {
			for _, v := range f[1:] {
				s, err := ParseSecret(v)
				if err != nil {
					return nil, fmt.Errorf("line %d: %w", lineNo, err)
				}
				if _, dup := r.Secret(s.Scheme); dup {
					return nil, fmt.Errorf("line %d: two %s secrets", lineNo, s.Scheme)
				}
				r.Secrets = append(r.Secrets, s)
			}
			sort.Slice(r.Secrets, func(i, j int) bool { return r.Secrets[i].Scheme < r.Secrets[j].Scheme })
		}
		recs[f[0]] = r
	}
	return recs, nil
}

// Format renders records as a store file, sorted by key.
func Format(recs map[string]Record) []byte {
	keys := make([]string, 0, len(recs))
	for k := range recs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString(header + "\n")
	for _, k := range keys {
		r := recs[k]
		b.WriteString(Key(r.User, r.Realm))
		if r.Deleted {
			b.WriteString(" " + tombstone)
		} else {
			for _, s := range r.Secrets {
				b.WriteString(" " + s.String())
			}
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}
