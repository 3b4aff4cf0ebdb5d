package imap

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
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
// A UIDVALIDITY is counted per mailbox as well as per value: Cyrus gives
// two mailboxes created in the same second the same UIDVALIDITY or not,
// depending on the clock, so equality across mailboxes is not checked.
// The mailbox is the one a STATUS or URL names, else the one the
// command being answered names (SetCommand). The hex stamp of a deleted
// mailbox (the time of the DELETE) is counted per deleted mailbox too.
//
// One Normalizer serves one run of one script.
type Normalizer struct {
	now     time.Time
	diffs   *Differences
	vals    map[string]string // class, context and value -> token
	back    map[string]string // token -> value
	count   map[string]int
	mailbox string // the mailbox the current command names
	// words are known values replaced wherever they appear again
	// (a MAILBOXID inside a METADATA value, a UIDVALIDITY in a URL),
	// by the first token given to them.
	words   []string
	wordTok map[string]string
}

// NewNormalizer returns a normalizer for one run started at now.
func NewNormalizer(now time.Time, d *Differences) *Normalizer {
	if d == nil {
		d = &Differences{}
	}
	return &Normalizer{now: now, diffs: d, vals: map[string]string{}, back: map[string]string{},
		count: map[string]int{}, wordTok: map[string]string{}}
}

// SetCommand tells the normalizer which client command the following
// responses answer.
func (n *Normalizer) SetCommand(cmd string) { n.mailbox = commandMailbox(cmd) }

func (n *Normalizer) token(class, context, val string) string {
	key := class + "\x00" + context + "\x00" + val
	if context == "" {
		// no mailbox known: any earlier token of the value
		if t, ok := n.wordTok[class+"\x00"+val]; ok {
			return t
		}
	}
	if t, ok := n.vals[key]; ok {
		return t
	}
	n.count[class]++
	t := fmt.Sprintf("<<%s.%d>>", class, n.count[class])
	n.vals[key] = t
	n.back[t] = val
	if _, ok := n.wordTok[class+"\x00"+val]; !ok {
		n.wordTok[class+"\x00"+val] = t
		if len(val) >= 6 {
			n.wordTok["\x00"+val] = t
			n.words = append(n.words, val)
			sort.SliceStable(n.words, func(i, j int) bool { return len(n.words[i]) > len(n.words[j]) })
		}
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
	reSessionID  = regexp.MustCompile(`SESSIONID=<[^>\s]*>`)
	reTiming     = regexp.MustCompile(`\b[0-9]+\.[0-9]+(?: \+ [0-9]+\.[0-9]+)* (secs?)\b`)
	reBanner     = regexp.MustCompile(`\b[CG]yrus IMAP\S* v?[0-9]\S*`)
	reIMAPDate   = regexp.MustCompile(`[ 0-9]?[0-9]-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}`)
	reMailDate   = regexp.MustCompile(`\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?[0-9]{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}`)
	reISODate    = regexp.MustCompile(`\b[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?`)
	reIDLine     = regexp.MustCompile(`^\* ID \(`)
	reQuoted     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|NIL`)
	reCapa       = regexp.MustCompile(`(\* CAPABILITY |\[CAPABILITY )([^\]]*)`)
	reToken      = regexp.MustCompile(`<<[A-Z]+\.[0-9]+>>`)
	reStatusLine = regexp.MustCompile(`^\* STATUS ("(?:[^"\\]|\\.)*"|[^ (]+) \(`)
)

// canonMailbox is a mailbox name as an atom or quoted string, unquoted,
// with INBOX in upper case.
func canonMailbox(a string) string {
	if u, err := strconv.Unquote(a); err == nil && strings.HasPrefix(a, `"`) {
		a = u
	}
	if strings.EqualFold(a, "INBOX") {
		return "INBOX"
	}
	return a
}

// urlMailbox is the mailbox of an IMAP URL that ends at s (RFC 5092:
// the path segment before ";UIDVALIDITY=").
func urlMailbox(s string) string {
	i := strings.LastIndexAny(s, "/ \"")
	return canonMailbox(s[i+1:])
}

// commandMailbox is the mailbox a command's responses are about: the
// first argument of SELECT, EXAMINE, APPEND and STATUS, the last of COPY
// and MOVE (with or without UID).
func commandMailbox(cmd string) string {
	args := splitArgs(cmd)
	if len(args) < 3 {
		return ""
	}
	verb, rest := strings.ToUpper(args[1]), args[2:]
	if verb == "UID" {
		verb, rest = strings.ToUpper(args[2]), args[3:]
	}
	switch verb {
	case "SELECT", "EXAMINE", "APPEND", "STATUS":
		if len(rest) > 0 {
			return canonMailbox(rest[0])
		}
	case "COPY", "MOVE", "XMOVE":
		if len(rest) > 1 {
			return canonMailbox(rest[1])
		}
	}
	return ""
}

