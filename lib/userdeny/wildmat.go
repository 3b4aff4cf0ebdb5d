package userdeny

// Wildmat matches text against a wildmat pattern as Cyrus's lib/wildmat.c
// (from INN) does: '*' any run, '?' one byte, [...] a class with ranges
// and a leading '^' for negation (']' first in the class is literal), '\'
// quotes the next byte.
func Wildmat(text, p string) bool {
	if p == "*" {
		return true
	}
	return doMatch(text, p) == matchTrue
}

const (
	matchFalse = iota
	matchTrue
	matchAbort
)

func doMatch(text, p string) int {
	ti := 0
	for pi := 0; pi < len(p); pi, ti = pi+1, ti+1 {
		if ti >= len(text) && p[pi] != '*' {
			return matchAbort
		}
		switch p[pi] {
		case '\\':
			pi++
			if pi >= len(p) {
				return matchFalse
			}
			if text[ti] != p[pi] {
				return matchFalse
			}
		case '?':
		case '*':
			for pi+1 < len(p) && p[pi+1] == '*' {
				pi++
			}
			if pi+1 >= len(p) {
				return matchTrue
			}
			for ; ti < len(text); ti++ {
				if m := doMatch(text[ti:], p[pi+1:]); m != matchFalse {
					return m
				}
			}
			return matchAbort
		case '[':
			reverse := pi+1 < len(p) && p[pi+1] == '^'
			if reverse {
				pi++
			}
			matched := false
			if pi+1 < len(p) && (p[pi+1] == ']' || p[pi+1] == '-') {
				pi++
				if p[pi] == text[ti] {
					matched = true
				}
			}
			last := byte(0)
			if pi < len(p) {
				last = p[pi]
			}
			for pi++; pi < len(p) && p[pi] != ']'; pi++ {
				if p[pi] == '-' && pi+1 < len(p) && p[pi+1] != ']' {
					pi++
					if text[ti] <= p[pi] && text[ti] >= last {
						matched = true
					}
				} else if p[pi] == text[ti] {
					matched = true
				}
				last = p[pi]
			}
			if matched == reverse {
				return matchFalse
			}
		default:
			if text[ti] != p[pi] {
				return matchFalse
			}
		}
	}
	if ti == len(text) {
		return matchTrue
	}
	return matchFalse
}
