package master_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gyrus/test/harness"
)

// loadEnv sets the length of the load test in seconds (default 15).
const loadEnv = "GYRUS_LOAD_SECONDS"

// 2,000 connections at once, split over two services, opened and closed
// round after round; processes retire (-U) and are replaced meanwhile.
// Afterwards master has no zombie, no more descriptors than before, and
// about the memory it had.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	secs := 15
	if v := os.Getenv(loadEnv); v != "" {
		secs, _ = strconv.Atoi(v)
	}
	const perService = 1000
	var rl unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &rl)
	if rl.Cur < 2*perService+200 {
		t.Skipf("descriptor limit %d too low for %d connections", rl.Cur, 2*perService)
	}
	in := harness.Start(t, harness.Options{
		CyrusConf: `
SERVICES {
  a cmd="{bin}/testservice -U 2500 -C {conf}" listen="127.0.0.1:{port:a}" prefork=2 maxchild=1200
  b cmd="{bin}/testservice -U 2500 -C {conf}" listen="127.0.0.1:{port:b}" prefork=2 maxchild=1200
}`,
		MasterArgs: []string{"-l", "2048"},
	})
	mpid := in.PID()
	round := func() (int, error) {
		var wg sync.WaitGroup
		var opened atomic.Int64
		errs := make(chan error, 2*perService)
		conns := make(chan net.Conn, 2*perService)
		for _, svc := range []string{"a", "b"} {
			addr := in.Addr(svc)
			for i := 0; i < perService; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := net.DialTimeout("tcp", addr, 20*time.Second)
					if err != nil {
						errs <- err
						return
					}
					c.SetDeadline(time.Now().Add(30 * time.Second))
					r := bufio.NewReader(c)
					if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, "* OK") {
						errs <- fmt.Errorf("greeting %q: %v", l, err)
						c.Close()
						return
					}
					opened.Add(1)
					conns <- c
					if _, err := c.Write([]byte("PING\r\n")); err != nil {
						errs <- err
						return
					}
					if l, err := r.ReadString('\n'); err != nil || l != "PONG\r\n" {
						errs <- fmt.Errorf("PING: %q %v", l, err)
					}
				}()
			}
		}
		wg.Wait()
		close(conns)
		close(errs)
		n := 0
		for c := range conns {
			c.Close()
			n++
		}
		for err := range errs {
			return n, err
		}
		return n, nil
	}

	// warm up once, then take the baseline
	t0 := time.Now()
	if _, err := round(); err != nil {
		t.Fatalf("warm-up round: %v", err)
	}
	t.Logf("warm-up round took %v", time.Since(t0).Round(time.Millisecond))
	time.Sleep(time.Second)
	fd0, rss0 := harness.FDCount(mpid), harness.RSS(mpid)

	start := time.Now()
	total, rounds := 0, 0
	for time.Since(start) < time.Duration(secs)*time.Second {
		n, err := round()
		total += n
		rounds++
		if err != nil {
			t.Fatalf("round %d: %v", rounds, err)
		}
		if n != 2*perService {
			t.Fatalf("round %d: %d connections at once, want %d", rounds, n, 2*perService)
		}
	}
	elapsed := time.Since(start)

	// Let retiring processes finish and master settle.
	t1 := time.Now()
	defer func() { t.Logf("settling took %v", time.Since(t1).Round(time.Millisecond)) }()
	in.WaitFor(20*time.Second, "services back to prefork", func() bool {
		return len(servicePIDs(in, "a")) == 2 && len(servicePIDs(in, "b")) == 2
	})
	time.Sleep(2 * time.Second)
	fd1, rss1 := harness.FDCount(mpid), harness.RSS(mpid)
	zombies := harness.Zombies(mpid)
	t.Logf("%d rounds of %d concurrent connections, %d connections in %v: %.0f connections/s",
		rounds, 2*perService, total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds())
	t.Logf("master: descriptors %d -> %d, RSS %d KiB -> %d KiB, zombies %d", fd0, fd1, rss0, rss1, len(zombies))
	if len(zombies) != 0 {
		t.Errorf("zombie children: %v", zombies)
	}
	if fd1 > fd0 {
		t.Errorf("master holds %d descriptors after the load, %d before", fd1, fd0)
	}
	if rss1 > rss0+16*1024 && rss1 > rss0*3/2 {
		t.Errorf("master RSS grew from %d KiB to %d KiB", rss0, rss1)
	}
	for _, l := range strings.Split(masterLog(in), "\n") {
		if strings.Contains(l, "retiring") || strings.Contains(l, "exited") {
			t.Log(l)
		}
	}
	for _, svc := range []string{"a", "b"} {
		for _, pid := range servicePIDs(in, svc) {
			t.Logf("service %s pid %d: RSS %d KiB, descriptors %d", svc, pid, harness.RSS(pid), harness.FDCount(pid))
		}
	}
}