// splitArgs splits a client line at spaces outside quoted strings; an
// inline literal {"..."} counts as the quoted string inside it.
func splitArgs(s string) []string {
	var out []string
	for s = strings.TrimLeft(s, " "); s != ""; s = strings.TrimLeft(s, " ") {
		if strings.HasPrefix(s, `{"`) {
			s = s[1:]
		}
		end := 0
		if s[0] == '"' {
			end = 1
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					end++
				}
				end++
			}
			end = min(end+1, len(s))
		} else {
			end = strings.IndexByte(s, ' ')
			if end < 0 {
				end = len(s)
			}
		}
		out = append(out, strings.TrimSuffix(strings.TrimSuffix(s[:end], "}"), "+"))
		s = s[end:]
		s = strings.TrimPrefix(strings.TrimPrefix(s, "+"), "}")
	}
	return out
}

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
	statusBox := ""
	if m := reStatusLine.FindStringSubmatch(s); m != nil {
		statusBox = canonMailbox(m[1])
	}
	for _, r := range classRules {
		idx := r.re.SubexpIndex("v")
		s = replaceSubAt(r.re, s, idx, func(v string, at int) string {
			if v == "NIL" {
				return v
			}
			context := ""
			if r.class == "DELETED" {
				// the stamp is the time of the DELETE: count it per
				// deleted mailbox, not per value
				context = s[strings.LastIndex(s[:at], "DELETED"):at]
			}
			if r.class == "UIDVALIDITY" {
				switch {
				case strings.HasPrefix(s[max(0, at-len(";UIDVALIDITY=")):at], ";UIDVALIDITY="):
					context = urlMailbox(s[:at-len(";UIDVALIDITY=")])
				case statusBox != "":
					context = statusBox
				default:
					context = n.mailbox
				}
			}
			return n.token(r.class, context, v)
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
			s = replaceWord(s, w, n.wordTok["\x00"+w])
		}
	}
	return s
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
	return replaceSubAt(re, s, idx, func(v string, _ int) string { return f(v) })
}

// replaceSubAt is replaceSub telling f where the submatch starts in s.
func replaceSubAt(re *regexp.Regexp, s string, idx int, f func(string, int) string) string {
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
		b.WriteString(f(s[a:z], a))
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
	return dropCapabilities(s, n.diffs.Capabilities)
}

// dropCapabilities removes the words named in any of drop (upper case)
// from the CAPABILITY lists of s (an untagged CAPABILITY response or a
// [CAPABILITY ...] response code); everything else is left as it is.
func dropCapabilities(s string, drop ...map[string]string) string {
	empty := true
	for _, d := range drop {
		empty = empty && len(d) == 0
	}
	if empty {
		return s
	}
	return replaceSub(reCapa, s, 2, func(list string) string {
		f := strings.Fields(list)
		out := f[:0]
	next:
		for _, c := range f {
			for _, d := range drop {
				if _, ok := d[strings.ToUpper(c)]; ok {
					continue next
				}
			}
			out = append(out, c)
		}
		return strings.Join(out, " ")
	})
}

// Expected returns the golden transcript as Gyrus is expected to answer
// it: the capabilities listed as "capability" (both sides) or
// "not-offered" (Cyrus only) are removed from its CAPABILITY lists. The
// lines Gyrus sends are not touched by "not-offered", so Gyrus starting
// to advertise such a capability shows as a difference.
func (d *Differences) Expected(golden *Transcript) *Transcript {
	out := &Transcript{Blocks: make([]Block, len(golden.Blocks))}
	for i, bl := range golden.Blocks {
		nb := Block{Line: bl.Line, Head: bl.Head, Lines: make([]string, len(bl.Lines))}
		for j, l := range bl.Lines {
			if strings.HasPrefix(l, "S") && strings.Contains(l, "CAPABILITY ") {
				l = dropCapabilities(l, d.Capabilities, d.NotOffered)
			}
			nb.Lines[j] = l
		}
		out.Blocks[i] = nb
	}
	return out
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
	// NotOffered maps an upper-case capability that Cyrus advertises and
	// Gyrus deliberately does not to the reason; it is removed from the
	// expected (golden) lines only.
	NotOffered map[string]string
	// IDKeep are ID fields (lower case) whose values are compared; all
	// others are hidden.
	IDKeep map[string]string
}

// LoadDifferences reads differences.txt: lines "capability NAME -- reason",
// "not-offered NAME -- reason" or "id-compare FIELD -- reason"; '#'
// starts a comment line.
func LoadDifferences(path string) (*Differences, error) {
	d := &Differences{Capabilities: map[string]string{}, NotOffered: map[string]string{}, IDKeep: map[string]string{}}
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
		case "not-offered":
			d.NotOffered[strings.ToUpper(f[1])] = reason
		case "id-compare":
			d.IDKeep[strings.ToLower(f[1])] = reason
		default:
			return nil, fmt.Errorf("%s:%d: unknown kind %q", path, ln, f[0])
		}
	}
	return d, nil
}
