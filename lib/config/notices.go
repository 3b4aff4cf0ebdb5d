package config

import (
	"sort"
	"strings"
)

// NoticeKind says what a Notice reports.
type NoticeKind uint8

const (
	// Unknown: a key that is neither an option nor a known overflow form
	// (partition-*, sasl_*, <service>_<option>, <channel>_sync_*...).
	// Cyrus keeps such keys silently; we report them once, not fatally.
	Unknown NoticeKind = iota + 1
	// Unimplemented: options that are set but that Gyrus does not act on
	// yet (Option.Implemented false); Keys lists them all.
	Unimplemented
	// Deprecated: an old option name; its value went to Replacement.
	Deprecated
	// DeprecatedValue: an old spelling (Value) of a bitfield word.
	DeprecatedValue
)

// Notice is something loading found worth one log line.
type Notice struct {
	Kind        NoticeKind
	Key         string
	Keys        []string // Unimplemented
	Value       string   // DeprecatedValue: the old word
	Replacement string   // preferred option or word
	Since       string   // Deprecated: Cyrus version
	File        string
	Line        int
}

// LogArgs renders the notice as a log event and its key/value pairs, in
// the form package log prints ("config_unknown: file=... line=12 key=x").
func (n Notice) LogArgs() (event string, kv []any) {
	switch n.Kind {
	case Unknown:
		return "config_unknown_option", []any{"file", n.File, "line", n.Line, "key", n.Key}
	case Unimplemented:
		return "config_not_implemented", []any{"file", n.File, "keys", strings.Join(n.Keys, ",")}
	case Deprecated:
		kv = []any{"file", n.File, "line", n.Line, "key", n.Key, "since", n.Since}
		if n.Replacement != "" {
			kv = append(kv, "replacement", n.Replacement)
		}
		return "config_deprecated_option", kv
	case DeprecatedValue:
		return "config_deprecated_value", []any{"file", n.File, "line", n.Line, "key", n.Key,
			"value", n.Value, "replacement", n.Replacement}
	}
	return "config_notice", []any{"key", n.Key}
}

// overflowFamilies are key prefixes that Cyrus reads from the overflow
// table on purpose.
var overflowFamilies = []string{
	"partition-", "metapartition-", "archivepartition-", "backuppartition-",
	"xlist-", "sasl_",
}

// knownOverflow reports whether key is a legitimate overflow key without
// a prefix: a partition of some kind, a SASL option, a legacy xlist flag.
func knownOverflow(key string) bool {
	for _, p := range overflowFamilies {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return strings.Contains(key, "searchpartition-")
}

// hostKeys are per-host settings of Murder and client code
// (<host>_password, <host>_mechs) that Cyrus reads from overflow.
var hostKeys = []string{"password", "mechs"}

// unknownNotices lists overflow keys that nothing reads. Services are not
// known here (cyrus.conf is not read), so any "<prefix>_<option>" is
// taken as an override for some service or channel.
func (l *loader) unknownNotices() []Notice {
	var out []Notice
	for k, o := range l.c.over {
		if _, ok := index[k]; ok {
			continue // the original spelling of a deprecated option
		}
		if knownOverflow(k) || hasKnownSuffix(k) {
			continue
		}
		out = append(out, Notice{Kind: Unknown, Key: k, File: o.file, Line: o.line})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out
}

func hasKnownSuffix(k string) bool {
	for i := 0; i < len(k); i++ {
		if k[i] != '_' || i == 0 {
			continue
		}
		rest := k[i+1:]
		if _, ok := index[rest]; ok || knownOverflow(rest) {
			return true
		}
		for _, h := range hostKeys {
			if rest == h {
				return true
			}
		}
	}
	return false
}
