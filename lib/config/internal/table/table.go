// Package table holds the one table of imapd.conf options that Gyrus knows:
// every option of Cyrus IMAP 3.6.1 (plus the two that Debian's 3.6.1
// security update added), in Cyrus's own order, with its type, default,
// allowed values, deprecation and a one-line description.
//
// Nothing else in Gyrus states a default or a type: package config parses
// with it, the typed accessors (config/accessors_gen.go) are generated from
// it, cyr_info prints it and man/imapd.conf.5 is generated from it.
//
// Facts come from upstream lib/imapoptions (tag cyrus-imapd-3.6.1) and from
// running the real `cyr_info conf-default`; the descriptions are our own.
// The order of Options is the order in which `cyr_info conf*` prints, so
// never sort it; add new rows where Cyrus has them.
package table

// Type is the value type of an option (imapd.conf(5), spec/config.md §B.2).
type Type uint8

const (
	// String is any text up to the end of the line.
	String Type = iota + 1
	// Int is a C strtol number: decimal, 0x hex or 0 octal, optional sign.
	Int
	// Switch is a boolean judged by the first letters (y/t/1/on, n/f/0/off).
	Switch
	// Enum is one word of Values; yes/no/true/false/t/f/1/0 become on/off.
	Enum
	// StringList is one word of Values, kept as text (no on/off folding).
	StringList
	// Bitfield is a space-separated set of words of Values.
	Bitfield
	// Duration is [-]N<unit>... with units d h m s; a bare trailing number
	// takes the option's Unit.
	Duration
)

var typeNames = [...]string{"", "string", "int", "switch", "enum", "stringlist", "bitfield", "duration"}

// String names the type as the man page and error messages do.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "invalid"
}

// Option is one row of the table.
type Option struct {
	// Key is the option name, lower case, as written in imapd.conf.
	Key string
	// Type is the value type.
	Type Type
	// Default is the compiled-in value written as it would be in
	// imapd.conf ("" = none). Strings may start with {configdirectory}.
	// Switches use yes/no; bitfields list their words.
	Default string
	// Values lists the allowed words of Enum, StringList and Bitfield
	// options, in Cyrus's order. A Bitfield word may carry old spellings
	// after '=' ("imap4flags=imapflags"): they set the same bit.
	Values []string
	// Unit is the unit ('s', 'm', 'h' or 'd') that a Duration written as a
	// bare number (or ending in a bare number) is counted in. Cyrus fixes it
	// per option at the place of use; we keep it here.
	Unit byte
	// Modified is the Cyrus version that last changed the option
	// (`cyr_info -s` highlights options newer than a given version).
	Modified string
	// DeprecatedSince is the Cyrus version that deprecated the option.
	DeprecatedSince string
	// Replacement is the option that takes a deprecated option's value.
	Replacement string
	// Doc says in one line what the option does (our own words).
	Doc string
	// Implemented is true when Gyrus code acts on the option. An option
	// that is set but not implemented is accepted and reported once.
	// Flip it in the same commit as the code that reads the accessor, then
	// regenerate man/imapd.conf.5 (make man).
	Implemented bool
	// Extension marks an option that Cyrus 3.6.1 does not have: one Gyrus
	// takes from a later Cyrus release (Modified names that release) or
	// adds itself. Real 3.6.1 tools treat such a key as unknown.
	Extension bool
}

// Deprecated reports whether the option is kept only for old configs.
func (o *Option) Deprecated() bool { return o.DeprecatedSince != "" }

// Words returns the allowed words of the option with their alias
// spellings, in Cyrus's enumeration order, and for each word the index of
// the canonical value (its bit number for a Bitfield).
func (o *Option) Words() (names []string, value []int) {
	for i, v := range o.Values {
		start := 0
		for j := 0; j <= len(v); j++ {
			if j == len(v) || v[j] == '=' {
				names = append(names, v[start:j])
				value = append(value, i)
				start = j + 1
			}
		}
	}
	return names, value
}

// Canonical returns the preferred spelling of each allowed value (aliases
// after '=' removed).
func (o *Option) Canonical() []string {
	out := make([]string, len(o.Values))
	for i, v := range o.Values {
		out[i] = v
		for j := 0; j < len(v); j++ {
			if v[j] == '=' {
				out[i] = v[:j]
				break
			}
		}
	}
	return out
}

// GoName turns an option key or value word into a Go identifier part:
// "mboxlist_db" → "MboxlistDb", "vnd.cyrus.log" → "VndCyrusLog".
func GoName(s string) string {
	var out []byte
	up := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			if up {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			up = false
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			out = append(out, c)
			up = false
		default:
			up = true
		}
	}
	return string(out)
}
