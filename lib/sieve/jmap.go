package sieve

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// vnd.cyrus.jmapquery: the test's argument is a JMAP Email/query filter
// (RFC 8621 4.4.1) in JSON. Cyrus checks it with its JMAP filter parser
// and stores it re-serialized by jansson in compact form (keys in their
// order, the last of duplicate keys winning in the first one's place),
// which is what jsonValue and compact reproduce.

// jsonValue is a parsed JSON value: nil (null), bool, int64, float64,
// string, []jsonValue or *jsonObject.
type jsonValue any

type jsonObject struct {
	keys []string
	vals map[string]jsonValue
}

type jsonParser struct {
	s     string
	i     int
	depth int
}

type jsonError struct{}

// parseJSON parses as jansson's json_loads with no flags: an object or
// an array at the top, nothing but blanks after it, no NUL in strings.
func parseJSON(s string) (v jsonValue, ok bool) {
	p := &jsonParser{s: s}
	defer func() {
		if r := recover(); r != nil {
			if _, is := r.(jsonError); !is {
				panic(r)
			}
			v, ok = nil, false
		}
	}()
	p.blank()
	if p.i >= len(s) || (s[p.i] != '{' && s[p.i] != '[') {
		return nil, false
	}
	v = p.value()
	p.blank()
	if p.i != len(s) {
		return nil, false
	}
	return v, true
}

func (p *jsonParser) fail() { panic(jsonError{}) }

func (p *jsonParser) blank() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *jsonParser) value() jsonValue {
	p.blank()
	if p.i >= len(p.s) {
		p.fail()
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	for _, lit := range []struct {
		word string
		v    jsonValue
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.s[p.i:], lit.word) {
			p.i += len(lit.word)
			return lit.v
		}
	}
	p.fail()
	return nil
}

func (p *jsonParser) enter() {
	p.depth++
	if p.depth > 2048 { // jansson's JSON_PARSER_MAX_DEPTH
		p.fail()
	}
}

func (p *jsonParser) object() jsonValue {
	p.enter()
	defer func() { p.depth-- }()
	p.i++
	o := &jsonObject{vals: map[string]jsonValue{}}
	p.blank()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return o
	}
	for {
		p.blank()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			p.fail()
		}
		k := p.str()
		p.blank()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			p.fail()
		}
		p.i++
		v := p.value()
		if _, dup := o.vals[k]; !dup {
			o.keys = append(o.keys, k)
		}
		o.vals[k] = v
		p.blank()
		if p.i >= len(p.s) {
			p.fail()
		}
		if p.s[p.i] == '}' {
			p.i++
			return o
		}
		if p.s[p.i] != ',' {
			p.fail()
		}
		p.i++
	}
}

func (p *jsonParser) array() jsonValue {
	p.enter()
	defer func() { p.depth-- }()
	p.i++
	a := []jsonValue{}
	p.blank()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return a
	}
	for {
		a = append(a, p.value())
		p.blank()
		if p.i >= len(p.s) {
			p.fail()
		}
		if p.s[p.i] == ']' {
			p.i++
			return a
		}
		if p.s[p.i] != ',' {
			p.fail()
		}
		p.i++
	}
}

func (p *jsonParser) hex4() rune {
	if p.i+4 > len(p.s) {
		p.fail()
	}
	v, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		p.fail()
	}
	p.i += 4
	return rune(v)
}

func (p *jsonParser) str() string {
	p.i++ // the quote
	var b strings.Builder
	for {
		if p.i >= len(p.s) {
			p.fail()
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String()
		case c < 0x20:
			p.fail()
		case c == '\\':
			p.i++
			if p.i >= len(p.s) {
				p.fail()
			}
			e := p.s[p.i]
			p.i++
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r := p.hex4()
				if r >= 0xd800 && r <= 0xdbff {
					if !strings.HasPrefix(p.s[p.i:], "\\u") {
						p.fail()
					}
					p.i += 2
					lo := p.hex4()
					if lo < 0xdc00 || lo > 0xdfff {
						p.fail()
					}
					r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
				} else if r >= 0xdc00 && r <= 0xdfff || r == 0 {
					p.fail()
				}
				b.WriteRune(r)
			default:
				p.fail()
			}
		default:
			r, n := utf8.DecodeRuneInString(p.s[p.i:])
			if r == utf8.RuneError && n <= 1 {
				p.fail()
			}
			b.WriteString(p.s[p.i : p.i+n])
			p.i += n
		}
	}
}

