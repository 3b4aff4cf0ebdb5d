package mboxname

import (
	"fmt"

	"gyrus/lib/config"
)

// NamespaceFromConfig reads the name settings from imapd.conf.
func NamespaceFromConfig(c *config.Config) (Namespace, error) {
	vd, err := ParseVirtDomains(c.Virtdomains())
	if err != nil {
		return Namespace{}, err
	}
	ns := Namespace{
		AltNamespace:          c.Altnamespace(),
		UnixHierarchySep:      c.Unixhierarchysep(),
		VirtDomains:           vd,
		DefaultDomain:         c.Defaultdomain(),
		UserPrefix:            c.Userprefix(),
		SharedPrefix:          c.Sharedprefix(),
		AltPrefix:             c.Altprefix(),
		DeletedPrefix:         c.Deletedprefix(),
		CrossDomains:          c.Crossdomains(),
		CrossDomainsOnlyOther: c.CrossdomainsOnlyother(),
		PostUser:              c.Postuser(),
	}
	if err := ns.Validate(); err != nil {
		return ns, fmt.Errorf("imapd.conf: %w", err)
	}
	return ns, nil
}

// LayoutFromConfig reads the path settings from imapd.conf.
func LayoutFromConfig(c *config.Config) (Layout, error) {
	ns, err := NamespaceFromConfig(c)
	if err != nil {
		return Layout{}, err
	}
	return Layout{
		NS:            ns,
		HashIMAPSpool: c.Hashimapspool(),
		FullDirHash:   c.Fulldirhash(),
		ConfigDir:     c.Configdirectory(),
		LockDir:       c.MboxnameLockpath(),
		SieveDir:      c.Sievedir(),
	}, nil
}
