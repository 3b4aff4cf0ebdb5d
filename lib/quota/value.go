package quota

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gyrus/lib/dlist"
)

// Resource is one of the quota resources, in Cyrus's order.
type Resource int

const (
	Storage      Resource = iota // STORAGE (RFC 2087), bytes, limit in KiB
	Message                      // MESSAGE (RFC 2087), messages
	AnnotStorage                 // X-ANNOTATION-STORAGE, bytes, limit in KiB
	NumFolders                   // X-NUM-FOLDERS, mailboxes
	NumResources
)

// Names are the IMAP names of the resources.
var Names = [NumResources]string{"STORAGE", "MESSAGE", "X-ANNOTATION-STORAGE", "X-NUM-FOLDERS"}

// dbNames are the keys in the stored value.
var dbNames = [NumResources]string{"S", "M", "AS", "NF"}

// Units converts a limit to usage units (KiB for the byte resources).
var Units = [NumResources]int64{1024, 1, 1024, 1}

// Unlimited is the limit of a resource without a limit.
const Unlimited int64 = -1

// ResourceByName returns the resource of an IMAP name (case-insensitive),
// or -1.
func ResourceByName(s string) Resource {
	for r, n := range Names {
		if strings.EqualFold(n, s) {
			return Resource(r)
		}
	}
	return -1
}

func (r Resource) String() string {
	if r >= 0 && r < NumResources {
		return Names[r]
	}
	return fmt.Sprintf("resource(%d)", int(r))
}

// Quota is one quota root's record.
type Quota struct {
	Root   string
	Used   [NumResources]int64
	Limit  [NumResources]int64 // Unlimited when not set
	ModSeq uint64
	// Scan* hold the in-progress state of a `quota -f` run.
	ScanMbox string
	ScanUsed [NumResources]int64
}

// New returns a quota root with no usage and no limits.
func New(root string) *Quota {
	q := &Quota{Root: root}
	for i := range q.Limit {
		q.Limit[i] = Unlimited
	}
	return q
}

// ErrBadFormat is a value that cannot be parsed.
var ErrBadFormat = errors.New("quota: bad value format")

// Parse decodes a stored value into q (whose Root is kept), 3.6 dlist or
// the old text form. withScan also reads the SCAN part (Cyrus reads it
// only under a write lock).
func Parse(root string, data []byte, withScan bool) (*Quota, error) {
	q := New(root)
	if len(data) == 0 {
		return nil, ErrBadFormat
	}
	if data[0] == '%' {
		v, err := dlist.Parse(data)
		if err != nil || v.Kind != dlist.KVList {
			return nil, fmt.Errorf("%w: %v", ErrBadFormat, err)
		}
		for r := Resource(0); r < NumResources; r++ {
			it := v.Child(dbNames[r])
			if it == nil {
				continue
			}
			if len(it.Items) > 0 {
				q.Used[r] = dnum(it.Items[0])
			}
			if len(it.Items) > 1 {
				q.Limit[r] = dnum(it.Items[1])
			}
		}
		if withScan {
			if sc := v.Child("SCAN"); sc != nil && sc.Kind == dlist.KVList {
				if m, ok := sc.GetString("MBOX"); ok {
					q.ScanMbox = m
					for r := Resource(0); r < NumResources; r++ {
						if c := sc.Child(dbNames[r]); c != nil {
							q.ScanUsed[r] = dnum(c)
						}
					}
				}
			}
		}
		if m := v.Child("MODSEQ"); m != nil {
			q.ModSeq = uint64(dnum(m))
		}
		return q, nil
	}
	// historical: used limit [extra] [RES used limit [extra]]...
	f := strings.Fields(string(data))
	i, r := 0, Storage
	for {
		if i+2 > len(f) {
			return nil, ErrBadFormat
		}
		u, err1 := scanInt(f[i])
		l, err2 := scanInt(f[i+1])
		if err1 != nil || err2 != nil {
			return nil, ErrBadFormat
		}
		q.Used[r], q.Limit[r] = u, l
		i += 2
		if i < len(f) {
			if _, err := scanInt(f[i]); err == nil {
				i++
			}
		}
		if i == len(f) {
			break
		}
		r = -1
		for k, n := range dbNames {
			if strings.EqualFold(f[i], n) {
				r = Resource(k)
			}
		}
		if r < 0 {
			return nil, ErrBadFormat
		}
		i++
	}
	return q, nil
}

// scanInt is sscanf("%lld"): leading sign and digits, trailing garbage
// allowed.
func scanInt(s string) (int64, error) {
	j := 0
	if j < len(s) && (s[j] == '-' || s[j] == '+') {
		j++
	}
	k := j
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	if k == j {
		return 0, ErrBadFormat
	}
	return strconv.ParseInt(s[:k], 10, 64)
}

// dnum is Cyrus dlist_num: the number a string or number item holds.
func dnum(v *dlist.Value) int64 {
	if v == nil {
		return 0
	}
	if n, ok := v.AsNum(); ok {
		return int64(n)
	}
	if s, ok := v.AsString(); ok {
		n, _ := scanInt(strings.TrimSpace(s))
		return n
	}
	return 0
}

// Encode prints the 3.6 value of q (Cyrus quota_write).
func (q *Quota) Encode() []byte {
	v := dlist.NewKVList()
	for r := Resource(0); r < NumResources; r++ {
		it := v.AddList(dbNames[r])
		it.Items = append(it.Items, dlist.NewNum(uint64(q.Used[r])))
		if q.Limit[r] != Unlimited {
			it.Items = append(it.Items, dlist.NewNum(uint64(q.Limit[r])))
		}
	}
	if q.ScanMbox != "" {
		sc := v.AddKVList("SCAN")
		sc.AddString("MBOX", q.ScanMbox)
		for r := Resource(0); r < NumResources; r++ {
			sc.AddNum(dbNames[r], uint64(q.ScanUsed[r]))
		}
	}
	v.AddNum("MODSEQ", q.ModSeq)
	return dlist.Append(nil, v, false)
}

// Over reports whether resource r is at or over its limit, with delta
// more (Cyrus quota_check's rule: reducing usage is always allowed).
func (q *Quota) Over(r Resource, delta int64) bool {
	if q.Limit[r] < 0 || delta < 0 {
		return false
	}
	return q.Used[r]+delta > q.Limit[r]*Units[r]
}

// Use applies delta to resource r, clamping at zero (Cyrus quota_use).
func (q *Quota) Use(r Resource, delta int64) (underflow bool) {
	if delta < 0 && -delta > q.Used[r] {
		q.Used[r] = 0
		return true
	}
	q.Used[r] += delta
	return false
}
