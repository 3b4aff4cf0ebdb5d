package tlsutil

import (
	"context"
	"crypto/tls"
	"errors"
	"slices"
	"testing"

	"gyrus/lib/sasl"
	"gyrus/lib/sasl/store"
)

type noPasswords struct{}

func (noPasswords) CheckPassword(context.Context, string, []byte) (string, error) {
	return "", errors.New("no")
}
func (noPasswords) SupportsScram() bool { return true }
func (noPasswords) ScramSecret(string, string) (store.Secret, bool, error) {
	return store.Secret{}, false, nil
}

// TestSASLWithTLSState hands State.SASL to lib/sasl: EXTERNAL logs in as
// the certificate's CN, and the -PLUS mechanisms are offered.
func TestSASLWithTLSState(t *testing.T) {
	e := newEnv(t)
	caFile := writeFile(t, e.dir, "clientca.pem", e.ca.pem)
	good, _ := clientCert(t, e.ca, "alice")
	s := e.server(t, "imap", Options{}, "tls_client_ca_file", caFile)
	srv := &sasl.Server{Backend: noPasswords{}}

	cfg := e.clientConfig()
	cfg.Certificates = []tls.Certificate{good}
	st, _, err, _ := dial(t, s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	mechs := srv.Mechanisms(st.SASL())
	for _, m := range []string{"EXTERNAL", "SCRAM-SHA-256-PLUS"} {
		if !slices.Contains(mechs, m) {
			t.Errorf("%s not offered: %v", m, mechs)
		}
	}
	x, err := srv.Start("EXTERNAL", st.SASL())
	if err != nil {
		t.Fatal(err)
	}
	if _, done, err := x.Next(t.Context(), []byte{}); !done || err != nil {
		t.Fatalf("EXTERNAL: done=%v %v", done, err)
	}
	if out, ok := x.Outcome(); !ok || out.AuthID != "alice" {
		t.Errorf("EXTERNAL outcome %+v", out)
	}

	st, _, err, _ = dial(t, s, e.clientConfig()) // no certificate
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(srv.Mechanisms(st.SASL()), "EXTERNAL") {
		t.Error("EXTERNAL offered without a client certificate")
	}
}
