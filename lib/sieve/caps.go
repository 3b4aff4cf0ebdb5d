package sieve

import (
	"strings"

	"gyrus/lib/config"
)

// capa is one bit of what a script may use, as Cyrus 3.6.1 counts them
// (RFC 5228 base, then one bit per extension).
type capa uint64

const (
	capBase capa = 1 << iota
	capCompNumeric
	capEncodedChar
	capEnvelope
	capFileinto
	capRegex
	capCopy
	capBody
	capEnvironment
	capVariables
	capVacation
	capRelational
	capImap4flags
	capSubaddress
	capDate
	capIndex
	capEditheader
	capEreject
	capReject
	capEnotify
	capNotify
	capIhave
	capMailbox
	capMboxmeta
	capServermeta
	capRedirDelby
	capRedirDsn
	capVacationSec
	capExtlists
	capInclude
	capDuplicate
	capSpecialUse
	capFcc
	capMailboxid
	capLog
	capJmapquery
	capSnooze
	capImip
)

// capAll is what "require ihave" makes usable without a require of its
// own (RFC 5463 5: everything the implementation knows), except the two
// extensions ihave must not name.
const capAll = capBase | capCompNumeric | capEncodedChar | capEnvelope | capFileinto |
	capRegex | capCopy | capBody | capEnvironment | capVariables | capVacation |
	capRelational | capImap4flags | capSubaddress | capDate | capIndex | capEditheader |
	capEreject | capReject | capEnotify | capNotify | capIhave | capMailbox | capMboxmeta |
	capServermeta | capRedirDelby | capRedirDsn | capVacationSec | capExtlists | capInclude |
	capDuplicate | capSpecialUse | capFcc | capMailboxid | capLog | capJmapquery | capSnooze | capImip

const capIhaveIncompat = capEncodedChar | capVariables

// capNames is Cyrus's table of extension names. Names of extensions
// Cyrus knows of but does not implement (spamtest, mime, ...) map to 0,
// as there: requiring them is "unsupported", naming them in ihave is
// simply false.
var capNames = map[string]capa{
	"comparator-i;octet": capBase, "comparator-i;ascii-casemap": capBase,
	"comparator-i;ascii-numeric": capCompNumeric,
	"encoded-character":          capEncodedChar,
	"envelope":                   capEnvelope,
	"fileinto":                   capFileinto,
	"regex":                      capRegex,
	"copy":                       capCopy,
	"body":                       capBody,
	"environment":                capEnvironment,
	"variables":                  capVariables,
	"vacation":                   capVacation,
	"relational":                 capRelational,
	"imap4flags":                 capImap4flags, "imapflags": capImap4flags,
	"subaddress": capSubaddress,
	"spamtest":   0, "spamtestplus": 0, "virustest": 0,
	"date": capDate, "index": capIndex,
	"editheader": capEditheader,
	"ereject":    capEreject, "reject": capReject,
	"enotify": capEnotify, "notify": capNotify,
	"ihave":   capIhave,
	"mailbox": capMailbox, "mboxmetadata": capMboxmeta, "servermetadata": capServermeta,
	"enclose": 0, "extracttest": 0, "foreverypart": 0, "mime": 0, "replace": 0,
	"envelope-deliverby": 0, "envelope-dsn": 0,
	"redirect-deliverby": capRedirDelby, "redirect-dsn": capRedirDsn,
	"vacation-seconds": capVacationSec,
	"extlists":         capExtlists,
	"convert":          0,
	"include":          capInclude,
	"imapsieve":        0,
	"duplicate":        capDuplicate,
	"special-use":      capSpecialUse,
	"fcc":              capFcc,
	"mailboxid":        capMailboxid,
	"vnd.cyrus.log":    capLog, "x-cyrus-log": capLog,
	"vnd.cyrus.jmapquery": capJmapquery, "x-cyrus-jmapquery": capJmapquery,
	"snooze": capSnooze, "vnd.cyrus.snooze": capSnooze, "x-cyrus-snooze": capSnooze,
	"vnd.cyrus.imip": capImip,
}

