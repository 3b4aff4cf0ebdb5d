package reconstruct

import (
	"errors"
	"fmt"

	"gyrus/lib/annotate"
	"gyrus/lib/config"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/message"
	"gyrus/lib/quota"
)

// OpenEnv opens, from imapd.conf, what the maintenance tools work with:
// mailboxes.db, the quota store (its hook given to lib/mailbox and
// lib/mboxlist, so that the tools' changes are charged as the services'
// are) and annotations.db. Close releases them.
func OpenEnv(c *config.Config) (*Env, error) { return openEnv(c, true) }

// OpenEnvAnyPartition is OpenEnv for the tools that Cyrus starts without
// partition data (cyr_expire, unexpunge, mbexamine: no
// CONFIG_NEED_PARTITION_DATA): a defaultpartition with no
// partition-<name> is not an error for them; a mailbox on a partition
// that is not configured fails when it is opened, alone.
func OpenEnvAnyPartition(c *config.Config) (*Env, error) { return openEnv(c, false) }

func openEnv(c *config.Config, needDefault bool) (*Env, error) {
	s, err := mboxlist.SettingsFromConfig(c)
	if err != nil && (needDefault || !onlyDefaultPartitionMissing(s)) {
		return nil, err
	}
	mo, err := mailbox.OptionsFromConfig(c)
	if err != nil {
		return nil, err
	}
	q, err := quota.Open(quota.OptionsFromConfig(c))
	if err != nil {
		return nil, fmt.Errorf("open quota database: %w", err)
	}
	mo.Quota = q
	s.Mailbox = mo
	s.Quota = q
	l, err := mboxlist.Open(s)
	if err != nil {
		q.Close()
		return nil, fmt.Errorf("open mailboxes database: %w", err)
	}
	path, backend := annotate.PathFromConfig(c)
	a, err := annotate.Open(path, backend)
	if err != nil {
		l.Close()
		q.Close()
		return nil, fmt.Errorf("open annotations database: %w", err)
	}
	return &Env{
		List: l, Quota: q, Annot: a, Mailbox: mo,
		Message: message.Options{
			MaxHeaderLines: c.Maxheaderlines(),
			BoundaryLimit:  c.BoundaryLimit(),
			RFC2046Strict:  c.Rfc2046Strict(),
			RFC2047UTF8:    c.Rfc2047Utf8(),
		},
		DefaultOptions: uint32(c.MailboxDefaultOptions()) & index.OptionsMask,
	}, nil
}

// Close closes the databases OpenEnv opened.
func (e *Env) Close() error {
	var errs []error
	if e.Annot != nil {
		errs = append(errs, e.Annot.Close())
	}
	if e.List != nil {
		errs = append(errs, e.List.Close())
	}
	if e.Quota != nil {
		errs = append(errs, e.Quota.Close())
	}
	return errors.Join(errs...)
}

// onlyDefaultPartitionMissing reports whether the settings are complete
// (SettingsFromConfig checks the default partition last) and only the
// default partition has no root.
func onlyDefaultPartitionMissing(s mboxlist.Settings) bool {
	if s.Path == "" || s.DefaultPartition == "" {
		return false
	}
	_, ok := s.Partitions[s.DefaultPartition]
	return !ok
}
