package main

import (
	"bufio"
	"fmt"
	"strings"

	"gyrus/lib/config"
)

// highlighter prefixes options changed after a given Cyrus version with
// "(x.y.z) ", as `cyr_info -s` does.
type highlighter struct {
	want  bool
	since uint32
}

func (h highlighter) mark(w *bufio.Writer, o *config.Option) {
	if !h.want {
		return
	}
	v := versionNumber(o.Modified)
	if h.since < v {
		fmt.Fprintf(w, "(%d.%d.%d) ", v>>24&0xff, v>>16&0xff, v>>8&0xff)
	}
}

// versionNumber packs "x.y.z" as Cyrus's option table does (0xXXYYZZ00);
// "UNRELEASED" counts as newest.
func versionNumber(s string) uint32 {
	if s == "UNRELEASED" {
		return 0xffffffff
	}
	var a, b, c uint32
	fmt.Sscanf(s, "%d.%d.%d", &a, &b, &c)
	return a<<24 | b<<16 | c<<8
}

// parseSince reads the -s argument like Cyrus: an optional "cyrus-imapd-"
// or "cyrus-imapd " in front, then up to three dot-separated numbers
// (each at most 255); a '-' ends it. Anything else is a usage error.
func parseSince(s string) (uint32, bool) {
	const pkg = "cyrus-imapd"
	if strings.HasPrefix(s, pkg) && len(s) > len(pkg) && (s[len(pkg)] == '-' || s[len(pkg)] == ' ') {
		s = s[len(pkg)+1:]
	}
	var parts [3]uint32
	i, digit := 0, false
loop:
	for j := 0; j < len(s); j++ {
		c := s[j]
		switch {
		case c >= '0' && c <= '9':
			digit = true
			parts[i] = parts[i]*10 + uint32(c-'0')
			if parts[i] > 255 {
				return 0, false
			}
		case c == '.':
			if !digit {
				return 0, false
			}
			digit = false
			i++
			if i > 2 {
				break loop
			}
		case c == '-':
			break loop
		default:
			return 0, false
		}
	}
	return parts[0]<<24 | parts[1]<<16 | parts[2]<<8, true
}

// bitSet says whether Cyrus 3.6.1's cyr_info prints the j-th word of a
// bitfield's word list (aliases included). It tests the mask with the C
// expression (1<<j) on a 32-bit int, not with the word's own bit: with
// aliases in the list later words are judged by other bits, and from
// j = 31 on the shift wraps (x86 masks the count; 1<<31 is negative and
// sign-extends). We print what Cyrus prints.
func bitSet(mask int64, j int) bool {
	m := int32(1) << (uint(j) & 31)
	return uint64(mask)&uint64(int64(m)) != 0
}

func writeBitfield(w *bufio.Writer, o *config.Option, mask int64) {
	w.WriteString(o.Key + ":")
	names, _ := o.Words()
	for j, n := range names {
		if bitSet(mask, j) {
			w.WriteString(" " + n)
		}
	}
	w.WriteString("\n")
}

// doConf prints every option (conf-all) or the ones that differ from
// their defaults (conf), then every overflow key.
func doConf(w *bufio.Writer, c *config.Config, onlyChanged bool, h highlighter) {
	for _, s := range c.Settings() {
		if onlyChanged && !s.Changed {
			continue
		}
		h.mark(w, s.Option)
		switch s.Option.Type {
		case config.Bitfield:
			writeBitfield(w, s.Option, s.Int)
		case config.Duration:
			v := s.Text
			if s.Null {
				v = "(null)" // glibc printf of a NULL string
			}
			fmt.Fprintf(w, "%s: %s\n", s.Option.Key, v)
		default:
			fmt.Fprintf(w, "%s: %s\n", s.Option.Key, s.Text)
		}
	}
	for _, e := range c.OverflowEntries() {
		fmt.Fprintf(w, "%s: %s\n", e.Key, e.Value)
	}
}

// doDefault prints the compiled-in defaults. As in Cyrus, an enum shows
// its current value, not its default (cyr_info reads val, not def).
func doDefault(w *bufio.Writer, c *config.Config, h highlighter) {
	cur := c.Settings()
	for i, s := range config.DefaultSettings() {
		h.mark(w, s.Option)
		switch s.Option.Type {
		case config.Bitfield:
			writeBitfield(w, s.Option, s.Int)
		case config.Enum:
			fmt.Fprintf(w, "%s: %s\n", s.Option.Key, cur[i].Text)
		default:
			fmt.Fprintf(w, "%s: %s\n", s.Option.Key, s.Text)
		}
	}
}
