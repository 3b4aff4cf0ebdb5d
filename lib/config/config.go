package config

import (
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"gyrus/lib/config/internal/table"
)

// DefaultPath is the imapd.conf read when no -C option is given.
const DefaultPath = "/etc/imapd.conf"

// Option is one row of the option table (see Options).
type Option = table.Option

// Type is the value type of an option.
type Type = table.Type

// The option value types of imapd.conf(5).
const (
	String     = table.String
	Int        = table.Int
	Switch     = table.Switch
	Enum       = table.Enum
	StringList = table.StringList
	Bitfield   = table.Bitfield
	Duration   = table.Duration
)

// Bits is the value of a bitfield option: bit i is set when the i-th
// allowed word (Option.Canonical()[i]) was given. The generated constants
// (SieveExtensionsFileinto, HttpmodulesCaldav, ...) name the bits.
type Bits uint64

// Has reports whether every bit of x is set in b.
func (b Bits) Has(x Bits) bool { return b&x == x }

// Options returns the option table in Cyrus's order. The slice and its
// rows are shared: do not modify them.
func Options() []Option { return table.Options }

// Lookup returns the table row of a known option key (lower case).
func Lookup(key string) (*Option, bool) {
	i, ok := index[key]
	if !ok {
		return nil, false
	}
	return &table.Options[i], true
}

var (
	index    = map[string]int{}
	defaults []value // parsed table defaults, parallel to table.Options
)

func init() {
	defaults = make([]value, len(table.Options))
	for i := range table.Options {
		o := &table.Options[i]
		index[o.Key] = i
	}
	for i := range table.Options {
		o := &table.Options[i]
		if o.Default == "" && o.Type != Int && o.Type != Switch && o.Type != Bitfield {
			defaults[i] = value{null: true}
			continue
		}
		v, err := parseValue(o, o.Default, nil)
		if err != "" {
			panic("config: bad default of " + o.Key + ": " + err)
		}
		defaults[i] = v
	}
}

// value is an option's effective value inside a Config.
type value struct {
	seen uint8  // 0: default; 1: set as <key>; 2: set as <ident>_<key>
	null bool   // string-like option without any value
	str  string // String, StringList, Duration (as written), Enum word
	num  int64  // Int; Switch 0/1; Enum index; Bitfield mask
	secs int64  // Duration in seconds, counted with the option's Unit
	file string
	line int
}

// overflow is a key that is not an option of the table: partition-*,
// sasl_*, keys prefixed for another service or a channel, and the
// original spelling of deprecated options.
type overflow struct {
	val  string
	file string
	line int
}

// Config is imapd.conf as one program (its ident) sees it. It is
// read-only once loaded, so any number of goroutines may share it.
type Config struct {
	file    string
	ident   string
	vals    []value
	over    map[string]overflow
	notices []Notice
}

// Ident returns the program ident the config was read for: the program
// name of a tool, the cyrus.conf entry name of a service.
func (c *Config) Ident() string { return c.ident }

// Filename returns the top-level file the config was read from.
func (c *Config) Filename() string { return c.file }

// Notices returns what loading found worth reporting once: unknown keys,
// options Gyrus does not act on yet, deprecated names and values. The
// program logs them after its logging is set up (package tool does).
func (c *Config) Notices() []Notice { return c.notices }

// Overflow looks up a key that is not a table option (partition-default,
// sasl_pwcheck_method, <channel>_sync_host...): first "<ident>_<key>",
// then "<key>" as given. Values are never {configdirectory}-expanded.
func (c *Config) Overflow(key string) (string, bool) {
	if c.ident != "" {
		if o, ok := c.over[strings.ToLower(c.ident+"_"+key)]; ok {
			return o.val, true
		}
	}
	o, ok := c.over[key]
	return o.val, ok
}

// Partitions maps each partition name to its spool directory, from the
// partition-<name> keys (an <ident>_partition-<name> key wins).
func (c *Config) Partitions() map[string]string { return c.prefixed("partition-") }

// MetaPartitions maps partition names to their metadata directories, from
// the metapartition-<name> keys.
func (c *Config) MetaPartitions() map[string]string { return c.prefixed("metapartition-") }

func (c *Config) prefixed(prefix string) map[string]string {
	out := map[string]string{}
	mine := strings.ToLower(c.ident) + "_" + prefix
	for k := range c.over {
		var name string
		switch {
		case strings.HasPrefix(k, prefix):
			name = k[len(prefix):]
		case c.ident != "" && strings.HasPrefix(k, mine):
			name = k[len(mine):]
		default:
			continue
		}
		if v, ok := c.Overflow(prefix + name); ok {
			out[name] = v
		}
	}
	return out
}

// RequirePartitions is the check of tools that need partition data
// (reconstruct, quota, ...), as Cyrus 3.6.1 does it: when defaultpartition
// is set, partition-<defaultpartition> must exist; when it is not set, a
// server that is no Murder frontend needs nothing, and a frontend (a
// non-standard mupdate_config, or proxyservers set) needs at least one
// partition-* key.
func (c *Config) RequirePartitions() error {
	def := c.Defaultpartition()
	found := false
	switch {
	case def != "":
		_, found = c.Overflow("partition-" + def)
	case (c.MupdateServer() == "" || c.MupdateConfig() == MupdateConfigStandard) && c.Proxyservers() == "":
		found = true
	default:
		for k := range c.over {
			if strings.HasPrefix(k, "partition-") {
				found = true
				break
			}
		}
	}
	if found {
		return nil
	}
	name := def
	if name == "" {
		name = "<name>"
	}
	v := c.vals[index["defaultpartition"]]
	return &Error{File: c.file, Line: v.line, Key: "partition-" + name,
		Msg: "option not specified in configuration file"}
}

// Entry is one overflow key with its value and where it was set.
type Entry struct {
	Key, Value string
	File       string
	Line       int
}

// OverflowEntries returns every overflow key in the order Cyrus 3.6's
// `cyr_info conf` and `conf-lint` print them (see cyrusHashOrder).
func (c *Config) OverflowEntries() []Entry {
	keys := make([]string, 0, len(c.over))
	for k := range c.over {
		keys = append(keys, k)
	}
	cyrusHashOrder(keys)
	out := make([]Entry, len(keys))
	for i, k := range keys {
		o := c.over[k]
		out[i] = Entry{Key: k, Value: o.val, File: o.file, Line: o.line}
	}
	return out
}

// The accessor helpers the generated code calls.

func (c *Config) str(i int) string    { return c.vals[i].str }
func (c *Config) integer(i int) int   { return int(c.vals[i].num) }
func (c *Config) flag(i int) bool     { return c.vals[i].num != 0 }
func (c *Config) bitfield(i int) Bits { return Bits(c.vals[i].num) }

func (c *Config) duration(i int) time.Duration {
	return secondsToDuration(c.vals[i].secs)
}

func secondsToDuration(s int64) time.Duration {
	const max = math.MaxInt64 / int64(time.Second)
	switch {
	case s > max:
		return math.MaxInt64
	case s < -max:
		return math.MinInt64
	}
	return time.Duration(s) * time.Second
}

// sortedKeys returns the keys of m in byte order (for FromMap).
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// prefixEnv is where Cyrus looks for an alternative root of config files.
func prefixEnv() string { return os.Getenv("CYRUS_PREFIX") }

// goName is the Go spelling of a key used by the generated accessors.
func goName(key string) string { return table.GoName(key) }
