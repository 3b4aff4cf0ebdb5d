// Command lmtp-bench measures LMTP delivery (issue #8) on Gyrus, the
// real Cyrus 3.6.1 and the real Dovecot 2.3 in one run, on the same
// machine and the same messages, one server at a time: messages per
// second and the latency of each message (MAIL FROM to the last reply)
// at 1 and 8 concurrent connections, and prints a markdown table (also
// written to bench/lmtp/RESULTS.md). See README.md beside this file.
//
//	go run ./bench/lmtp                        # 3 runs of 3,000 messages per row
//	go run ./bench/lmtp -quick                 # 500 messages, one run
//	go run ./bench/lmtp -servers gyrus -conns 8 -users 1
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"

	"gyrus/bench/common"
	"gyrus/test/harness"
)

type config struct {
	servers []string
	conns   []int
	n       int
	reps    int
	users   int
	corpus  string
	seed    uint64
	out     string
	base    string
	keep    bool
	client  string // "plain" or "pipelined"
	msgs    [][]byte
	load0   string // load average when the run started
}

func main() { os.Exit(run()) }

func run() int {
	cfg := &config{}
	quick := flag.Bool("quick", false, "500 messages per row, one run")
	servers := flag.String("servers", "gyrus,cyrus,dovecot", "servers to measure, in this order")
	conns := flag.String("conns", "1,8", "concurrent connections of each row")
	flag.IntVar(&cfg.n, "n", 3000, "messages delivered per run")
	flag.IntVar(&cfg.reps, "reps", 3, "runs per row (the table shows the median)")
	flag.IntVar(&cfg.users, "users", 8, "recipients; message i goes to user i mod users")
	flag.StringVar(&cfg.corpus, "corpus", "gen", "gen: bench/common's generated corpus (2-50 KB); test: test/corpus/msgs")
	flag.Uint64Var(&cfg.seed, "seed", 1, "corpus seed")
	flag.StringVar(&cfg.out, "out", "bench/lmtp/RESULTS.md", "results file (\"\" for none)")
	flag.StringVar(&cfg.base, "dir", "", "directory for the instances (default: a temporary one)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the instances' directories")
	flag.StringVar(&cfg.client, "client", "plain", "plain: go-smtp, one command at a time; pipelined: MAIL, RCPT and DATA in one write, as Postfix's lmtp(8)")
	flag.Parse()
	if cfg.client != "plain" && cfg.client != "pipelined" {
		fmt.Fprintf(os.Stderr, "bad -client %q\n", cfg.client)
		return 2
	}
	if *quick {
		cfg.n, cfg.reps = 500, 1
	}
	cfg.servers = strings.Split(*servers, ",")
	for _, c := range strings.Split(*conns, ",") {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bad -conns %q\n", *conns)
			return 2
		}
		cfg.conns = append(cfg.conns, n)
	}
	cfg.load0 = common.LoadAvg()
	common.HandleSignals()
	defer common.RunExit()
	if cfg.base == "" {
		d, err := os.MkdirTemp("", "lmtp-bench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		os.Chmod(d, 0o755)
		cfg.base = d
		if !cfg.keep {
			common.OnExit(func() { os.RemoveAll(d) })
		}
	}
	if err := loadMessages(cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var rows []row
	for _, name := range cfg.servers {
		r, err := measure(cfg, name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			return 1
		}
		rows = append(rows, r...)
	}
	report := format(cfg, rows)
	fmt.Print(report)
	if cfg.out != "" {
		if err := os.WriteFile(cfg.out, []byte(report), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	return 0
}

// loadMessages makes the messages: the generated corpus, or the test
// corpus (every file, cycled).
func loadMessages(cfg *config) error {
	if cfg.corpus == "test" {
		dir := filepath.Join(harness.ModuleRoot(), "test", "corpus", "msgs")
		ents, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if strings.Contains(e.Name(), "-raw-") {
				continue // NUL and bad fields: refused, not a delivery
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return err
			}
			cfg.msgs = append(cfg.msgs, b)
		}
		return nil
	}
	c := &common.Corpus{Seed: cfg.seed}
	n := cfg.n
	if n > 2000 {
		n = 2000
	}
	for i := 0; i < n; i++ {
		cfg.msgs = append(cfg.msgs, c.Message(i).Raw)
	}
	return nil
}

// row is one measured line of the table.
type row struct {
	server   string
	conns    int
	rates    []float64
	p50, p99 float64 // ms, of the median run
	cpu      float64 // server CPU ms per message, of the median run
	failed   int
}

// treeCPU is the CPU time (user + system, with reaped children) of the
// server's processes, from /proc/PID/stat: what the server spends,
// whatever else the machine runs.
func treeCPU(s *common.Server) time.Duration {
	var ticks int64
	for _, pid := range s.PIDs() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// fields after the command name in parentheses; utime is
		// field 14, stime 15, cutime 16, cstime 17
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 15 {
			continue
		}
		for _, k := range []int{11, 12, 13, 14} {
			v, _ := strconv.ParseInt(f[k], 10, 64)
			ticks += v
		}
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}

func start(cfg *config, name string) (*common.Server, error) {
	switch name {
	case "gyrus":
		return common.StartGyrus(cfg.base, common.GyrusOptions{})
	case "cyrus":
		return common.StartCyrus(cfg.base)
	case "dovecot":
		return common.StartDovecot(cfg.base, "", "")
	}
	return nil, fmt.Errorf("unknown server %q", name)
}

func measure(cfg *config, name string) ([]row, error) {
	fmt.Fprintf(os.Stderr, "%s: starting\n", name)
	s, err := start(cfg, name)
	if err != nil {
		return nil, err
	}
	defer s.Stop()
	for u := 0; u < cfg.users; u++ {
		if err := s.AddUser(fmt.Sprintf("u%d", u), "pw"); err != nil {
			return nil, err
		}
	}
	addr := s.Addr("lmtp")
	// warm up: caches, first-time file creation, process starts
	if _, _, err := deliverAll(cfg, addr, 2, 100, 0); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	var rows []row
	next := 100
	for _, c := range cfg.conns {
		r := row{server: name, conns: c}
		var lats [][]time.Duration
		var cpus []float64
		for rep := 0; rep < cfg.reps; rep++ {
			// Start each run with nothing dirty in the page cache: what
			// ran before (a build, the previous server's run) is not
			// this run's to write, and Gyrus falls back from syncfs to
			// an fsync per file while much is dirty (fileio.SyncFSCheap).
			syscall.Sync()
			cpu0 := treeCPU(s)
			wall, lat, err := deliverAll(cfg, addr, c, cfg.n, next)
			next += cfg.n
			if err != nil {
				return nil, err
			}
			cpu := float64((treeCPU(s) - cpu0).Microseconds()) / 1000 / float64(cfg.n)
			r.rates = append(r.rates, float64(cfg.n)/wall.Seconds())
			lats = append(lats, lat)
			cpus = append(cpus, cpu)
			fmt.Fprintf(os.Stderr, "%s: %d conns: %.0f msg/s, %.2f CPU ms/msg (load %s)\n", name, c, r.rates[len(r.rates)-1], cpu, common.LoadAvg())
		}
		med := medianIndex(r.rates)
		r.p50, r.p99 = percentile(lats[med], 50), percentile(lats[med], 99)
		r.cpu = cpus[med]
		rows = append(rows, r)
	}
	if p := s.Problems(); len(p) > 0 {
		fmt.Fprintf(os.Stderr, "%s: problems:\n  %s\n", name, strings.Join(p, "\n  "))
	}
	return rows, nil
}

// deliverAll delivers n messages (starting at message index first) over
// conns connections with go-smtp's LMTP client and returns the wall
// time and every message's latency.
func deliverAll(cfg *config, addr string, conns, n, first int) (time.Duration, []time.Duration, error) {
	var next atomic.Int64
	next.Store(int64(first))
	end := int64(first + n)
	lats := make([]time.Duration, 0, n)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := dial(cfg, addr)
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
				return
			}
			var mine []time.Duration
			for {
				i := next.Add(1) - 1
				if i >= end {
					break
				}
				t := time.Now()
				if err := cl.deliver(cfg, int(i)); err != nil {
					cl.abort()
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("message %d: %w", i, err)
					}
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t))
			}
			cl.close()
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return time.Since(t0), lats, firstErr
}

