package tlsutil

import (
	"crypto/tls"
	"fmt"
	"math/bits"
)

//go:generate go run ./internal/genciphers -o ciphers_gen.go

// osslSuite is one TLS <= 1.2 cipher suite in OpenSSL's table.
type osslSuite struct {
	ID      uint16 // IANA code point
	Name    string // OpenSSL name (what Cyrus logs)
	StdName string // IANA name
	Bits    int    // strength bits (@STRENGTH sorts on them)
}

// osslDefaultRule is what "DEFAULT" stands for at the start of an OpenSSL
// 3.0 cipher string (OSSL_default_cipher_list).
const osslDefaultRule = "ALL:!COMPLEMENTOFDEFAULT:!eNULL"

// osslDefaultSecLevel is OpenSSL 3.0's security level when neither the
// cipher string nor openssl.cnf sets one (Debian 12's openssl.cnf does not).
const osslDefaultSecLevel = 1

// suiteSet is a set of indexes into osslSuites.
type suiteSet [(len(osslSuites) + 63) / 64]uint64

func (s *suiteSet) add(i int)      { s[i/64] |= 1 << (i % 64) }
func (s *suiteSet) has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }
func (s *suiteSet) and(o *suiteSet) {
	for k := range s {
		s[k] &= o[k]
	}
}
func (s *suiteSet) empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}
func (s *suiteSet) count() (n int) {
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

var (
	aliasSets   = map[string]*suiteSet{}
	suiteByName = map[string]int{}
	suiteByID   = map[uint16]int{}
)

func init() {
	for a, idx := range osslAliases {
		var s suiteSet
		for _, i := range idx {
			s.add(int(i))
		}
		aliasSets[a] = &s
	}
	for i, s := range osslSuites {
		suiteByName[s.Name] = i // OpenSSL 3.0 does not take IANA names here
		suiteByID[s.ID] = i
	}
}

// CipherError is a cipher string OpenSSL would refuse (Cyrus then logs
// "TLS server engine: cannot load cipher list" and TLS is unavailable).
type CipherError struct {
	List   string
	Reason string
}

func (e *CipherError) Error() string {
	return fmt.Sprintf("cannot load cipher list '%s': %s", e.List, e.Reason)
}

// cipherList is the outcome of an OpenSSL cipher string.
type cipherList struct {
	Suites   []int // indexes into osslSuites, in OpenSSL's final order
	SecLevel int   // @SECLEVEL=n, or osslDefaultSecLevel
}

// Names returns the OpenSSL names of the list, in order.
func (c cipherList) Names() []string {
	out := make([]string, len(c.Suites))
	for k, i := range c.Suites {
		out[k] = osslSuites[i].Name
	}
	return out
}

// ruleList is OpenSSL's working list: every suite not killed, in order,
// with an active flag (ssl_create_cipher_list's linked list).
type ruleList struct {
	order  []int
	active [len(osslSuites)]bool
}

// moveMatching moves the entries for which pick is true to the tail (or
// the head), keeping their relative order, as OpenSSL's list operations do.
func (l *ruleList) moveMatching(pick func(int) bool, toHead bool) (moved []int) {
	var rest []int
	for _, i := range l.order {
		if pick(i) {
			moved = append(moved, i)
		} else {
			rest = append(rest, i)
		}
	}
	if toHead {
		l.order = append(moved, rest...)
	} else {
		l.order = append(rest, moved...)
	}
	return moved
}

type ruleOp byte

const (
	opAdd  ruleOp = iota // append inactive matches at the end
	opDel                // "-": deactivate, move to the front (best place for a later re-add)
	opOrd                // "+": move active matches to the end
	opKill               // "!": remove for good
)

func (l *ruleList) apply(op ruleOp, m *suiteSet) {
	switch op {
	case opAdd:
		for _, i := range l.moveMatching(func(i int) bool { return m.has(i) && !l.active[i] }, false) {
			l.active[i] = true
		}
	case opDel:
		for _, i := range l.moveMatching(func(i int) bool { return m.has(i) && l.active[i] }, true) {
			l.active[i] = false
		}
	case opOrd:
		l.moveMatching(func(i int) bool { return m.has(i) && l.active[i] }, false)
	case opKill:
		kept := l.order[:0]
		for _, i := range l.order {
			if m.has(i) {
				l.active[i] = false
			} else {
				kept = append(kept, i)
			}
		}
		l.order = kept
	}
}

// strengthSort is @STRENGTH: active suites ordered by strength bits,
// strongest first, stable.
func (l *ruleList) strengthSort() {
	max := -1
	for _, i := range l.order {
		if l.active[i] && osslSuites[i].Bits > max {
			max = osslSuites[i].Bits
		}
	}
	for b := max; b >= 0; b-- {
		l.moveMatching(func(i int) bool { return l.active[i] && osslSuites[i].Bits == b }, false)
	}
}

func isSep(c byte) bool { return c == ':' || c == ' ' || c == ';' || c == ',' }

func isNameChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '='
}

// lookupName finds a suite or alias name (case-sensitive, like OpenSSL).
func lookupName(name string) (*suiteSet, bool) {
	if i, ok := suiteByName[name]; ok {
		var s suiteSet
		s.add(i)
		return &s, true
	}
	if s, ok := aliasSets[name]; ok {
		c := *s
		return &c, true
	}
	return nil, false
}

