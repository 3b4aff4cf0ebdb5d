package main

import (
	"bufio"
	"fmt"
	"strings"

	"gyrus/lib/config"
	"gyrus/lib/config/cyrusconf"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

// doLint prints the overflow keys that nothing knows, with the rules of
// Cyrus 3.6.1's cyr_info: partition keys, sasl_* keys, keys prefixed by a
// service of cyrus.conf, and sync_* keys prefixed by a channel of
// sync_log_channels are known.
func doLint(w *bufio.Writer, c *config.Config, masterConf string) error {
	cc, err := cyrusconf.Load(masterConf)
	if err != nil {
		return tool.Fatal(sysexits.Config, "%v", err)
	}
	var prefixes []string
	for _, name := range cc.ServiceNames() {
		prefixes = append(prefixes, name+"_")
	}
	channels := strings.Fields(c.SyncLogChannels())
	for _, e := range c.OverflowEntries() {
		if !lintKnown(c, e.Key, prefixes, channels) {
			fmt.Fprintf(w, "%s: %s\n", e.Key, e.Value)
		}
	}
	return nil
}

func lintKnown(c *config.Config, key string, services, channels []string) bool {
	if knownOverflow(c, key) || strings.HasPrefix(key, "sasl_") {
		return true
	}
	for _, p := range services {
		if rest, ok := strings.CutPrefix(key, p); ok && (knownOption(rest) || knownOverflow(c, rest)) {
			return true
		}
	}
	// Cyrus gives up on the channel list at the first channel that is a
	// prefix of the key without being followed by "_sync_".
	for _, ch := range channels {
		if ch == `""` {
			continue // the default channel has no prefix
		}
		if !strings.HasPrefix(key, ch) {
			continue
		}
		if len(key) <= len(ch)+1 || key[len(ch)] != '_' || !strings.HasPrefix(key[len(ch)+1:], "sync_") {
			break
		}
		rest := key[len(ch)+1:]
		if knownOption(rest) || knownOverflow(c, rest) {
			return true
		}
	}
	return false
}

func knownOption(key string) bool {
	_, ok := config.Lookup(key)
	return ok
}

// knownOverflow: partition-* always; metapartition-*, archivepartition-*
// and <tier>searchpartition-* only when the matching partition exists;
// backuppartition-* and xlist-* always.
func knownOverflow(c *config.Config, key string) bool {
	switch {
	case strings.HasPrefix(key, "partition-"), strings.HasPrefix(key, "backuppartition-"), strings.HasPrefix(key, "xlist-"):
		return true
	case strings.HasPrefix(key, "metapartition-"):
		if _, ok := c.Overflow(key[4:]); ok {
			return true
		}
	case strings.HasPrefix(key, "archivepartition-"):
		if _, ok := c.Overflow(key[7:]); ok {
			return true
		}
	}
	if i := strings.Index(key, "searchpartition-"); i >= 0 {
		if _, ok := c.Overflow(key[i+6:]); ok {
			return true
		}
	}
	return false
}