// client is one connection of the benchmark's MTA.
type client struct {
	plain *smtp.Client
	pipe  *pipeClient
}

func dial(cfg *config, addr string) (*client, error) {
	if cfg.client == "pipelined" {
		p, err := dialPipelined(addr)
		return &client{pipe: p}, err
	}
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	cl := smtp.NewClientLMTP(conn)
	if err := cl.Hello("bench.example"); err != nil {
		cl.Close()
		return nil, err
	}
	return &client{plain: cl}, nil
}

// close says QUIT and closes.
func (c *client) close() {
	if c.pipe != nil {
		c.pipe.Close()
		return
	}
	c.plain.Quit()
	c.plain.Close()
}

// abort closes without QUIT, after an error left the transaction
// anywhere (a QUIT in the middle of DATA would wait forever).
func (c *client) abort() {
	if c.pipe != nil {
		c.pipe.conn.Close()
		return
	}
	c.plain.Close()
}

// deliver sends message i to user i mod users.
func (c *client) deliver(cfg *config, i int) error {
	const from = "sender@example.com"
	to := fmt.Sprintf("u%d@localhost", i%cfg.users)
	m := cfg.msgs[i%len(cfg.msgs)]
	if cfg.corpus == "gen" {
		// distinct Message-IDs: no duplicate suppression across reps
		m = []byte(strings.Replace(string(m), "Message-ID: <", fmt.Sprintf("Message-ID: <r%d.", i), 1))
	}
	if c.pipe != nil {
		return c.pipe.deliver(from, to, m)
	}
	cl := c.plain
	if err := cl.Mail(from, nil); err != nil {
		return err
	}
	if err := cl.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := cl.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(m); err != nil {
		return err
	}
	_, err = w.CloseWithLMTPResponse()
	return err
}

