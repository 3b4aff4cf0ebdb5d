package imap

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Transcript is what one run of a script produced: one block per step,
// the step as written followed by the normalized server lines.
//
// Server lines of session n are written
//
//	Sn: text          a response (or its first segment, up to a literal)
//	Sn| text          a CRLF-terminated line inside a literal
//	Sn|- text         the end of a literal that does not end in CRLF
//	Sn+ text          the response's text after a literal
//	Sn closed         the server closed the connection
//
// and "L: rcpt code" for LMTP replies, "!! text" for a failure of the
// run itself (timeout, refused setup).
type Transcript struct {
	Blocks []Block
}

// Block is one step's share of a transcript.
type Block struct {
	Line  int    // script line (0 when parsed from a golden file)
	Head  string // the step as written in the script
	Lines []string
}

var reServerLine = regexp.MustCompile(`^(S[0-9]+[:|+ ]|L: |!! )`)

// Format renders a transcript as a golden file.
func (t *Transcript) Format(header string) string {
	var b strings.Builder
	if header != "" {
		for _, h := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
			b.WriteString("# " + h + "\n")
		}
	}
	for _, bl := range t.Blocks {
		b.WriteString(bl.Head + "\n")
		for _, l := range bl.Lines {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// ParseTranscript reads a golden file.
func ParseTranscript(data string) (*Transcript, error) {
	t := &Transcript{}
	for i, l := range strings.Split(strings.TrimSuffix(data, "\n"), "\n") {
		if strings.HasPrefix(l, "# ") || l == "#" || (len(t.Blocks) == 0 && l == "") {
			continue
		}
		if reServerLine.MatchString(l) {
			if len(t.Blocks) == 0 {
				return nil, fmt.Errorf("line %d: server line before any step", i+1)
			}
			bl := &t.Blocks[len(t.Blocks)-1]
			bl.Lines = append(bl.Lines, l)
			continue
		}
		t.Blocks = append(t.Blocks, Block{Head: l})
	}
	return t, nil
}

// Failed returns the "!!" lines of a run.
func (t *Transcript) Failed() []string {
	var out []string
	for _, bl := range t.Blocks {
		for _, l := range bl.Lines {
			if strings.HasPrefix(l, "!! ") {
				out = append(out, bl.Head+": "+l)
			}
		}
	}
	return out
}

// renderResponse writes a normalized response as transcript lines.
func renderResponse(session int, r *Response, n *Normalizer, greeting bool) []string {
	var out []string
	for i, t := range r.Texts {
		prefix := fmt.Sprintf("S%d: ", session)
		if i > 0 {
			prefix = fmt.Sprintf("S%d+ ", session)
		}
		out = append(out, prefix+escapeText(n.Text(t, greeting)))
		if i < len(r.Lits) {
			out = append(out, renderLiteral(session, n.Literal(r.Lits[i]))...)
		}
	}
	return out
}

func renderLiteral(session int, b []byte) []string {
	var out []string
	parts := strings.Split(string(b), "\r\n")
	for i, p := range parts {
		switch {
		case i < len(parts)-1 && p == "":
			out = append(out, fmt.Sprintf("S%d|", session))
		case i < len(parts)-1:
			out = append(out, fmt.Sprintf("S%d| %s", session, escapeText(p)))
		case p != "":
			out = append(out, fmt.Sprintf("S%d|- %s", session, escapeText(p)))
		}
	}
	return out
}

// escapeText makes bytes that would break a transcript line visible:
// control characters but TAB, DEL and invalid UTF-8 become \xNN. (A
// backslash stays as it is, so flags read naturally; a server sending
// the four characters "\x0d" would look like one sending a CR.)
func escapeText(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		c := s[0]
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, c)
		case c < 0x20 && c != '\t' || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteString(s[:size])
		}
		s = s[size:]
	}
	return b.String()
}

// Diff compares a run with the golden transcript and describes every
// block that differs: the script line, the step, and expected vs got
// lines. It returns "" when they are equal.
func Diff(script string, golden, got *Transcript, maxBlocks int) string {
	var b strings.Builder
	shown := 0
	n := len(golden.Blocks)
	if len(got.Blocks) > n {
		n = len(got.Blocks)
	}
	for i := 0; i < n; i++ {
		var want, have Block
		if i < len(golden.Blocks) {
			want = golden.Blocks[i]
		}
		if i < len(got.Blocks) {
			have = got.Blocks[i]
		}
		if want.Head == have.Head && equalLines(want.Lines, have.Lines) {
			continue
		}
		if shown == maxBlocks {
			fmt.Fprintf(&b, "... and more differences after step %d\n", i+1)
			break
		}
		shown++
		where := fmt.Sprintf("%s.imap", script)
		if have.Line > 0 {
			where += fmt.Sprintf(":%d", have.Line)
		}
		switch {
		case have.Head == "" && i >= len(got.Blocks):
			fmt.Fprintf(&b, "%s: step %d %q was not reached (the run stopped earlier)\n", where, i+1, want.Head)
			continue
		case want.Head == "":
			fmt.Fprintf(&b, "%s: step %d %q is not in the golden file (record again)\n", where, i+1, have.Head)
			continue
		case want.Head != have.Head:
			fmt.Fprintf(&b, "%s: step %d is %q in the script but %q in the golden file (record again)\n", where, i+1, have.Head, want.Head)
			continue
		}
		fmt.Fprintf(&b, "%s: step %d: %s\n", where, i+1, have.Head)
		d := lineDiff(want.Lines, have.Lines)
		for j, l := range d {
			b.WriteString("    " + l + "\n")
			// a long line replaced by another: point at the difference
			if strings.HasPrefix(l, "- ") && j+1 < len(d) && strings.HasPrefix(d[j+1], "+ ") && len(l) > 100 {
				b.WriteString("    " + where1(l[2:], d[j+1][2:]) + "\n")
			}
		}
	}
	return b.String()
}

// where1 describes the first difference of two long lines.
func where1(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-30)
	clip := func(s string) string {
		return s[min(from, len(s)):min(i+30, len(s))]
	}
	return fmt.Sprintf("  (first difference at byte %d: %q vs %q)", i, clip(a), clip(b))
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// lineDiff is a longest-common-subsequence diff: "  " same, "- " only
// expected (Cyrus), "+ " only got.
func lineDiff(a, b []string) []string {
	m, n := len(a), len(b)
	l := make([][]int, m+1)
	for i := range l {
		l[i] = make([]int, n+1)
	}
	for i := m - 1; i >= 0; i-- {
		for j := n - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else if l[i+1][j] >= l[i][j+1] {
				l[i][j] = l[i+1][j]
			} else {
				l[i][j] = l[i][j+1]
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < m || j < n {
		switch {
		case i < m && j < n && a[i] == b[j]:
			out = append(out, "  "+a[i])
			i++
			j++
		case j < n && (i == m || l[i][j+1] > l[i+1][j]):
			out = append(out, "+ "+b[j])
			j++
		default:
			out = append(out, "- "+a[i])
			i++
		}
	}
	return out
}
