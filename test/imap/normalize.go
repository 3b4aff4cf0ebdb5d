package imap

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Normalizer turns what must differ between two runs (or between Cyrus
// and Gyrus) into stable tokens, so that transcripts can be compared
// byte for byte. A volatile value of a class (UIDVALIDITY, MAILBOXID...)
// becomes <<CLASS.n>>, n counting distinct values in order of first
// appearance in the script's transcript: two equal values stay equal,
// two different values stay different. Client lines may name a token;
// Expand puts the run's real value back (a QRESYNC SELECT needs the real
// UIDVALIDITY).
//
// One Normalizer serves one run of one script.
type Normalizer struct {
	now   time.Time
	diffs *Differences
	vals  map[string]map[string]string // class -> value -> token
	back  map[string]string            // token -> value
	count map[string]int
	// words are known values replaced wherever they appear again
	// (a MAILBOXID inside a METADATA value, a UIDVALIDITY in a URL).
	words []string
}

// NewNormalizer returns a normalizer for one run started at now.
func NewNormalizer(now time.Time, d *Differences) *Normalizer {
	if d == nil {
		d = &Differences{}
	}
	return &Normalizer{now: now, diffs: d, vals: map[string]map[string]string{}, back: map[string]string{}, count: map[string]int{}}
}

func (n *Normalizer) token(class, val string) string {
	m := n.vals[class]
	if m == nil {
		m = map[string]string{}
		n.vals[class] = m
	}
	if t, ok := m[val]; ok {
		return t
	}
	n.count[class]++
	t := fmt.Sprintf("<<%s.%d>>", class, n.count[class])
	m[val] = t
	n.back[t] = val
	if len(val) >= 6 {
		n.words = append(n.words, val)
		sort.Slice(n.words, func(i, j int) bool { return len(n.words[i]) > len(n.words[j]) })
	}
	return t
}

var (
	// Volatile values with a class: the submatch named v is replaced.
	classRules = []struct {
		class string
		re    *regexp.Regexp
	}{
		// UIDVALIDITY is chosen from the clock when a mailbox is created.
		{"UIDVALIDITY", regexp.MustCompile(`\b(?:UIDVALIDITY|APPENDUID|COPYUID) (?P<v>[0-9]+)`)},
		{"UIDVALIDITY", regexp.MustCompile(`;UIDVALIDITY=(?P<v>[0-9]+)`)},
		// Object ids (RFC 8474) are random (MAILBOXID) or derived from
		// ids the two servers need not share.
		{"MAILBOXID", regexp.MustCompile(`\bMAILBOXID \((?P<v>[^)\s]+)\)`)},
		// Cyrus shows the same id as a metadata entry.
		{"MAILBOXID", regexp.MustCompile(`"/shared/vendor/cmu/cyrus-imapd/uniqueid" "(?P<v>[^"]+)"`)},
		{"EMAILID", regexp.MustCompile(`\bEMAILID \((?P<v>[^)\s]+)\)`)},
		{"THREADID", regexp.MustCompile(`\bTHREADID \((?P<v>[^)\s]+)\)`)},
		// URLAUTH (RFC 4467) tokens are made from a random key.
		{"URLAUTH", regexp.MustCompile(`:internal:(?P<v>[0-9a-fA-F]+)`)},
		// A delayed DELETE renames to DELETED.<name>.<hex time>.
		{"DELETED", regexp.MustCompile(`\bDELETED[./][^\s"]*?[./](?P<v>[0-9A-F]{8})\b`)},
	}
	reSessionID = regexp.MustCompile(`SESSIONID=<[^>\s]*>`)
	reTiming    = regexp.MustCompile(`\b[0-9]+\.[0-9]+(?: \+ [0-9]+\.[0-9]+)* (secs?)\b`)
	reBanner    = regexp.MustCompile(`\b[CG]yrus IMAP\S* v?[0-9]\S*`)
	reIMAPDate  = regexp.MustCompile(`\b[ 0-9]?[0-9]-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}`)
	reMailDate  = regexp.MustCompile(`\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?[0-9]{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}`)
	reISODate   = regexp.MustCompile(`\b[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?`)
	reIDLine    = regexp.MustCompile(`^\* ID \(`)
	reQuoted    = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|NIL`)
	reCapa      = regexp.MustCompile(`(\* CAPABILITY |\[CAPABILITY )([^\]]*)`)
	reToken     = regexp.MustCompile(`<<[A-Z]+\.[0-9]+>>`)
)

// nearNow is how far from the run's start a date may be to count as
// "the time of the run" (INTERNALDATE of a delivery, SAVEDATE, a Date:
// header the server added).
const nearNow = 72 * time.Hour

func (n *Normalizer) dates(s string) string {
	try := func(re *regexp.Regexp, layouts ...string) {
		s = re.ReplaceAllStringFunc(s, func(m string) string {
			v := strings.TrimSpace(m)
			for _, l := range layouts {
				if t, err := time.Parse(l, v); err == nil {
					d := t.Sub(n.now)
					if d < nearNow && d > -nearNow {
						return strings.Repeat(" ", len(m)-len(v)) + "<<NOW>>"
					}
					return m
				}
			}
			return m
		})
	}
	try(reIMAPDate, "2-Jan-2006 15:04:05 -0700", "02-Jan-2006 15:04:05 -0700")
	try(reMailDate, "Mon, 2 Jan 2006 15:04:05 -0700", "2 Jan 2006 15:04:05 -0700")
	try(reISODate, time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05-0700")
	return s
}

// Text normalizes one text segment of a response. greeting is true for
// the first response of a connection.
func (n *Normalizer) Text(s string, greeting bool) string {
	for _, r := range classRules {
		idx := r.re.SubexpIndex("v")
		s = replaceSub(r.re, s, idx, func(v string) string {
			if v == "NIL" {
				return v
			}
			return n.token(r.class, v)
		})
	}
	s = n.known(s)
	s = reSessionID.ReplaceAllString(s, "SESSIONID=<<SESSIONID>>")
	s = reTiming.ReplaceAllString(s, "<<T>> $1")
	if greeting {
		s = reBanner.ReplaceAllString(s, "<<SERVER>>")
	}
	if reIDLine.MatchString(s) {
		s = n.idValues(s)
	}
	s = n.capabilities(s)
	return n.dates(s)
}

// Literal normalizes the content of a literal: only dates of the run and
// values already seen in this script.
func (n *Normalizer) Literal(b []byte) []byte {
	s := n.known(string(b))
	s = reSessionID.ReplaceAllString(s, "SESSIONID=<<SESSIONID>>")
	return []byte(n.dates(s))
}

// known replaces values already given a token wherever they reappear.
func (n *Normalizer) known(s string) string {
	for _, w := range n.words {
		if strings.Contains(s, w) {
			s = replaceWord(s, w, n.findToken(w))
		}
	}
	return s
}

func (n *Normalizer) findToken(v string) string {
	for _, m := range n.vals {
		if t, ok := m[v]; ok {
			return t
		}
	}
	return v
}

// replaceWord replaces w where it is not part of a longer word.
func replaceWord(s, w, repl string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, w)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		before := i == 0 || !isWordByte(s[i-1])
		after := i+len(w) == len(s) || !isWordByte(s[i+len(w)])
		b.WriteString(s[:i])
		if before && after {
			b.WriteString(repl)
		} else {
			b.WriteString(w)
		}
		s = s[i+len(w):]
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// replaceSub replaces submatch idx of every match of re.
func replaceSub(re *regexp.Regexp, s string, idx int, f func(string) string) string {
	ms := re.FindAllStringSubmatchIndex(s, -1)
	if ms == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		a, z := m[2*idx], m[2*idx+1]
		if a < 0 {
			continue
		}
		b.WriteString(s[last:a])
		b.WriteString(f(s[a:z]))
		last = z
	}
	b.WriteString(s[last:])
	return b.String()
}

// idValues keeps the field names of an ID response and hides the values
// (RFC 2971: they describe the implementation), except those of fields
// listed with "id-compare".
func (n *Normalizer) idValues(s string) string {
	items := reQuoted.FindAllStringIndex(s, -1)
	var b strings.Builder
	last := 0
	for i := 1; i < len(items); i += 2 {
		key := strings.ToLower(strings.Trim(s[items[i-1][0]:items[i-1][1]], `"`))
		if _, keep := n.diffs.IDKeep[key]; keep {
			continue
		}
		b.WriteString(s[last:items[i][0]])
		b.WriteString(`"<<ID>>"`)
		last = items[i][1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// capabilities removes the capabilities listed as deliberate differences.
func (n *Normalizer) capabilities(s string) string {
	if len(n.diffs.Capabilities) == 0 {
		return s
	}
	return replaceSub(reCapa, s, 2, func(list string) string {
		f := strings.Fields(list)
		out := f[:0]
		for _, c := range f {
			if _, drop := n.diffs.Capabilities[strings.ToUpper(c)]; !drop {
				out = append(out, c)
			}
		}
		return strings.Join(out, " ")
	})
}

// Expand replaces tokens in a client line by this run's real values.
func (n *Normalizer) Expand(s string) (string, error) {
	var err error
	out := reToken.ReplaceAllStringFunc(s, func(t string) string {
		v, ok := n.back[t]
		if !ok {
			err = fmt.Errorf("token %s has not appeared in the transcript yet", t)
			return t
		}
		return v
	})
	return out, err
}

// Differences are the deliberate differences between Gyrus and Cyrus
// that the comparison ignores (differences.txt).
type Differences struct {
	// Capabilities maps an upper-case capability to the reason it is
	// left out of both sides' lists.
	Capabilities map[string]string
	// IDKeep are ID fields (lower case) whose values are compared; all
	// others are hidden.
	IDKeep map[string]string
}

// LoadDifferences reads differences.txt: lines "capability NAME -- reason"
// or "id-compare FIELD -- reason"; '#' starts a comment line.
func LoadDifferences(path string) (*Differences, error) {
	d := &Differences{Capabilities: map[string]string{}, IDKeep: map[string]string{}}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	ln := 0
	for sc.Scan() {
		ln++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		what, reason, ok := strings.Cut(line, " -- ")
		f := strings.Fields(what)
		if !ok || strings.TrimSpace(reason) == "" || len(f) != 2 {
			return nil, fmt.Errorf("%s:%d: want \"KIND NAME -- reason\"", path, ln)
		}
		switch f[0] {
		case "capability":
			d.Capabilities[strings.ToUpper(f[1])] = reason
		case "id-compare":
			d.IDKeep[strings.ToLower(f[1])] = reason
		default:
			return nil, fmt.Errorf("%s:%d: unknown kind %q", path, ln, f[0])
		}
	}
	return d, nil
}
