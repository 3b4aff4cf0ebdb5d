package config

import "time"

// Replication settings may be given per channel as overflow keys
// "<channel>_<key>" (imapd.conf(5), sync_client(8) -n): the channel form
// wins, else the plain option applies. channel "" means the default
// (unnamed) channel. An <ident>_<channel>_<key> key wins over both.

func (c *Config) channelString(channel, key string, core func() string) string {
	if channel != "" {
		if v, ok := c.Overflow(channel + "_" + key); ok {
			return v
		}
	}
	return core()
}

// SyncHostFor returns sync_host for a replication channel.
func (c *Config) SyncHostFor(channel string) string {
	return c.channelString(channel, "sync_host", c.SyncHost)
}

// SyncPortFor returns sync_port for a replication channel.
func (c *Config) SyncPortFor(channel string) string {
	return c.channelString(channel, "sync_port", c.SyncPort)
}

// SyncAuthnameFor returns sync_authname for a replication channel.
func (c *Config) SyncAuthnameFor(channel string) string {
	return c.channelString(channel, "sync_authname", c.SyncAuthname)
}

// SyncPasswordFor returns sync_password for a replication channel.
func (c *Config) SyncPasswordFor(channel string) string {
	return c.channelString(channel, "sync_password", c.SyncPassword)
}

// SyncRealmFor returns sync_realm for a replication channel.
func (c *Config) SyncRealmFor(channel string) string {
	return c.channelString(channel, "sync_realm", c.SyncRealm)
}

// SyncShutdownFileFor returns sync_shutdown_file for a replication channel.
func (c *Config) SyncShutdownFileFor(channel string) string {
	return c.channelString(channel, "sync_shutdown_file", c.SyncShutdownFile)
}

// SyncCacheDbPathFor returns sync_cache_db_path for a replication channel.
func (c *Config) SyncCacheDbPathFor(channel string) string {
	return c.channelString(channel, "sync_cache_db_path", c.SyncCacheDbPath)
}

// SyncRepeatIntervalFor returns sync_repeat_interval for a replication
// channel (a bare number counts seconds). A channel value that does not
// parse falls back to the plain option, as in Cyrus.
func (c *Config) SyncRepeatIntervalFor(channel string) time.Duration {
	if channel != "" {
		if v, ok := c.Overflow(channel + "_sync_repeat_interval"); ok {
			if secs, ok := parseDuration(v, 's'); ok {
				return secondsToDuration(secs)
			}
		}
	}
	return c.SyncRepeatInterval()
}

// SyncTryImapFor returns sync_try_imap for a replication channel. The
// channel value is read as a switch (Cyrus 3.6.1 reads it with atoi, so
// there "yes" counts as off; we follow the documented meaning instead).
func (c *Config) SyncTryImapFor(channel string) bool {
	if channel != "" {
		if v, ok := c.Overflow(channel + "_sync_try_imap"); ok {
			if b, ok := parseSwitch(v); ok {
				return b
			}
		}
	}
	return c.SyncTryImap()
}