func (p *jsonParser) number() jsonValue {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
		if p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.fail()
		}
	} else if digits() == 0 {
		p.fail()
	}
	real := false
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			p.fail()
		}
		real = true
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			p.fail()
		}
		real = true
	}
	text := p.s[start:p.i]
	if !real {
		v, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			p.fail() // jansson: too big integer
		}
		return v
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil && math.IsInf(v, 0) {
		p.fail() // real number overflow
	}
	return v
}

// compact is jansson's json_dumps(v, JSON_COMPACT).
func compact(v jsonValue) string {
	var b strings.Builder
	writeCompact(&b, v)
	return b.String()
}

func writeCompact(b *strings.Builder, v jsonValue) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		b.WriteString(jsonReal(v))
	case string:
		writeJSONString(b, v)
	case []jsonValue:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCompact(b, e)
		}
		b.WriteByte(']')
	case *jsonObject:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			writeCompact(b, v.vals[k])
		}
		b.WriteByte('}')
	}
}

// jsonReal is jansson's way with reals: %.17g, ".0" added to what
// looks like an integer, no '+' nor leading zeros in the exponent.
func jsonReal(f float64) string {
	s := strconv.FormatFloat(f, 'g', 17, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		mant, exp := s[:i], s[i+1:]
		neg := strings.HasPrefix(exp, "-")
		exp = strings.TrimLeft(strings.TrimLeft(exp, "+-"), "0")
		if exp == "" {
			exp = "0"
		}
		if neg {
			exp = "-" + exp
		}
		s = mant + "e" + exp
	}
	return s
}

