package config

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, text, ident string) *Config {
	t.Helper()
	c, err := Parse("test.conf", []byte(text), ident)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

const base = "configdirectory: /var/lib/cyrus\n"

func TestKeyValueAndWhitespace(t *testing.T) {
	c := mustParse(t, base+"   servername:   mail.example.org   \t\n\tpostmaster:\tpm@example.org\n", "imap")
	if got := c.Servername(); got != "mail.example.org" {
		t.Errorf("Servername = %q", got)
	}
	if got := c.Postmaster(); got != "pm@example.org" {
		t.Errorf("Postmaster = %q", got)
	}
	if got := c.Configdirectory(); got != "/var/lib/cyrus" {
		t.Errorf("Configdirectory = %q", got)
	}
}

func TestComments(t *testing.T) {
	c := mustParse(t, "# comment\n   # indented comment\n\n"+base+"sendmail: /usr/sbin/sendmail # not a comment\n", "")
	if got := c.Sendmail(); got != "/usr/sbin/sendmail # not a comment" {
		t.Errorf("inline # must be part of the value, got %q", got)
	}
}

func TestContinuation(t *testing.T) {
	text := base + "admins: alice \\\n bob\\\ncarol\nbogus line\n"
	_, err := Parse("test.conf", []byte(text), "")
	var ce *Error
	if !errors.As(err, &ce) || ce.Line != 5 {
		t.Fatalf("want an error on line 5 (physical numbering kept), got %v", err)
	}
	c := mustParse(t, base+"admins: alice \\\n bob\\\ncarol\n", "")
	if got := c.Admins(); got != "alice  bobcarol" {
		t.Errorf("joined value = %q, want %q", got, "alice  bobcarol")
	}
	// A backslash on the last line without a newline is kept.
	c = mustParse(t, base+`admins: x\`, "")
	if got := c.Admins(); got != `x\` {
		t.Errorf("unterminated last line = %q", got)
	}
	// A continuation left open at the end of the file drops the line, as
	// in Cyrus.
	c = mustParse(t, base+"admins: y\\\n", "")
	if got := c.Admins(); got != "" {
		t.Errorf("open continuation at EOF = %q, want dropped", got)
	}
	// CR before the newline: no continuation, trailing CR trimmed.
	c = mustParse(t, base+"admins: z\\\r\nservername: s\r\n", "")
	if c.Admins() != `z\` || c.Servername() != "s" {
		t.Errorf("CRLF handling: admins=%q servername=%q", c.Admins(), c.Servername())
	}
}

func TestKeyLowercase(t *testing.T) {
	c := mustParse(t, "CONFIGDIRECTORY: /x\nServerName: Host\nPartition-Default: /p\n", "")
	if c.Configdirectory() != "/x" || c.Servername() != "Host" {
		t.Errorf("keys must fold to lower case, values keep theirs: %q %q", c.Configdirectory(), c.Servername())
	}
	if v, ok := c.Overflow("partition-default"); !ok || v != "/p" {
		t.Errorf("overflow key not folded: %q %v", v, ok)
	}
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc.conf")
	os.WriteFile(inc, []byte("servername: included\npartition-default: /spool\n"), 0o644)
	top := filepath.Join(dir, "imapd.conf")
	os.WriteFile(top, []byte(base+"@include: "+inc+"\nadmins: root\n"), 0o644)
	c, err := Load(top, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Servername() != "included" || c.Admins() != "root" {
		t.Errorf("include: servername=%q admins=%q", c.Servername(), c.Admins())
	}
	if s, _ := c.Setting("servername"); s.File != inc || s.Line != 1 {
		t.Errorf("setting origin = %s:%d", s.File, s.Line)
	}
	// Uppercase directive name is folded like any key.
	os.WriteFile(top, []byte(base+"@INCLUDE: "+inc+"\n"), 0o644)
	if _, err := Load(top, ""); err != nil {
		t.Errorf("@INCLUDE: %v", err)
	}
}

func TestIncludeTwice(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc.conf")
	os.WriteFile(inc, []byte("servername: x\n"), 0o644)
	top := filepath.Join(dir, "imapd.conf")
	os.WriteFile(top, []byte(base+"@include: "+inc+"\n@include: "+inc+"\n"), 0o644)
	_, err := Load(top, "")
	assertErr(t, err, top, 3, "@include", "included twice")

	// A file including itself, under another spelling of its path.
	os.WriteFile(top, []byte(base+"@include: "+dir+"/./imapd.conf\n"), 0o644)
	_, err = Load(top, "")
	assertErr(t, err, top, 2, "@include", "included twice")
}

func TestCyrusPrefix(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/imapd.conf"), []byte("configdirectory: /prefixed\n"), 0o644)
	t.Setenv("CYRUS_PREFIX", dir)
	c, err := Load("/etc/imapd.conf", "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Configdirectory() != "/prefixed" {
		t.Errorf("CYRUS_PREFIX copy not preferred: %q", c.Configdirectory())
	}
}

func TestServiceOverride(t *testing.T) {
	for _, text := range []string{
		base + "imaps_tls_server_cert: /imaps.pem\ntls_server_cert: /plain.pem\n",
		base + "tls_server_cert: /plain.pem\nimaps_tls_server_cert: /imaps.pem\n",
		base + "IMAPS_tls_server_cert: /imaps.pem\ntls_server_cert: /plain.pem\n",
	} {
		c := mustParse(t, text, "imaps")
		if got := c.TlsServerCert(); got != "/imaps.pem" {
			t.Errorf("imaps sees %q, want the override", got)
		}
		c = mustParse(t, text, "imap")
		if got := c.TlsServerCert(); got != "/plain.pem" {
			t.Errorf("imap sees %q, want the plain value", got)
		}
		if v, ok := c.Overflow("imaps_tls_server_cert"); !ok || v != "/imaps.pem" {
			t.Errorf("another service's key must stay in overflow: %q %v", v, ok)
		}
	}
	// Ident with upper case letters (cyrus.conf names may have them).
	c := mustParse(t, base+"imapS_timeout: 45m\n", "IMAPs")
	if c.Timeout() != 45*time.Minute {
		t.Errorf("case-insensitive ident: %v", c.Timeout())
	}
	// Overflow keys look up <ident>_<key> first.
	c = mustParse(t, base+"sasl_mech_list: PLAIN\nimaps_sasl_mech_list: EXTERNAL\n", "imaps")
	if v, _ := c.Overflow("sasl_mech_list"); v != "EXTERNAL" {
		t.Errorf("Overflow(sasl_mech_list) = %q", v)
	}
	c = mustParse(t, base+"partition-default: /a\nimaps_partition-default: /b\npartition-other: /c\n", "imaps")
	p := c.Partitions()
	if len(p) != 2 || p["default"] != "/b" || p["other"] != "/c" {
		t.Errorf("Partitions = %v", p)
	}
}

func TestDuplicates(t *testing.T) {
	cases := []struct {
		text string
		line int
		key  string
	}{
		{base + "timeout: 30\ntimeout: 40\n", 3, "timeout"},
		{base + "imap_timeout: 30\nimap_timeout: 40\n", 3, "imap_timeout"},
		{base + "partition-x: /a\npartition-x: /b\n", 3, "partition-x"},
		{base + "Partition-X: /a\npartition-x: /b\n", 3, "partition-x"},
		{"configdirectory: /a\nconfigdirectory: /b\n", 2, "configdirectory"},
	}
	for _, tc := range cases {
		_, err := Parse("dup.conf", []byte(tc.text), "imap")
		assertErr(t, err, "dup.conf", tc.line, tc.key, "specified twice")
	}
	// Plain after the service form is ignored, not an error; both orders.
	for _, text := range []string{
		base + "imap_timeout: 40\ntimeout: 30\ntimeout: 35\n",
		base + "timeout: 30\nimap_timeout: 40\n",
	} {
		c := mustParse(t, text, "imap")
		if c.Timeout() != 40*time.Minute {
			t.Errorf("%q: timeout %v, want the imap_ value", text, c.Timeout())
		}
	}
}

func TestConfigdirectorySubstitution(t *testing.T) {
	c := mustParse(t, "configdirectory: /srv/imap\nsievedir: {CONFIGDIRECTORY}/sieve\ntemp_path: /tmp/{configdirectory}\npartition-x: {configdirectory}/p\n", "")
	if c.Sievedir() != "/srv/imap/sieve" {
		t.Errorf("sievedir = %q", c.Sievedir())
	}
	if c.TempPath() != "/tmp/{configdirectory}" {
		t.Errorf("only a leading macro is replaced: %q", c.TempPath())
	}
	if c.Lmtpsocket() != "/srv/imap/socket/lmtp" {
		t.Errorf("defaults are expanded too: %q", c.Lmtpsocket())
	}
	if v, _ := c.Overflow("partition-x"); v != "{configdirectory}/p" {
		t.Errorf("overflow values are not expanded: %q", v)
	}
}

func TestConfigdirectoryRequired(t *testing.T) {
	_, err := Parse("x.conf", []byte("servername: a\n"), "")
	assertErr(t, err, "x.conf", 0, "configdirectory", "not specified")
	// The service form satisfies the requirement for that service.
	if _, err := Parse("x.conf", []byte("imap_configdirectory: /a\n"), "imap"); err != nil {
		t.Errorf("imap_configdirectory: %v", err)
	}
}

func TestSwitch(t *testing.T) {
	for in, want := range map[string]bool{
		"yes": true, "y": true, "true": true, "t": true, "1": true, "on": true, "yellow": true,
		"no": false, "n": false, "false": false, "f": false, "0": false, "off": false, "nope": false,
	} {
		c := mustParse(t, base+"allowplaintext: "+in+"\n", "")
		if c.Allowplaintext() != want {
			t.Errorf("switch %q = %v, want %v", in, c.Allowplaintext(), want)
		}
	}
	for _, bad := range []string{"2", "maybe", "o", "oops", "Yes"} {
		_, err := Parse("s.conf", []byte(base+"allowplaintext: "+bad+"\n"), "")
		assertErr(t, err, "s.conf", 2, "allowplaintext", "non-switch value")
	}
	if !mustParse(t, base, "").Allowapop() {
		t.Error("allowapop defaults to yes")
	}
}

func TestInt(t *testing.T) {
	for in, want := range map[string]int{
		"42": 42, "-7": -7, "+5": 5, "0x1F": 31, "010": 8, "0": 0,
		"99999999999999999999": math.MaxInt64, "-99999999999999999999": math.MinInt64,
	} {
		c := mustParse(t, base+"quotawarn: "+in+"\n", "")
		if c.Quotawarn() != want {
			t.Errorf("int %q = %d, want %d", in, c.Quotawarn(), want)
		}
	}
	for _, bad := range []string{"12k", "08", "0x", "ten", "1.5", "- 1"} {
		_, err := Parse("i.conf", []byte(base+"quotawarn: "+bad+"\n"), "")
		assertErr(t, err, "i.conf", 2, "quotawarn", "non-integer value")
	}
	if mustParse(t, base, "").Quotawarn() != 90 {
		t.Error("quotawarn default")
	}
}

func TestEnum(t *testing.T) {
	c := mustParse(t, base+"virtdomains: yes\nserverinfo: min\nexpunge_mode: immediate\n", "")
	if c.Virtdomains() != VirtdomainsOn {
		t.Errorf("yes must become on: %q", c.Virtdomains())
	}
	if c.Serverinfo() != ServerinfoMin || c.ExpungeMode() != ExpungeModeImmediate {
		t.Errorf("enum values: %q %q", c.Serverinfo(), c.ExpungeMode())
	}
	for in, want := range map[string]string{"1": "on", "t": "on", "true": "on", "0": "off", "no": "off", "f": "off", "false": "off", "userid": "userid"} {
		if got := mustParse(t, base+"virtdomains: "+in+"\n", "").Virtdomains(); got != want {
			t.Errorf("virtdomains %q = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"On", "y", "userid on"} {
		_, err := Parse("e.conf", []byte(base+"virtdomains: "+bad+"\n"), "")
		assertErr(t, err, "e.conf", 2, "virtdomains", "invalid value")
	}
	if mustParse(t, base, "").ExpungeMode() != ExpungeModeDelayed {
		t.Error("expunge_mode default")
	}
}

func TestStringList(t *testing.T) {
	c := mustParse(t, base+"mboxlist_db: skiplist\n", "")
	if c.MboxlistDb() != MboxlistDbSkiplist {
		t.Errorf("mboxlist_db = %q", c.MboxlistDb())
	}
	// No on/off folding for stringlists.
	_, err := Parse("l.conf", []byte(base+"quota_db: yes\n"), "")
	assertErr(t, err, "l.conf", 2, "quota_db", "invalid value")
	d := mustParse(t, base, "")
	if d.QuotaDb() != "quotalegacy" || d.ConversationsDb() != "skiplist" || d.SubscriptionDb() != "flat" || d.AnnotationDb() != "twoskip" {
		t.Errorf("db defaults: %q %q %q %q", d.QuotaDb(), d.ConversationsDb(), d.SubscriptionDb(), d.AnnotationDb())
	}
}

func TestBitfield(t *testing.T) {
	c := mustParse(t, base+"httpmodules: caldav   carddav\tjmap\n", "")
	b := c.Httpmodules()
	if !b.Has(HttpmodulesCaldav|HttpmodulesCarddav|HttpmodulesJmap) || b.Has(HttpmodulesAdmin) {
		t.Errorf("httpmodules = %b", b)
	}
	if mustParse(t, base, "").Httpmodules() != 0 {
		t.Error("httpmodules defaults to nothing")
	}
	// Setting replaces the default entirely; an old spelling sets the same
	// bit and is reported.
	c = mustParse(t, base+"sieve_extensions: fileinto imapflags\n", "")
	if c.SieveExtensions() != SieveExtensionsFileinto|SieveExtensionsImap4flags {
		t.Errorf("sieve_extensions = %b", c.SieveExtensions())
	}
	found := false
	for _, n := range c.Notices() {
		if n.Kind == DeprecatedValue && n.Value == "imapflags" && n.Replacement == "imap4flags" && n.Line == 2 {
			found = true
		}
	}
	if !found {
		t.Errorf("no notice for the old word: %+v", c.Notices())
	}
	_, err := Parse("b.conf", []byte(base+"httpmodules: caldav webmail\n"), "")
	assertErr(t, err, "b.conf", 2, "httpmodules", `invalid value "webmail"`)
	def := mustParse(t, base, "").EventGroups()
	if def != EventGroupsMessage|EventGroupsMailbox {
		t.Errorf("event_groups default = %b", def)
	}
}

func TestDuration(t *testing.T) {
	cases := []struct {
		key, in string
		get     func(*Config) time.Duration
		want    time.Duration
	}{
		{"timeout", "45", (*Config).Timeout, 45 * time.Minute},
		{"timeout", "1h30m", (*Config).Timeout, 90 * time.Minute},
		{"timeout", "1h30", (*Config).Timeout, 90 * time.Minute},
		{"timeout", "2d", (*Config).Timeout, 48 * time.Hour},
		{"sync_timeout", "45", (*Config).SyncTimeout, 45 * time.Second},
		{"archive_after", "3", (*Config).ArchiveAfter, 72 * time.Hour},
		{"tls_session_timeout", "1440", (*Config).TlsSessionTimeout, 24 * time.Hour},
		{"popexpiretime", "-1", (*Config).Popexpiretime, -24 * time.Hour},
		{"popminpoll", "-", (*Config).Popminpoll, 0},
		{"failedloginpause", "0", (*Config).Failedloginpause, 0},
		{"imapidlepoll", "1m1s", (*Config).Imapidlepoll, 61 * time.Second},
	}
	for _, tc := range cases {
		c := mustParse(t, base+tc.key+": "+tc.in+"\n", "")
		if got := tc.get(c); got != tc.want {
			t.Errorf("%s: %s = %v, want %v", tc.key, tc.in, got, tc.want)
		}
	}
	def := mustParse(t, base, "")
	if def.Timeout() != 32*time.Minute || def.SyncTimeout() != 30*time.Minute || def.Popminpoll() != 0 {
		t.Errorf("duration defaults: %v %v %v", def.Timeout(), def.SyncTimeout(), def.Popminpoll())
	}
	for _, bad := range []string{"10x", "m", "1h-5m", "1.5h", "10M", "--5"} {
		_, err := Parse("d.conf", []byte(base+"timeout: "+bad+"\n"), "")
		assertErr(t, err, "d.conf", 2, "timeout", "unparsable duration")
	}
}

func TestDeprecated(t *testing.T) {
	c := mustParse(t, base+"tls_cert_file: /old.pem\nautocreatequota: 500\n", "")
	if c.TlsServerCert() != "/old.pem" || c.AutocreateQuota() != 500 {
		t.Errorf("replacement values: %q %d", c.TlsServerCert(), c.AutocreateQuota())
	}
	if v, ok := c.Overflow("tls_cert_file"); !ok || v != "/old.pem" {
		t.Errorf("old name must stay readable: %q %v", v, ok)
	}
	n := 0
	for _, x := range c.Notices() {
		if x.Kind == Deprecated {
			n++
			if x.Key == "tls_cert_file" && (x.Replacement != "tls_server_cert" || x.Since != "2.5.0" || x.Line != 2) {
				t.Errorf("notice %+v", x)
			}
		}
	}
	if n != 2 {
		t.Errorf("want one notice per deprecated option, got %d", n)
	}
	// The new name wins when both are given, in any order.
	for _, text := range []string{
		base + "tls_cert_file: /old.pem\ntls_server_cert: /new.pem\n",
		base + "tls_server_cert: /new.pem\ntls_cert_file: /old.pem\n",
	} {
		if got := mustParse(t, text, "").TlsServerCert(); got != "/new.pem" {
			t.Errorf("replacement set explicitly: got %q", got)
		}
	}
	// Duration alias: the replacement's unit counts the bare number.
	if got := mustParse(t, base+"archive_days: 2\n", "").ArchiveAfter(); got != 48*time.Hour {
		t.Errorf("archive_days: 2 → %v", got)
	}
}

func TestDefaultpartition(t *testing.T) {
	c := mustParse(t, base+"defaultpartition: Main\npartition-main: /spool\n", "")
	if c.Defaultpartition() != "main" {
		t.Errorf("defaultpartition must fold to lower case: %q", c.Defaultpartition())
	}
	if err := c.RequirePartitions(); err != nil {
		t.Errorf("RequirePartitions: %v", err)
	}
	_, err := Parse("p.conf", []byte(base+"defaultpartition: my-part\n"), "")
	assertErr(t, err, "p.conf", 2, "defaultpartition", "non-alphanumeric")

	c = mustParse(t, base+"defaultpartition: main\npartition-other: /x\n", "")
	assertErr(t, c.RequirePartitions(), "test.conf", 2, "partition-main", "not specified")

	// No defaultpartition and not a Murder frontend: nothing needed.
	if err := mustParse(t, base, "").RequirePartitions(); err != nil {
		t.Errorf("backend without partitions: %v", err)
	}
	// A frontend needs at least one partition.
	c = mustParse(t, base+"proxyservers: proxy\n", "")
	assertErr(t, c.RequirePartitions(), "test.conf", 0, "partition-<name>", "not specified")
	c = mustParse(t, base+"proxyservers: proxy\npartition-any: /x\n", "")
	if err := c.RequirePartitions(); err != nil {
		t.Errorf("frontend with a partition: %v", err)
	}
}

func TestSyncChannels(t *testing.T) {
	c := mustParse(t, base+"sync_host: main.example\nsync_repeat_interval: 5\nrep2_sync_host: two.example\nrep2_sync_repeat_interval: 2m\nrep2_sync_try_imap: no\n", "sync_client")
	if c.SyncHostFor("") != "main.example" || c.SyncHostFor("rep1") != "main.example" || c.SyncHostFor("rep2") != "two.example" {
		t.Errorf("SyncHostFor: %q %q %q", c.SyncHostFor(""), c.SyncHostFor("rep1"), c.SyncHostFor("rep2"))
	}
	if c.SyncRepeatIntervalFor("rep2") != 2*time.Minute || c.SyncRepeatIntervalFor("x") != 5*time.Second {
		t.Errorf("SyncRepeatIntervalFor: %v %v", c.SyncRepeatIntervalFor("rep2"), c.SyncRepeatIntervalFor("x"))
	}
	if c.SyncTryImapFor("rep2") || !c.SyncTryImapFor("x") {
		t.Error("SyncTryImapFor")
	}
	// Channel keys are not reported as unknown.
	for _, n := range c.Notices() {
		if n.Kind == Unknown {
			t.Errorf("unexpected unknown-key notice %+v", n)
		}
	}
}

func TestUnknownAndUnimplemented(t *testing.T) {
	c := mustParse(t, base+"newsspool: /var/spool/news\npartition-default: /p\nsasl_pwcheck_method: auxprop\nlmtpunix_duplicatesuppression: no\nxyz: 1\nallowplaintext: yes\nimap_timeout: 1\n", "cyr_info")
	var unknown []string
	var unimpl []string
	for _, n := range c.Notices() {
		switch n.Kind {
		case Unknown:
			unknown = append(unknown, n.Key)
		case Unimplemented:
			unimpl = append(unimpl, n.Keys...)
		}
	}
	if strings.Join(unknown, ",") != "newsspool,xyz" {
		t.Errorf("unknown keys = %v", unknown)
	}
	if strings.Join(unimpl, ",") != "allowplaintext" {
		t.Errorf("unimplemented = %v (configdirectory is implemented)", unimpl)
	}
	ev, kv := c.Notices()[0].LogArgs()
	if ev != "config_unknown_option" || len(kv) != 6 {
		t.Errorf("LogArgs = %s %v", ev, kv)
	}
}

func TestFromMap(t *testing.T) {
	c, err := FromMap(map[string]string{"configdirectory": "/c", "imap_timeout": "31", "partition-default": "/p"}, "imap")
	if err != nil {
		t.Fatal(err)
	}
	if c.Timeout() != 31*time.Minute || c.Partitions()["default"] != "/p" || c.Ident() != "imap" {
		t.Errorf("FromMap: %v %v %q", c.Timeout(), c.Partitions(), c.Ident())
	}
	_, err = FromMap(map[string]string{"configdirectory": "/c", "timeout": "x"}, "")
	assertErr(t, err, "FromMap", 2, "timeout", "unparsable duration")
}

// TestBadInput checks that every kind of bad line names file, line and key.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name, text string
		line       int
		key, msg   string
	}{
		{"space in name", base + "bad key: x\n", 2, "", "invalid option name"},
		{"no colon", base + "servername\n", 2, "", "invalid option name"},
		{"space before colon", base + "servername : x\n", 2, "", "invalid option name"},
		{"empty value", base + "servername:   \n", 2, "servername", "empty option value"},
		{"unknown directive", base + "@import: x\n", 2, "@import", "invalid directive"},
		{"missing include", base + "@include: /nonexistent/x.conf\n", 2, "@include", "can't open"},
		{"bad int", base + "maxword: 1k\n", 2, "maxword", "non-integer"},
		{"bad switch", base + "\n\nreadonly: perhaps\n", 4, "readonly", "non-switch"},
		{"bad enum", base + "delete_mode: later\n", 2, "delete_mode", "invalid value"},
		{"bad stringlist", base + "mboxlist_db: berkeley\n", 2, "mboxlist_db", "invalid value"},
		{"bad bitfield", base + "event_groups: message nonsense\n", 2, "event_groups", "invalid value"},
		{"bad duration", base + "timeout: 10x\n", 2, "timeout", `unparsable duration "10x"`},
		{"bad service duration", base + "imap_timeout: 10x\n", 2, "imap_timeout", "unparsable duration"},
		{"duplicate", base + "admins: a\nadmins: b\n", 3, "admins", "specified twice (first on line 2)"},
	}
	for _, tc := range cases {
		_, err := Parse("bad.conf", []byte(tc.text), "imap")
		t.Run(tc.name, func(t *testing.T) { assertErr(t, err, "bad.conf", tc.line, tc.key, tc.msg) })
	}
}

func TestErrorText(t *testing.T) {
	_, err := Parse("imapd.conf", []byte(base+"\n\n\n\n\n\n\n\n\n\ntimeout: 10x\n"), "")
	want := `imapd.conf:12: timeout: unparsable duration "10x" (want e.g. 30m, 1h30m or a number of minutes)`
	if err == nil || err.Error() != want {
		t.Errorf("error text:\n got %v\nwant %s", err, want)
	}
}

func assertErr(t *testing.T, err error, file string, line int, key, msg string) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *config.Error, got %T %v", err, err)
	}
	if ce.File != file || ce.Line != line || ce.Key != key || !strings.Contains(ce.Msg, msg) {
		t.Errorf("got %q (file %q line %d key %q), want file %q line %d key %q msg ~%q",
			ce.Error(), ce.File, ce.Line, ce.Key, file, line, key, msg)
	}
}