// capConfig is the sieve_extensions bit that enables each extension;
// the ones without a bit are always on.
var capConfig = map[capa]config.Bits{
	capEnvelope:    config.SieveExtensionsEnvelope,
	capFileinto:    config.SieveExtensionsFileinto,
	capRegex:       config.SieveExtensionsRegex,
	capCopy:        config.SieveExtensionsCopy,
	capEnvironment: config.SieveExtensionsEnvironment,
	capBody:        config.SieveExtensionsBody,
	capVariables:   config.SieveExtensionsVariables,
	capVacation:    config.SieveExtensionsVacation,
	capRelational:  config.SieveExtensionsRelational,
	capImap4flags:  config.SieveExtensionsImap4flags,
	capSubaddress:  config.SieveExtensionsSubaddress,
	capDate:        config.SieveExtensionsDate,
	capIndex:       config.SieveExtensionsIndex,
	capEditheader:  config.SieveExtensionsEditheader,
	capEreject:     config.SieveExtensionsReject,
	capReject:      config.SieveExtensionsReject,
	capEnotify:     config.SieveExtensionsNotify,
	capNotify:      config.SieveExtensionsNotify,
	capIhave:       config.SieveExtensionsIhave,
	capMailbox:     config.SieveExtensionsMailbox,
	capMboxmeta:    config.SieveExtensionsMboxmetadata,
	capServermeta:  config.SieveExtensionsServermetadata,
	capVacationSec: config.SieveExtensionsVacationSeconds,
	capExtlists:    config.SieveExtensionsExtlists,
	capInclude:     config.SieveExtensionsInclude,
	capDuplicate:   config.SieveExtensionsDuplicate,
	capSpecialUse:  config.SieveExtensionsSpecialUse,
	capFcc:         config.SieveExtensionsFcc,
	capRedirDelby:  config.SieveExtensionsRedirectDeliverby,
	capRedirDsn:    config.SieveExtensionsRedirectDsn,
	capMailboxid:   config.SieveExtensionsMailboxid,
	capLog:         config.SieveExtensionsVndCyrusLog,
	capJmapquery:   config.SieveExtensionsVndCyrusJmapquery,
	capSnooze:      config.SieveExtensionsSnooze,
	capImip:        config.SieveExtensionsVndCyrusImip,
}

// active is the extension a require names, if Cyrus knows it and
// imapd.conf enables it (Cyrus's extension_isactive); 0 if not.
func (o Options) active(name string) capa {
	c, ok := capNames[name]
	if !ok || c == 0 {
		return 0
	}
	if bit, ok := capConfig[c]; ok && o.Extensions&bit == 0 {
		return 0
	}
	if c == capExtlists && o.HTTPModules&config.HttpmodulesCarddav == 0 {
		// (timsieved still announces it: Cyrus checks httpmodules only
		// here)
		return 0
	}
	if c == capVacationSec {
		// vacation-seconds implies vacation (RFC 6131 2)
		c |= capVacation
	}
	return c
}

// capabilityOrder is the SIEVE capability of Cyrus 3.6.1's timsieved,
// in its order: each name and the extension that must be active.
var capabilityOrder = []struct {
	name string
	c    capa
}{
	{"encoded-character", capEncodedChar},
	{"comparator-i;ascii-numeric", capCompNumeric},
	{"fileinto", capFileinto},
	{"reject ereject", capReject},
	{"vacation vacation-seconds", capVacationSec},
	{"vacation", capVacation}, // only when vacation-seconds is off
	{"notify enotify", capNotify},
	{"include", capInclude},
	{"editheader", capEditheader},
	{"vnd.cyrus.snooze", capSnooze},
	{"vnd.cyrus.imip", capImip},
	{"envelope", capEnvelope},
	{"environment", capEnvironment},
	{"body", capBody},
	{"imap4flags", capImap4flags},
	{"date", capDate},
	{"ihave", capIhave},
	{"mailbox", capMailbox},
	{"mboxmetadata", capMboxmeta},
	{"servermetadata", capServermeta},
	{"duplicate", capDuplicate},
	{"vnd.cyrus.jmapquery", capJmapquery},
	{"relational", capRelational},
	{"regex", capRegex},
	{"extlists", capExtlists},
	{"subaddress", capSubaddress},
	{"copy", capCopy},
	{"index", capIndex},
	{"variables", capVariables},
	{"redirect-deliverby", capRedirDelby},
	{"redirect-dsn", capRedirDsn},
	{"special-use", capSpecialUse},
	{"fcc", capFcc},
	{"mailboxid", capMailboxid},
	// vnd.cyrus.log is never announced: Cyrus keeps it for admins
}

func (o Options) enabled(c capa) bool {
	bit, ok := capConfig[c]
	return !ok || o.Extensions&bit != 0
}

func (o Options) capability() string {
	var out []string
	vacSec := false
	for _, e := range capabilityOrder {
		if !o.enabled(e.c) {
			continue
		}
		switch e.c {
		case capVacationSec:
			// Cyrus announces both on the vacation-seconds bit alone
			vacSec = true
		case capVacation:
			if vacSec {
				continue
			}
		}
		out = append(out, e.name)
	}
	return strings.Join(out, " ")
}
