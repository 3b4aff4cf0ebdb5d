package config

import (
	"strconv"
	"strings"

	"gyrus/lib/config/internal/table"
)

// Setting is one option's value for generic listings (`cyr_info conf`).
// Code that acts on an option uses its typed accessor instead.
type Setting struct {
	Option *Option
	// Seen: the value comes from the file (for a replacement option, maybe
	// through its deprecated name) rather than from the table default.
	Seen bool
	// Null: a string, stringlist or duration option without any value.
	Null bool
	// Text is the value as cyr_info prints it: strings and durations as
	// written ({configdirectory} expanded in strings), the enum word,
	// decimal ints, yes/no for switches, the words of a bitfield.
	Text string
	// Int is the number of an int, 0/1 of a switch, the index of an enum
	// word in Option.Values, the mask of a bitfield.
	Int int64
	// Changed: differs from the default the way Cyrus's `cyr_info conf`
	// compares (strings with {configdirectory} expanded, durations as
	// text, enums, ints, switches and bitfields by value).
	Changed bool
	// File and Line say where the value was set (empty when not seen).
	File string
	Line int
}

// Settings returns every option's effective value, in table order.
func (c *Config) Settings() []Setting {
	out := make([]Setting, len(c.vals))
	for i := range c.vals {
		out[i] = c.setting(i)
	}
	return out
}

// Setting returns one option's effective value.
func (c *Config) Setting(key string) (Setting, bool) {
	i, ok := index[key]
	if !ok {
		return Setting{}, false
	}
	return c.setting(i), true
}

// DefaultSettings returns the table defaults as Settings, in table order,
// with {configdirectory} left unexpanded (`cyr_info conf-default`).
func DefaultSettings() []Setting {
	out := make([]Setting, len(defaults))
	for i := range defaults {
		out[i] = makeSetting(&table.Options[i], defaults[i])
	}
	return out
}

func (c *Config) setting(i int) Setting {
	o := &table.Options[i]
	s := makeSetting(o, c.vals[i])
	d := defaults[i]
	switch o.Type {
	case table.String, table.StringList:
		def := d.str
		const macro = "{configdirectory}"
		if len(def) >= len(macro) && strings.EqualFold(def[:len(macro)], macro) {
			def = c.vals[index["configdirectory"]].str + def[len(macro):]
		}
		s.Changed = def != c.vals[i].str
	case table.Duration:
		s.Changed = d.str != c.vals[i].str
	default:
		s.Changed = d.num != c.vals[i].num
	}
	return s
}

func makeSetting(o *table.Option, v value) Setting {
	s := Setting{Option: o, Seen: v.seen != 0, Null: v.null, Int: v.num, File: v.file, Line: v.line}
	switch o.Type {
	case table.Int:
		s.Text = strconv.FormatInt(v.num, 10)
	case table.Switch:
		s.Text = "no"
		if v.num != 0 {
			s.Text = "yes"
		}
	case table.Bitfield:
		var words []string
		for bit, w := range o.Canonical() {
			if v.num&(1<<bit) != 0 {
				words = append(words, w)
			}
		}
		s.Text = strings.Join(words, " ")
	default:
		s.Text = v.str
	}
	return s
}
