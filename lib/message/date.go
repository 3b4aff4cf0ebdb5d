package message

import "time"

// The Date: header as Cyrus 3.6.1 lib/times.c time_from_rfc5322() reads it
// for the index record's sentdate (date only, as local midnight: mktime)
// and gmtime (full date and time as UTC: timegm). Its tokenizer is
// lenient in its own ways, reproduced here:
//   - an optional 3-letter weekday (any letters) must be followed by ',';
//   - day, month name (3 letters, any case) and year are separated by any
//     single character plus optional blanks; a 2-digit year < 70 is 20xx;
//   - the time is h[h]:m[m][:s[s]] ('.' also separates);
//   - the zone is +hhmm/-hhmm (a 4-digit zone without a sign counts as
//     negative), UT, a 3-letter US zone ([AECMPYHB][SD]T, others are
//     +0000), or a single military letter computed the way Cyrus does;
//   - out-of-range fields are normalised as mktime/timegm do.

const dateTokenMax = 32 // RFC5322_DATETIME_MAX

type dateScanner struct {
	s   string
	off int
}

const eob = -1

func (d *dateScanner) cur() int {
	if d.off < len(d.s) {
		return int(d.s[d.off])
	}
	return eob
}

// next advances and returns the new current byte; at the very end it
// returns 0 once (the C string's NUL) and then eob.
func (d *dateScanner) next() int {
	if d.off < len(d.s) {
		d.off++
		if d.off < len(d.s) {
			return int(d.s[d.off])
		}
		return 0
	}
	return eob
}

func dateSpecial(c int) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
func dateSep(c int) bool     { return c == ' ' || c == ',' || c == '-' || c == '+' || c == ':' }
func dateAlpha(c int) bool   { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') }
func dateDigit(c int) bool   { return c >= '0' && c <= '9' }

func (d *dateScanner) skipWS() {
	c := 0
	if d.off < len(d.s) {
		c = int(d.s[d.off])
	}
	for c != eob && dateSpecial(c) {
		c = d.next()
	}
}

// token reads a run of letters and digits; ok is false only at the end.
func (d *dateScanner) token() (tok []byte, ok bool) {
	c := d.cur()
	if c == eob {
		return nil, false
	}
	for {
		if dateSpecial(c) || dateSep(c) {
			break
		}
		if !dateAlpha(c) && !dateDigit(c) {
			break
		}
		if len(tok) >= dateTokenMax {
			break
		}
		tok = append(tok, byte(c))
		c = d.next()
		if c == eob {
			return tok, false
		}
	}
	return tok, true
}

// toInt is the C to_int(): -9999 unless all digits; wraps like int32.
func toInt(tok []byte) int32 {
	var n int32
	for _, c := range tok {
		if c < '0' || c > '9' {
			return -9999
		}
		n = n*10 + int32(c-'0')
	}
	return n
}

var monthNames = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 32
	}
	return c
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

// tzOffset is compute_tzoffset(), in minutes.
func tzOffset(tok []byte, sign int) int {
	switch len(tok) {
	case 1:
		ch := upper(tok[0])
		s0 := int(tok[0])
		switch {
		case ch < 'J':
			return (s0 - 'A' + 1) * 60
		case ch == 'J':
			return 0
		case ch <= 'M':
			return (s0 - 'A') * 60
		case ch < 'Z':
			return ('M' - s0) * 60
		}
		return 0
	case 2:
		if upper(tok[0]) == 'U' && upper(tok[1]) == 'T' {
			return 0
		}
	case 3:
		if upper(tok[2]) != 'T' {
			return 0
		}
		const zones = "AECMPYHB"
		i := indexByteFrom(zones, 0, upper(tok[0]))
		if i < 0 {
			return 0
		}
		off := (len(zones) - i - 12) * 60
		switch upper(tok[1]) {
		case 'D':
			return off + 60
		case 'S':
			return off
		}
	case 4:
		for _, c := range tok {
			if c < '0' || c > '9' {
				return 0
			}
		}
		off := (int(tok[0]-'0')*10+int(tok[1]-'0'))*60 + int(tok[2]-'0')*10 + int(tok[3]-'0')
		if sign == '+' {
			return off
		}
		return -off
	}
	return 0
}

