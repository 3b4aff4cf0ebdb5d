package seen

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Version is the only value version Cyrus writes and reads.
const Version = 1

// Data is one mailbox's seen state for one user.
type Data struct {
	LastRead   int64  // time of the last read
	LastUID    uint32 // highest UID the user knew of
	LastChange int64  // time of the last change
	SeenUIDs   string // sequence set of seen UIDs ("" for none)
}

// ErrBadValue is a value that is not a version-1 seen record.
var ErrBadValue = errors.New("seen: bad value")

// Parse decodes a stored value (Cyrus parse_data). A sequence that is not
// a valid IMAP sequence set is dropped (Cyrus "nuking"), as Cyrus does
// when it reads one.
func Parse(b []byte) (Data, error) {
	var d Data
	s := string(b)
	v, rest, ok := strtol(s)
	if !ok || v != Version {
		return d, fmt.Errorf("%w: version %q", ErrBadValue, firstWord(s))
	}
	var n int64
	n, rest, _ = strtol(rest)
	d.LastRead = n
	n, rest, _ = strtol(rest)
	d.LastUID = uint32(n)
	n, rest, _ = strtol(rest)
	d.LastChange = n
	d.SeenUIDs = strings.TrimLeft(rest, " \t\r\n\v\f")
	if d.SeenUIDs != "" && !IsSequence(d.SeenUIDs) {
		d.SeenUIDs = ""
	}
	return d, nil
}

func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i]
	}
	return s
}

// strtol reads an optionally signed decimal after blanks; ok is false
// when there were no digits (the rest is then s unchanged).
func strtol(s string) (int64, string, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
		i++
	}
	j := i
	if j < len(s) && (s[j] == '-' || s[j] == '+') {
		j++
	}
	k := j
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	if k == j {
		return 0, s, false
	}
	n, _ := strconv.ParseInt(s[i:k], 10, 64)
	return n, s[k:], true
}

// Encode prints the value as Cyrus's seen_write does.
func (d Data) Encode() []byte {
	return fmt.Appendf(nil, "%d %d %d %d %s", Version, d.LastRead, d.LastUID, d.LastChange, d.SeenUIDs)
}

// IsSequence reports whether s is an IMAP sequence set (Cyrus
// imparse_issequence): numbers or '*', ranges with ':', joined by ','.
func IsSequence(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ",") {
		ends := strings.Split(part, ":")
		if len(ends) > 2 {
			return false
		}
		for _, e := range ends {
			if e == "*" {
				continue
			}
			if e == "" || e[0] == '0' {
				return false
			}
			for i := 0; i < len(e); i++ {
				if e[i] < '0' || e[i] > '9' {
					return false
				}
			}
		}
	}
	return true
}

// SeqSet builds a sequence set the way Cyrus's seqset_add does, so that
// the string it prints is byte-identical to what Cyrus would store.
// Members must be added in ascending order. In merge mode (what Cyrus uses
// for seen state) a range only breaks at a number added as a non-member;
// numbers never mentioned (expunged messages) do not break it. In sparse
// mode every gap breaks a range.
type SeqSet struct {
	sparse bool
	prev   uint32
	ranges [][2]uint32
}

// NewMerge returns an empty set in Cyrus's SEQ_MERGE mode.
func NewMerge() *SeqSet { return &SeqSet{} }

// NewSparse returns an empty set in Cyrus's SEQ_SPARSE mode.
func NewSparse() *SeqSet { return &SeqSet{sparse: true} }

// Add records num as a member or a non-member (Cyrus seqset_add).
func (s *SeqSet) Add(num uint32, member bool) {
	n := len(s.ranges)
	if member && num == s.prev && n > 0 && s.ranges[n-1][1] == num {
		return
	}
	if num > s.prev {
		if !member {
			s.prev = num
			return
		}
		if s.sparse {
			s.prev = num - 1
		}
	}
	if n == 0 || s.ranges[n-1][1] < s.prev || num <= s.prev {
		s.ranges = append(s.ranges, [2]uint32{num, num})
		n++
	}
	s.ranges[n-1][1] = num
	s.prev = num
}

// String prints the set as Cyrus's seqset_cstring ("1:5,7"; 4294967295
// prints as '*'); "" when empty.
func (s *SeqSet) String() string {
	var b strings.Builder
	for i, r := range s.ranges {
		if i > 0 {
			b.WriteByte(',')
		}
		writeNum(&b, r[0])
		if r[1] != r[0] {
			b.WriteByte(':')
			writeNum(&b, r[1])
		}
	}
	return b.String()
}

func writeNum(b *strings.Builder, n uint32) {
	if n == ^uint32(0) {
		b.WriteByte('*')
		return
	}
	b.WriteString(strconv.FormatUint(uint64(n), 10))
}

// Contains reports whether uid is in the sequence set s (maxUID stands
// for '*').
func Contains(s string, uid, maxUID uint32) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, ok := strings.Cut(part, ":")
		a := parseSeqNum(lo, maxUID)
		bnum := a
		if ok {
			bnum = parseSeqNum(hi, maxUID)
		}
		if a > bnum {
			a, bnum = bnum, a
		}
		if uid >= a && uid <= bnum {
			return true
		}
	}
	return false
}

func parseSeqNum(s string, max uint32) uint32 {
	if s == "*" {
		return max
	}
	n, _ := strconv.ParseUint(s, 10, 32)
	return uint32(n)
}