func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				fmt.Fprintf(b, `\u%04X`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// jmapFilterPath checks a filter as Cyrus's jmap_email_filter_parse
// does (with Cyrus's own extension fields allowed) and returns the
// path of the first invalid field, "" when there is none. A path
// element of an invalid value without a name is nil, which Cyrus's
// join leaves out.
type filterCheck struct {
	path    []*string
	invalid bool
}

func (f *filterCheck) push(s *string) {
	if !f.invalid {
		f.path = append(f.path, s)
	}
}

func (f *filterCheck) pop() {
	if !f.invalid {
		f.path = f.path[:len(f.path)-1]
	}
}

func (f *filterCheck) bad(field *string) {
	if !f.invalid {
		f.invalid = true
		f.path = append(f.path, field)
	}
}

func (f *filterCheck) badField(name string) { f.bad(&name) }

func (f *filterCheck) pushIndex(field string, i int, name *string) {
	s := fmt.Sprintf("%s[%d]", field, i)
	if name != nil {
		s = fmt.Sprintf("%s[%d:%s]", field, i, *name)
	}
	f.push(&s)
}

// joined is the path as Cyrus prints it ("(null)" when empty).
func (f *filterCheck) joined() string {
	var parts []string
	for _, p := range f.path {
		if p != nil {
			parts = append(parts, *p)
		}
	}
	if s := strings.Join(parts, "/"); s != "" {
		return s
	}
	return "(null)"
}

func (f *filterCheck) filter(v jsonValue) {
	o, ok := v.(*jsonObject)
	if !ok {
		f.bad(nil)
		return
	}
	op, hasOp := o.vals["operator"]
	if s, isStr := op.(string); hasOp && isStr {
		if s != "AND" && s != "OR" && s != "NOT" {
			f.badField("operator")
		}
		conds, _ := o.vals["conditions"].([]jsonValue)
		if len(conds) == 0 {
			f.badField("conditions")
		}
		for i, c := range conds {
			f.pushIndex("conditions", i, nil)
			f.filter(c)
			f.pop()
		}
		return
	} else if hasOp && op != nil {
		f.badField("operator")
		return
	} else if hasOp {
		// "operator": null is json_object_get's NULL check passing,
		// then not a string: Cyrus treats it as present
		f.badField("operator")
		return
	}
	f.condition(o)
}

func isUTCDate(v jsonValue) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	i := 0
	num := func(lo, hi, width int) bool {
		for i < len(s) && isCSpace(s[i]) {
			i++
		}
		n, d := 0, 0
		for i < len(s) && d < width && s[i] >= '0' && s[i] <= '9' {
			n = n*10 + int(s[i]-'0')
			i++
			d++
		}
		return d > 0 && n >= lo && n <= hi
	}
	lit := func(c byte) bool {
		if i < len(s) && s[i] == c {
			i++
			return true
		}
		return false
	}
	if !(num(0, 9999, 4) && lit('-') && num(1, 12, 2) && lit('-') && num(1, 31, 2) && lit('T') &&
		num(0, 23, 2) && lit(':') && num(0, 59, 2) && lit(':') && num(0, 61, 2)) {
		return false
	}
	if lit('.') {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return s[i:] == "Z"
}

func isAlphaByte(s string, i int) bool { return i < len(s) && isAlpha(s[i]) }

func (f *filterCheck) condition(o *jsonObject) {
	for _, field := range o.keys {
		arg := o.vals[field]
		_, isStr := arg.(string)
		_, isBool := arg.(bool)
		_, isInt := arg.(int64)
		_, isArr := arg.([]jsonValue)
		switch field {
		case "before", "after":
			if !isUTCDate(arg) {
				f.badField(field)
			}
		case "minSize", "maxSize":
			if !isInt {
				f.badField(field)
			}
		case "hasAttachment", "fromAnyContact", "toAnyContact", "ccAnyContact", "bccAnyContact", "isHighPriority":
			if !isBool {
				f.badField(field)
			}
		case "text", "from", "to", "cc", "bcc", "subject", "body", "attachmentName", "attachmentType",
			"attachmentBody", "fromContactGroupId", "toContactGroupId", "ccContactGroupId",
			"bccContactGroupId", "deliveredTo", "listId", "inMailbox", "allInThreadHaveKeyword",
			"someInThreadHaveKeyword", "noneInThreadHaveKeyword", "hasKeyword", "notKeyword":
			if !isStr {
				f.badField(field)
			}
		case "language":
			s, _ := arg.(string)
			if !isStr || !(isAlphaByte(s, 0) && isAlphaByte(s, 1) && (len(s) == 2 || isAlphaByte(s, 2) && len(s) == 3)) {
				f.badField(field)
			}
		case "inMailboxOtherThan":
			if !isArr {
				f.badField(field)
			}
		case "header":
			a, _ := arg.([]jsonValue)
			if !isArr {
				f.badField(field)
				continue
			}
			elem := func(i int) *string {
				if i < len(a) {
					if s, ok := a[i].(string); ok {
						return &s
					}
				}
				return nil
			}
			check := func(i int, ok func(*string) bool) {
				if s := elem(i); !ok(s) {
					f.pushIndex(field, i, s)
					f.bad(nil)
					f.pop()
				}
			}
			nonEmpty := func(s *string) bool { return s != nil && *s != "" }
			switch len(a) {
			case 3:
				check(2, func(s *string) bool {
					return s != nil && (*s == "equals" || *s == "startsWith" || *s == "endsWith" || *s == "contains")
				})
				fallthrough
			case 2:
				check(1, nonEmpty)
				fallthrough
			case 1:
				check(0, nonEmpty)
			default:
				f.badField(field)
			}
		default:
			f.badField(field)
		}
	}
}
