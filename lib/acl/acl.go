package acl

import (
	"errors"
	"strings"
)

// Entry is one identifier and its rights string as stored. An identifier
// starting with '-' holds negative rights (RFC 4314 §2).
type Entry struct {
	ID     string
	Rights string
}

// Negative reports whether the entry removes rights.
func (e Entry) Negative() bool { return strings.HasPrefix(e.ID, "-") }

// ACL is a mailbox's access control list in stored order.
type ACL []Entry

// ErrMalformed reports an ACL string whose tail is not id<TAB>rights<TAB>.
var ErrMalformed = errors.New("acl: malformed ACL string")

// Parse reads "id<TAB>rights<TAB>id<TAB>rights<TAB>...". Like Cyrus, it
// keeps the well-formed entries before a malformed tail and drops the
// tail; the error then is ErrMalformed.
func Parse(s string) (ACL, error) {
	var a ACL
	for s != "" {
		i := strings.IndexByte(s, '\t')
		if i < 0 {
			return a, ErrMalformed
		}
		j := strings.IndexByte(s[i+1:], '\t')
		if j < 0 {
			return a, ErrMalformed
		}
		a = append(a, Entry{ID: s[:i], Rights: s[i+1 : i+1+j]})
		s = s[i+j+2:]
	}
	return a, nil
}

// String returns the stored form, each entry followed by a TAB.
func (a ACL) String() string {
	var b strings.Builder
	for _, e := range a {
		b.WriteString(e.ID)
		b.WriteByte('\t')
		b.WriteString(e.Rights)
		b.WriteByte('\t')
	}
	return b.String()
}

// Pairs returns the entries as (id, rights) pairs: the shape of the "A"
// kvlist in mailboxes.db and cyrus.header.
func (a ACL) Pairs() [][2]string {
	out := make([][2]string, len(a))
	for i, e := range a {
		out[i] = [2]string{e.ID, e.Rights}
	}
	return out
}

// FromPairs builds an ACL from (id, rights) pairs.
func FromPairs(p [][2]string) ACL {
	a := make(ACL, len(p))
	for i, x := range p {
		a[i] = Entry{ID: x[0], Rights: x[1]}
	}
	return a
}

// Get returns the rights string of identifier (exact match; use "-id"
// for negative entries).
func (a ACL) Get(id string) (string, bool) {
	for _, e := range a {
		if e.ID == id {
			return e.Rights, true
		}
	}
	return "", false
}

// Clone returns a copy that shares nothing with a.
func (a ACL) Clone() ACL { return append(ACL(nil), a...) }
