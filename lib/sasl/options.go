package sasl

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"gyrus/lib/config"
	"gyrus/lib/sasl/saslauthd"
)

// Defaults of the sasl_* keys (Cyrus SASL 2.1.28 as built by Debian).
const (
	DefaultPwcheckMethod = "auxprop"
	DefaultSasldbPath    = "/etc/sasldb2"
	DefaultSaslauthdPath = saslauthd.DefaultPath
)

// Password check methods (sasl_pwcheck_method words).
const (
	MethodAuxprop    = "auxprop"
	MethodSaslauthd  = "saslauthd"
	MethodAlwaysTrue = "alwaystrue"
)

// Options are the sasl_* settings. The zero value means Cyrus's defaults.
type Options struct {
	PwcheckMethods  []string // sasl_pwcheck_method; nil = [auxprop]
	AuxpropPlugins  []string // sasl_auxprop_plugin; nil = all (sasldb)
	SasldbPath      string   // sasl_sasldb_path; "" = /etc/sasldb2
	SaslauthdPath   string   // sasl_saslauthd_path; "" = /var/run/saslauthd/mux
	MechList        []string // sasl_mech_list; nil = every mechanism
	ScramIterations int      // sasl_scram_iteration_counter for new secrets; 0 = store default
	ServerName      string   // servername: realm of ids without '@'; "" = hostname
	Service         string   // SASL service name sent to saslauthd: imap, pop, lmtp, sieve
}

// OverflowSource is what OptionsFrom needs of a configuration:
// *config.Config satisfies it (service-prefixed keys first).
type OverflowSource interface {
	Overflow(key string) (string, bool)
}

// OptionsFrom reads the sasl_* overflow keys. servername is the value of
// the servername option ("" = hostname), service the SASL service name.
func OptionsFrom(src OverflowSource, servername, service string) (Options, error) {
	o := Options{ServerName: servername, Service: service}
	get := func(k string) (string, bool) {
		v, ok := src.Overflow("sasl_" + k)
		return strings.TrimSpace(v), ok
	}
	if v, ok := get("pwcheck_method"); ok {
		o.PwcheckMethods = strings.Fields(v)
	}
	if v, ok := get("auxprop_plugin"); ok {
		o.AuxpropPlugins = strings.Fields(v)
	}
	if v, ok := get("sasldb_path"); ok {
		o.SasldbPath = v
	}
	if v, ok := get("saslauthd_path"); ok {
		o.SaslauthdPath = v
	}
	if v, ok := get("mech_list"); ok {
		o.MechList = strings.Fields(v)
	}
	if v, ok := get("scram_iteration_counter"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return o, fmt.Errorf("sasl_scram_iteration_counter: %q is not a positive number", v)
		}
		o.ScramIterations = n
	}
	return o, o.validate()
}

// OptionsFromConfig is OptionsFrom on a loaded imapd.conf.
func OptionsFromConfig(c *config.Config, service string) (Options, error) {
	return OptionsFrom(c, c.Servername(), service)
}

func (o Options) validate() error {
	for _, m := range o.methods() {
		switch strings.ToLower(m) {
		case MethodAuxprop, MethodSaslauthd, MethodAlwaysTrue:
		default:
			return fmt.Errorf("sasl_pwcheck_method: %q is not supported (auxprop, saslauthd, alwaystrue)", m)
		}
	}
	for _, p := range o.AuxpropPlugins {
		if !strings.EqualFold(p, "sasldb") {
			return fmt.Errorf("sasl_auxprop_plugin: %q is not supported (sasldb)", p)
		}
	}
	return nil
}

func (o Options) methods() []string {
	if len(o.PwcheckMethods) == 0 {
		return []string{DefaultPwcheckMethod}
	}
	return o.PwcheckMethods
}

func (o Options) hasMethod(m string) bool {
	for _, x := range o.methods() {
		if strings.EqualFold(x, m) {
			return true
		}
	}
	return false
}

func (o Options) sasldbPath() string {
	if o.SasldbPath == "" {
		return DefaultSasldbPath
	}
	return o.SasldbPath
}

func (o Options) realm() string {
	if o.ServerName != "" {
		return o.ServerName
	}
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return h
}