// processRules applies one rule string to l, with OpenSSL 3.0's grammar
// (ciphers(1)): elements separated by ':', ' ', ';' or ','; each element
// optionally prefixed by '!', '-', '+' or '@'; names joined by '+' select
// the suites all of them select. Unknown names select nothing; a
// character that can neither start a name nor separate is an error.
func processRules(l *ruleList, s string, secLevel *int) error {
	p := 0
	for p < len(s) {
		c := s[p]
		op := opAdd
		special := false
		switch c {
		case '-':
			op, p = opDel, p+1
		case '+':
			op, p = opOrd, p+1
		case '!':
			op, p = opKill, p+1
		case '@':
			special, p = true, p+1
		}
		if op == opAdd && !special && isSep(c) {
			p++
			continue
		}
		var match *suiteSet
		found := false
		var word string
		for {
			start := p
			for p < len(s) && isNameChar(s[p]) {
				p++
			}
			if p == start {
				return fmt.Errorf("invalid command at %q", s[start:])
			}
			word = s[start:p]
			if special {
				break
			}
			multi := p < len(s) && s[p] == '+'
			if multi {
				p++
			}
			set, ok := lookupName(word)
			if !ok {
				found = false
				break
			}
			if match == nil {
				match = set
			} else {
				match.and(set)
			}
			found = true
			if !multi {
				break
			}
		}
		switch {
		case special:
			switch {
			case word == "STRENGTH":
				l.strengthSort()
			case len(word) == 10 && word[:9] == "SECLEVEL=" && word[9] >= '0' && word[9] <= '5':
				*secLevel = int(word[9] - '0')
			default:
				return fmt.Errorf("invalid command @%s", word)
			}
			for p < len(s) && !isSep(s[p]) {
				p++
			}
		case found:
			l.apply(op, match)
		default:
			for p < len(s) && !isSep(s[p]) {
				p++
			}
		}
	}
	return nil
}

// parseCipherString interprets an OpenSSL cipher string (tls_ciphers) the
// way OpenSSL 3.0's SSL_CTX_set_cipher_list does, over OpenSSL's own suite
// table: the result is the TLS <= 1.2 list OpenSSL would use, before the
// security level filters it. An empty result is an error, as in OpenSSL.
func parseCipherString(s string) (cipherList, error) {
	l := &ruleList{order: make([]int, len(osslSuites))}
	for i := range l.order {
		l.order[i] = i
	}
	level := osslDefaultSecLevel
	rest := s
	if len(rest) >= 7 && rest[:7] == "DEFAULT" {
		if err := processRules(l, osslDefaultRule, &level); err != nil {
			return cipherList{}, &CipherError{s, err.Error()}
		}
		rest = rest[7:]
		if len(rest) > 0 && rest[0] == ':' {
			rest = rest[1:]
		}
	}
	if err := processRules(l, rest, &level); err != nil {
		return cipherList{}, &CipherError{s, err.Error()}
	}
	var out cipherList
	out.SecLevel = level
	for _, i := range l.order {
		if l.active[i] {
			out.Suites = append(out.Suites, i)
		}
	}
	if len(out.Suites) == 0 {
		return cipherList{}, &CipherError{s, "no cipher match"}
	}
	return out, nil
}

// goSuites is the set of TLS <= 1.2 suites that may be enabled: those
// crypto/tls implements and calls secure (tls.CipherSuites), plus the four
// AES suites with RSA key exchange, which Go files under "insecure" for
// their lack of forward secrecy but which OpenSSL (and so Cyrus) offers
// in DEFAULT; "!kRSA" or @SECLEVEL=3 drops them as in OpenSSL. Go's other
// "insecure" suites are never enabled: RC4 and 3DES (absent from OpenSSL
// 3.0 anyway) and the CBC-SHA256 suites, whose Go code is not
// constant-time (Lucky13).
var goSuites = func() map[uint16]bool {
	m := map[uint16]bool{
		tls.TLS_RSA_WITH_AES_128_CBC_SHA:    true,
		tls.TLS_RSA_WITH_AES_256_CBC_SHA:    true,
		tls.TLS_RSA_WITH_AES_128_GCM_SHA256: true,
		tls.TLS_RSA_WITH_AES_256_GCM_SHA384: true,
	}
	for _, cs := range tls.CipherSuites() {
		for _, v := range cs.SupportedVersions {
			if v <= tls.VersionTLS12 {
				m[cs.ID] = true
			}
		}
	}
	return m
}()

// goCipherSuites maps an OpenSSL result to crypto/tls suite IDs, in
// OpenSSL's order, applying what the security level takes away: at level
// 3 and above, suites without forward secrecy (kRSA).
func goCipherSuites(c cipherList) []uint16 {
	krsa := aliasSets["kRSA"]
	var out []uint16
	for _, i := range c.Suites {
		if !goSuites[osslSuites[i].ID] {
			continue
		}
		if c.SecLevel >= 3 && krsa != nil && krsa.has(i) {
			continue
		}
		out = append(out, osslSuites[i].ID)
	}
	return out
}
