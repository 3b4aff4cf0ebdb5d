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
func OpenEnv(c *config.Config) (*Env, error) {
	s, err := mboxlist.SettingsFromConfig(c)
	if err != nil {
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
