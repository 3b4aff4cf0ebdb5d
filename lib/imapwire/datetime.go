package imapwire

import "time"

// ParseDateTime parses APPEND's date-time (RFC 9051: "dd-Mon-yyyy
// hh:mm:ss +zzzz", day possibly space-padded) as liberally as Cyrus's
// time_from_rfc5322 in DATETIME_FULL mode does: an optional "Day," prefix,
// '-' or white space between the date fields, a 2-digit year (< 70 is
// 20xx), seconds optional, ':' or '.' between time fields, and a numeric or
// named zone (missing = +0000).
func ParseDateTime(s string) (time.Time, bool) {
	i := 0
	skipWS := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	token := func(pred func(byte) bool) string {
		start := i
		for i < len(s) && pred(s[i]) {
			i++
		}
		return s[start:i]
	}
	alpha := func(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	atoi := func(t string) int {
		n := 0
		for j := 0; j < len(t); j++ {
			n = n*10 + int(t[j]-'0')
		}
		return n
	}
	sep := func() {
		if i < len(s) && (s[i] == '-' || s[i] == ' ' || s[i] == '\t') {
			i++
			skipWS()
		}
	}
	skipWS()
	if i < len(s) && alpha(s[i]) {
		if len(token(alpha)) != 3 || i >= len(s) || s[i] != ',' {
			return time.Time{}, false
		}
		i++
		skipWS()
	}
	d := token(digit)
	if len(d) < 1 || len(d) > 2 {
		return time.Time{}, false
	}
	day := atoi(d)
	sep()
	mon := token(alpha)
	if len(mon) != 3 {
		return time.Time{}, false
	}
	m := monthIndex(lowerASCII([]byte(mon)))
	if m == 0 {
		return time.Time{}, false
	}
	sep()
	y := token(digit)
	if len(y) == 0 || len(y) > 9 {
		return time.Time{}, false
	}
	year := atoi(y)
	if len(y) == 2 {
		if year < 70 {
			year += 2000
		} else {
			year += 1900
		}
	} else if year < 1900 {
		return time.Time{}, false
	}
	skipWS()
	h := token(digit)
	if len(h) < 1 || len(h) > 2 || i >= len(s) || (s[i] != ':' && s[i] != '.') {
		return time.Time{}, false
	}
	i++
	mi := token(digit)
	if len(mi) < 1 || len(mi) > 2 {
		return time.Time{}, false
	}
	sec := 0
	if i < len(s) && (s[i] == ':' || s[i] == '.') {
		i++
		t := token(digit)
		if len(t) < 1 || len(t) > 2 {
			return time.Time{}, false
		}
		sec = atoi(t)
	}
	skipWS()
	sign := 1
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		if s[i] == '-' {
			sign = -1
		}
		i++
	}
	zone := token(func(c byte) bool { return digit(c) || alpha(c) })
	off := zoneOffset(zone) * sign
	// Cyrus refuses a wall-clock time before the epoch (mkgmtime of the
	// fields, before the zone is applied, must not be negative).
	if time.Date(year, time.Month(m), day, atoi(h), atoi(mi), sec, 0, time.UTC).Unix() < 0 {
		return time.Time{}, false
	}
	loc := time.FixedZone("", off)
	return time.Date(year, time.Month(m), day, atoi(h), atoi(mi), sec, 0, loc), true
}

// zoneOffset returns the offset in seconds of a numeric (hhmm) or named
// zone; unknown names are +0000 as in Cyrus.
func zoneOffset(z string) int {
	if len(z) == 4 && isDigit(z[0]) && isDigit(z[1]) && isDigit(z[2]) && isDigit(z[3]) {
		return (int(z[0]-'0')*10+int(z[1]-'0'))*3600 + (int(z[2]-'0')*10+int(z[3]-'0'))*60
	}
	switch upperASCII([]byte(z)) {
	case "EDT":
		return -4 * 3600
	case "EST", "CDT":
		return -5 * 3600
	case "CST", "MDT":
		return -6 * 3600
	case "MST", "PDT":
		return -7 * 3600
	case "PST":
		return -8 * 3600
	}
	return 0
}