func medianIndex(v []float64) int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	return idx[len(idx)/2]
}

func percentile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return float64(s[i].Microseconds()) / 1000
}

func format(cfg *config, rows []row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# LMTP delivery: Gyrus vs Cyrus 3.6.1 vs Dovecot 2.3\n\n")
	fmt.Fprintf(&b, "%s, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), common.Machine())
	how := "go-smtp LMTP client over TCP, one message per transaction, no pipelining"
	if cfg.client == "pipelined" {
		how = "LMTP client over TCP pipelining as Postfix's lmtp(8) (MAIL, RCPT, DATA in one write), one message per transaction"
	}
	fmt.Fprintf(&b, "`go run ./bench/lmtp %s`: %d messages per run (%s corpus), %d runs per row, %d recipients (message i to u<i mod %d>), %s.\n\n",
		strings.Join(os.Args[1:], " "), cfg.n, cfg.corpus, cfg.reps, cfg.users, cfg.users, how)
	fmt.Fprintf(&b, "| server | connections | messages/s (median, min–max) | p50 latency | p99 latency | server CPU per message | Gyrus ÷ server |\n|---|---|---|---|---|---|---|\n")
	gy := map[int]float64{}
	for _, r := range rows {
		if r.server == "gyrus" {
			gy[r.conns] = common.Summarise(r.rates).Median
		}
	}
	for _, r := range rows {
		st := common.Summarise(r.rates)
		ratio := ""
		if g, ok := gy[r.conns]; ok && r.server != "gyrus" {
			ratio = fmt.Sprintf("%.2f×", g/st.Median)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %.1f ms | %.1f ms | %.2f ms | %s |\n", r.server, r.conns, st.Format(), r.p50, r.p99, r.cpu, ratio)
	}
	fmt.Fprintf(&b, "\nload average at the start: %s, at the end: %s\n", cfg.load0, common.LoadAvg())
	if g, ok := gy[8]; ok {
		verdict := "met"
		if g < 900 {
			verdict = "not met in this run"
		}
		fmt.Fprintf(&b, "\nIssue #8's target, at least 900 messages/s at 8 connections: %s (Gyrus %.0f messages/s).\n", verdict, g)
	}
	for _, r := range rows {
		if r.conns == 8 && r.cpu > 0 {
			fmt.Fprintf(&b, "%s at 8 connections uses %.2f CPU ms per message: %.0f messages/s would take both cores whole.\n", r.server, r.cpu, 2000/r.cpu)
		}
	}
	return b.String()
}
