package tlsutil

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"gyrus/lib/log"
)

// benchHandshakes measures whole connections (TCP connect, TLS handshake
// on both sides, one line read) against a Server on loopback.
//
//	go test -run '^$' -bench Handshake ./lib/tlsutil
func benchHandshakes(b *testing.B, version uint16, resume bool, kv ...string) {
	log.Setup(log.Options{Ident: "tlsutil-bench", Socket: "/nonexistent/tlsutil-test-log", Stderr: io.Discard})
	defer log.Setup(log.Options{Ident: "tlsutil-test", Socket: "/nonexistent/tlsutil-test-log", Stderr: logBuf, Debug: true})
	e := newEnv(b)
	s := e.server(b, "imap", Options{}, kv...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveOne(s, c)
		}
	}()
	cfg := e.clientConfig()
	cfg.MinVersion, cfg.MaxVersion = version, version
	if resume {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(64)
	}
	one := func() bool {
		c, err := tls.Dial("tcp", ln.Addr().String(), cfg)
		if err != nil {
			b.Error(err)
			return resume
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
			b.Error(err)
		}
		r := c.ConnectionState().DidResume
		c.Close()
		return r
	}
	if resume {
		one() // get a ticket
	}
	// Many clients at once: loopback latency in VMs dwarfs the CPU cost
	// of one handshake, so a lone client would measure the network.
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r := one(); r != resume {
				b.Errorf("resumed=%v", r)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
}

func BenchmarkHandshakeFullTLS13(b *testing.B)    { benchHandshakes(b, tls.VersionTLS13, false) }
func BenchmarkHandshakeResumedTLS13(b *testing.B) { benchHandshakes(b, tls.VersionTLS13, true) }
func BenchmarkHandshakeFullTLS12(b *testing.B)    { benchHandshakes(b, tls.VersionTLS12, false) }
func BenchmarkHandshakeResumedTLS12(b *testing.B) { benchHandshakes(b, tls.VersionTLS12, true) }

// With Cyrus's default tls_eccurve (prime256v1, the only group allowed)
// a Go or OpenSSL client that leads with X25519 costs a HelloRetryRequest
// round trip; these show the price of that faithfulness.
func BenchmarkHandshakeFullTLS13X25519(b *testing.B) {
	benchHandshakes(b, tls.VersionTLS13, false, "tls_eccurve", "X25519")
}
func BenchmarkHandshakeResumedTLS13X25519(b *testing.B) {
	benchHandshakes(b, tls.VersionTLS13, true, "tls_eccurve", "X25519")
}

// BenchmarkTicketSealOpen is the cost our shared ticket keys add to a
// resumable handshake (one seal, one open).
func BenchmarkTicketSealOpen(b *testing.B) {
	clk := newClock()
	path := b.TempDir() + "/tls_sessions.db"
	db := openDB(&testing.T{}, path)
	defer db.Close()
	r := newKeyRing(db, time.Hour, time.Second, clk.now)
	state := make([]byte, 600)
	for i := 0; i < b.N; i++ {
		tk, err := r.sealTicket("imap", clk.now(), state)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.openTicket("imap", tk, clk.now()); err != nil {
			b.Fatal(err)
		}
	}
}
