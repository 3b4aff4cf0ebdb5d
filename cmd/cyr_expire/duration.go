package main

import (
	"math"
	"strconv"
)

// ParseDuration reads a cyr_expire duration (Cyrus parse_duration): a
// non-negative number, fractions allowed, with at most one unit letter
// after it: d (days, also the default), h, m or s. It returns seconds,
// truncated as Cyrus's int conversion truncates.
func ParseDuration(s string) (int64, bool) {
	if s == "" || s[0] == '-' {
		return 0, false
	}
	num, mult := s, float64(day)
	switch s[len(s)-1] {
	case 'd':
		num = s[:len(s)-1]
	case 'h':
		num, mult = s[:len(s)-1], 60*60
	case 'm':
		num, mult = s[:len(s)-1], 60
	case 's':
		num, mult = s[:len(s)-1], 1
	}
	v := 0.0
	if num != "" {
		f, err := strconv.ParseFloat(num, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return 0, false
		}
		v = f
	}
	secs := v * mult
	if secs > math.MaxInt32 {
		return 0, false
	}
	return int64(secs), true
}
