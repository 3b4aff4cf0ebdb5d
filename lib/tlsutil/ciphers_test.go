package tlsutil

import (
	"crypto/tls"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
)

// opensslCiphers asks the real openssl(1) what a cipher string selects
// (TLS <= 1.2 suites only); ok is false when OpenSSL refuses the string.
func opensslCiphers(t testing.TB, s string) (names []string, ok bool) {
	out, err := exec.Command("openssl", "ciphers", "--", s).Output()
	if err != nil {
		return nil, false
	}
	for _, n := range strings.Split(strings.TrimSpace(string(out)), ":") {
		if _, known := suiteByName[n]; known {
			names = append(names, n)
		}
	}
	return names, true
}

func needOpenSSL(t testing.TB) {
	out, err := exec.Command("openssl", "version").Output()
	if err != nil {
		t.Skip("openssl(1) not installed: cannot compare with OpenSSL")
	}
	if !strings.HasPrefix(string(out), "OpenSSL 3.0.") {
		t.Skipf("tables are from OpenSSL 3.0, this is %s", out)
	}
}

// cipherStrings are forms seen in real imapd.conf files and in the
// Mozilla and Cyrus documentation, plus edge cases of the grammar.
var cipherStrings = []string{
	"DEFAULT", "HIGH", "HIGH:!aNULL:!MD5", "HIGH:MEDIUM:!aNULL:!MD5:!RC4",
	"ALL", "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH", "!aNULL:HIGH", "DEFAULT:!kRSA",
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384",
	"EECDH+AESGCM:EDH+AESGCM", "EECDH+AESGCM:EDH+AESGCM:AES256+EECDH:AES256+EDH",
	"kEECDH+aECDSA+AES:kEECDH+AES+aRSA:kEDH+aRSA+AES", "AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA+kRSA", "AES128-SHA+AES256",
	"HIGH:-AES256:+AES128:AES256", "HIGH:!AES256:AES256", "-ALL:HIGH", "HIGH:+kRSA", "HIGH@STRENGTH",
	"DEFAULT@SECLEVEL=0", "DEFAULT:@SECLEVEL=3", "@SECLEVEL=9", "HIGH:@FOO", "HIGH$", "HIGH+:", "-:HIGH",
	"NOSUCH", "NOSUCH:HIGH", "HIGH+NOSUCH", "DEFAULTHIGH", "HIGH:DEFAULT", "eNULL", "COMPLEMENTOFALL:ALL",
	"AES:ALL:!aNULL:!eNULL:+RC4:@STRENGTH", "ECDHE:DHE:kRSA", "SHA256:SHA384:SHA1", "RSA+AES", "aRSA+AESGCM",
	"TLSv1.2", "TLSv1", "SSLv3:TLSv1.2", "CHACHA20", "  HIGH ,; MEDIUM ", "", "ECDSA:!ECDHE-ECDSA-AES256-SHA:+ECDHE-ECDSA-AES128-SHA",
}

func TestCipherStringsMatchOpenSSL(t *testing.T) {
	needOpenSSL(t)
	var strs []string
	strs = append(strs, cipherStrings...)
	// Random strings from the grammar's pieces.
	words := []string{"HIGH", "ALL", "aNULL", "eNULL", "kRSA", "ECDHE", "EECDH", "EDH", "DHE", "AES128", "AES256",
		"AESGCM", "CHACHA20", "SHA1", "SHA256", "SHA384", "aECDSA", "aRSA", "PSK", "CAMELLIA", "NOSUCH", "MD5",
		"AES128-SHA", "ECDHE-RSA-AES256-GCM-SHA384", "TLSv1.2", "SSLv3", "COMPLEMENTOFDEFAULT", "DEFAULT"}
	pre := []string{"", "", "!", "-", "+"}
	seps := []string{":", ":", " ", ",", ";", "+"}
	r := rand.New(rand.NewPCG(1, 2))
	n := 40 // each openssl run costs ~0.1 s (more on a busy machine); GYRUS_LONG_TESTS=1 for more
	if os.Getenv("GYRUS_LONG_TESTS") != "" {
		n = 2000
	}
	for k := 0; k < n; k++ {
		var b strings.Builder
		if r.IntN(4) == 0 {
			b.WriteString("DEFAULT:")
		}
		for e := r.IntN(6) + 1; e > 0; e-- {
			b.WriteString(pre[r.IntN(len(pre))])
			b.WriteString(words[r.IntN(len(words))])
			if e > 1 {
				b.WriteString(seps[r.IntN(len(seps))])
			}
		}
		if r.IntN(5) == 0 {
			b.WriteString(":@STRENGTH")
		}
		strs = append(strs, b.String())
	}
	type result struct {
		names []string
		ok    bool
	}
	want := make([]result, len(strs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for k, s := range strs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			want[k].names, want[k].ok = opensslCiphers(t, s)
			<-sem
		}()
	}
	wg.Wait()
	for k, s := range strs {
		got, err := parseCipherString(s)
		if (err == nil) != want[k].ok {
			t.Errorf("%q: err=%v, openssl ok=%v", s, err, want[k].ok)
			continue
		}
		if err == nil && !slices.Equal(got.Names(), want[k].names) {
			t.Errorf("%q:\n got  %v\n want %v", s, got.Names(), want[k].names)
		}
	}
}

func TestCipherSecLevelAndGoMapping(t *testing.T) {
	for _, tc := range []struct {
		in     string
		level  int
		hasRSA bool // a kRSA suite survives
		want   []uint16
	}{
		{"DEFAULT", 1, true, nil},
		{"DEFAULT@SECLEVEL=3", 3, false, nil},
		{"ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA", 1, true,
			[]uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_128_CBC_SHA}},
		{"ECDHE-RSA-AES128-SHA256", 1, false, nil}, // Go thinks CBC-SHA256 insecure: nothing left
		{"DHE-RSA-AES256-GCM-SHA384", 1, false, nil},
	} {
		c, err := parseCipherString(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if c.SecLevel != tc.level {
			t.Errorf("%q: level %d, want %d", tc.in, c.SecLevel, tc.level)
		}
		ids := goCipherSuites(c)
		rsa := slices.Contains(ids, tls.TLS_RSA_WITH_AES_128_GCM_SHA256) || slices.Contains(ids, tls.TLS_RSA_WITH_AES_128_CBC_SHA)
		if rsa != tc.hasRSA {
			t.Errorf("%q: kRSA present=%v want %v (%v)", tc.in, rsa, tc.hasRSA, ids)
		}
		if tc.want != nil && !slices.Equal(ids, tc.want) {
			t.Errorf("%q: %v want %v", tc.in, ids, tc.want)
		}
		if tc.in == "DEFAULT" && len(ids) < 10 {
			t.Errorf("DEFAULT maps to only %d Go suites", len(ids))
		}
		if strings.HasPrefix(tc.in, "DHE") && len(ids) != 0 {
			t.Errorf("%q: Go has no DHE, got %v", tc.in, ids)
		}
	}
}

func FuzzCipherString(f *testing.F) {
	for _, s := range cipherStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCipherString(s)
		if err != nil {
			return
		}
		if len(c.Suites) == 0 || c.SecLevel < 0 || c.SecLevel > 5 {
			t.Fatalf("%q: %+v", s, c)
		}
		seen := map[int]bool{}
		for _, i := range c.Suites {
			if seen[i] || i < 0 || i >= len(osslSuites) {
				t.Fatalf("%q: duplicate or bad index %d", s, i)
			}
			seen[i] = true
		}
	})
}
