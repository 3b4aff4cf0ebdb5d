package message

import (
	"encoding/hex"
	"time"
)

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
//   - out-of-range fields are normalised as mktime/timegm do;
//   - bytes are signed chars: 0xFF reads as the end of the string, and the
//     other 8-bit bytes take the classes the library happens to hold in
//     front of its class table (cyrus8bitClasses).

const dateTokenMax = 32 // RFC5322_DATETIME_MAX

const (
	clAlpha = 1
	clUpper = 2
	clLower = 4
	clDigit = 8
)

// cyrus8bitClasses are the classes Debian's Cyrus 3.6.1 libcyrus.so.0
// gives to bytes 0x80..0xFF (test/corpus/cyrusdump/dateclasses.py reads
// them from the library).
var cyrus8bitClasses = func() []byte {
	b, err := hex.DecodeString("08000c1304030f09050514070c04051c130f0e07000e140e0413150f0c000008" +
		"150f0c000001150f0c000011150f0c000009150f0c000014150f0c000015051a" +
		"1905130c0e0c0501000e0f000d1a0019160500050403120504101a05150e0005" +
		"05000012051000001f1a1714110e001c191614110000001f1f1f1f1e1e000000")
	if err != nil || len(b) != 128 {
		panic("message: bad 8-bit class table")
	}
	return b
}()

// dateClass is rfc5322_usascii_charset[c + 1] for a signed char c.
func dateClass(c int) byte {
	switch {
	case c >= '0' && c <= '9':
		return clDigit
	case c >= 'A' && c <= 'Z':
		return clAlpha | clUpper
	case c >= 'a' && c <= 'z':
		return clAlpha | clLower
	case c < 0:
		return cyrus8bitClasses[c+128]
	}
	return 0
}

// dateSpecial and dateSep are the blank and separator tables; both read
// 0 for 8-bit bytes.
func dateSpecial(c int) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
func dateSep(c int) bool     { return c == ' ' || c == ',' || c == '-' || c == '+' || c == ':' }

type dateScanner struct {
	s   string
	off int
}

const eob = -1

func schar(b byte) int { return int(int8(b)) }

func (d *dateScanner) cur() int {
	if d.off < len(d.s) {
		return schar(d.s[d.off])
	}
	return eob
}

// next advances and returns the new current char; at the very end it
// returns 0 once (the C string's NUL) and then eob.
func (d *dateScanner) next() int {
	if d.off < len(d.s) {
		d.off++
		if d.off < len(d.s) {
			return schar(d.s[d.off])
		}
		return 0
	}
	return eob
}

func (d *dateScanner) skipWS() {
	c := 0
	if d.off < len(d.s) {
		c = schar(d.s[d.off])
	}
	for c != eob && dateSpecial(c) {
		c = d.next()
	}
}

// token reads a run of letters and digits; ok is false at the end of the
// string (or at a 0xFF byte, which looks the same to Cyrus).
func (d *dateScanner) token() (tok []int, ok bool) {
	c := d.cur()
	if c == eob {
		return nil, false
	}
	for {
		if dateSpecial(c) || dateSep(c) {
			break
		}
		if dateClass(c)&(clAlpha|clDigit) == 0 {
			break
		}
		if len(tok) >= dateTokenMax {
			break
		}
		tok = append(tok, c)
		c = d.next()
		if c == eob {
			return tok, false
		}
	}
	return tok, true
}

// toInt is the C to_int(): -9999 unless all "digits"; int32 arithmetic.
func toInt(tok []int) int32 {
	var n int32
	for _, c := range tok {
		if dateClass(c)&clDigit == 0 {
			return -9999
		}
		n = n*10 + int32(c-'0')
	}
	return n
}

var monthNames = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// dateUpper and dateLower are to_upper/to_lower on a char.
func dateUpper(c int) int {
	if dateClass(c)&clLower != 0 {
		return int(int8(c - 32))
	}
	return c
}

func dateLower(c int) int {
	if dateClass(c)&clUpper != 0 {
		return int(int8(c + 32))
	}
	return c
}

// tzOffset is compute_tzoffset(), in minutes.
func tzOffset(tok []int, sign int) int {
	switch len(tok) {
	case 1:
		ch := dateUpper(tok[0])
		s0 := tok[0]
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
		if dateUpper(tok[0]) == 'U' && dateUpper(tok[1]) == 'T' {
			return 0
		}
	case 3:
		if dateUpper(tok[2]) != 'T' {
			return 0
		}
		const zones = "AECMPYHB"
		u := dateUpper(tok[0])
		i := -1
		for k := 0; k < len(zones); k++ {
			if int(zones[k]) == u {
				i = k
				break
			}
		}
		if i < 0 {
			return 0
		}
		off := (len(zones) - i - 12) * 60
		switch dateUpper(tok[1]) {
		case 'D':
			return off + 60
		case 'S':
			return off
		}
	case 4:
		for _, c := range tok {
			if dateClass(c)&clDigit == 0 {
				return 0
			}
		}
		off := ((tok[0]-'0')*10+(tok[1]-'0'))*60 + (tok[2]-'0')*10 + (tok[3] - '0')
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

func digitFirst(tok []int) bool { return len(tok) > 0 && dateClass(tok[0])&clDigit != 0 }

func parseDateFields(s string, dateOnly bool) (f dateFields, ok bool) {
	d := &dateScanner{s: s}
	d.skipWS()
	c := d.cur()
	if c == eob {
		return f, false
	}
	if dateClass(c)&clAlpha != 0 {
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
	if !ok || len(tok) < 1 || len(tok) > 2 || !digitFirst(tok) {
		return f, false
	}
	if f.mday = toInt(tok); f.mday == -9999 {
		return f, false
	}
	if c = d.next(); dateSpecial(c) {
		d.skipWS()
	}
	// month
	tok, ok = d.token()
	if !ok || len(tok) != 3 || dateClass(tok[0])&clAlpha == 0 {
		return f, false
	}
	m0, m1, m2 := dateUpper(tok[0]), dateLower(tok[1]), dateLower(tok[2])
	f.mon = -1
	for i, m := range monthNames {
		if int(m[0]) == m0 && int(m[1]) == m1 && int(m[2]) == m2 {
			f.mon = int32(i)
			break
		}
	}
	if f.mon < 0 {
		return f, false
	}
	if c = d.next(); dateSpecial(c) {
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
	if tok, ok = d.token(); !ok || len(tok) < 1 || len(tok) > 2 || !digitFirst(tok) {
		return f, false
	}
	if f.hour = toInt(tok); f.hour == -9999 {
		return f, false
	}
	if c = d.cur(); c != ':' && c != '.' {
		return f, false
	}
	d.next()
	if tok, ok = d.token(); !ok || len(tok) < 1 || len(tok) > 2 || !digitFirst(tok) {
		return f, false
	}
	if f.min = toInt(tok); f.min == -9999 {
		return f, false
	}
	if c = d.cur(); c == ':' || c == '.' {
		d.next()
		if tok, ok = d.token(); !ok || len(tok) < 1 || len(tok) > 2 || !digitFirst(tok) {
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