type dateFields struct {
	year, mon, mday, hour, min, sec int32
	tz                              int // seconds east of UTC
}

func parseDateFields(s string, dateOnly bool) (f dateFields, ok bool) {
	d := &dateScanner{s: s}
	d.skipWS()
	c := d.cur()
	if c == eob {
		return f, false
	}
	if dateAlpha(c) {
		tok, ok := d.token()
		if !ok || len(tok) != 3 {
			return f, false
		}
		if d.cur() != ',' {
			return f, false
		}
		d.next()
		d.skipWS()
	}
	// day
	tok, ok := d.token()
	if !ok || len(tok) < 1 || len(tok) > 2 || !dateDigit(int(tok[0])) {
		return f, false
	}
	if f.mday = toInt(tok); f.mday == -9999 {
		return f, false
	}
	if c = d.next(); c != eob && dateSpecial(c) {
		d.skipWS()
	}
	// month
	tok, ok = d.token()
	if !ok || len(tok) != 3 || !dateAlpha(int(tok[0])) {
		return f, false
	}
	name := string([]byte{upper(tok[0]), lower(tok[1]), lower(tok[2])})
	f.mon = -1
	for i, m := range monthNames {
		if m == name {
			f.mon = int32(i)
			break
		}
	}
	if f.mon < 0 {
		return f, false
	}
	if c = d.next(); c != eob && dateSpecial(c) {
		d.skipWS()
	}
	// year
	if tok, ok = d.token(); !ok {
		return f, false
	}
	if f.year = toInt(tok); f.year == -9999 {
		return f, false
	}
	if len(tok) == 2 {
		if f.year < 70 {
			f.year += 100
		}
		f.year += 1900
	} else if f.year < 1900 {
		return f, false
	}
	if dateOnly {
		return f, true
	}
	// time
	d.skipWS()
	if tok, ok = d.token(); !ok || len(tok) < 1 || len(tok) > 2 || !dateDigit(int(tok[0])) {
		return f, false
	}
	if f.hour = toInt(tok); f.hour == -9999 {
		return f, false
	}
	if c = d.cur(); c != ':' && c != '.' {
		return f, false
	}
	d.next()
	if tok, ok = d.token(); !ok || len(tok) < 1 || len(tok) > 2 || !dateDigit(int(tok[0])) {
		return f, false
	}
	if f.min = toInt(tok); f.min == -9999 {
		return f, false
	}
	if c = d.cur(); c == ':' || c == '.' {
		d.next()
		if tok, ok = d.token(); !ok || len(tok) < 1 || len(tok) > 2 || !dateDigit(int(tok[0])) {
			return f, false
		}
		if f.sec = toInt(tok); f.sec == -9999 {
			return f, false
		}
	}
	// zone
	d.skipWS()
	c = d.cur()
	if c == '+' || c == '-' {
		d.next()
	}
	if tok, ok = d.token(); ok {
		f.tz = tzOffset(tok, c) * 60
	}
	return f, true
}

// parseDate returns Cyrus's sentdate and gmtime (time_t values) for a
// Date: header value, each 0 when it cannot be parsed.
func parseDate(s string, hasDate bool) (sentdate, gmtime int64) {
	if !hasDate {
		return 0, 0
	}
	if f, ok := parseDateFields(s, true); ok {
		t := time.Date(int(f.year), time.Month(f.mon+1), int(f.mday), 0, 0, 0, 0, time.Local).Unix()
		if t >= 0 {
			sentdate = t
		}
	}
	if f, ok := parseDateFields(s, false); ok {
		t := time.Date(int(f.year), time.Month(f.mon+1), int(f.mday), int(f.hour), int(f.min), int(f.sec), 0, time.UTC).Unix()
		if t >= 0 {
			gmtime = t - int64(f.tz)
		}
	}
	return sentdate, gmtime
}
