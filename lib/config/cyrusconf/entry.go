package cyrusconf

import "math"

// Get returns the value of the first argument named key.
func (e *Entry) Get(key string) (string, bool) {
	for _, a := range e.Args {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// String returns the value of key, or def when the entry lacks it
// (masterconf_getstring).
func (e *Entry) String(key, def string) string {
	if v, ok := e.Get(key); ok {
		return v
	}
	return def
}

// Int returns key as an integer: the value must start with a digit or
// with '-' and a digit, and is then read as atoi reads it (trailing
// characters ignored); anything else gives def (masterconf_getint).
func (e *Entry) Int(key string, def int) int {
	v, ok := e.Get(key)
	if !ok {
		return def
	}
	if !(len(v) > 0 && isDigit(v[0]) || len(v) > 1 && v[0] == '-' && isDigit(v[1])) {
		return def
	}
	return atoi(v)
}

// Switch returns key as a boolean: a value starting with 0, n, f or "of"
// is false, one starting with 1, y, t or "on" is true, anything else gives
// def (masterconf_getswitch; case matters: "No" gives def).
func (e *Entry) Switch(key string, def bool) bool {
	v, ok := e.Get(key)
	if !ok || v == "" {
		return def
	}
	switch {
	case v[0] == '0' || v[0] == 'n' || v[0] == 'f' || len(v) > 1 && v[0] == 'o' && v[1] == 'f':
		return false
	case v[0] == '1' || v[0] == 'y' || v[0] == 't' || len(v) > 1 && v[0] == 'o' && v[1] == 'n':
		return true
	}
	return def
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// atoi is C's atoi: optional white space, optional sign, digits; the rest
// is ignored and no digits give 0. Values beyond 32 bits saturate (C
// leaves them undefined).
func atoi(s string) int {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var n int64
	for ; i < len(s) && isDigit(s[i]); i++ {
		n = n*10 + int64(s[i]-'0')
		if n > math.MaxInt32+1 {
			n = math.MaxInt32 + 1
		}
	}
	if neg {
		n = -n
	}
	if n > math.MaxInt32 {
		n = math.MaxInt32
	}
	return int(n)
}
