// Command imap-bench runs the IMAP benchmarks of issues #7 and #11 on
// Gyrus, the real Cyrus 3.6.1 and the real Dovecot 2.3 in one run, on
// the same machine and the same generated corpus, one server at a time,
// and prints a markdown table (also written to bench/imap/RESULTS.md).
// See README.md beside this file.
//
//	go run ./bench/imap            # the full run (tens of minutes)
//	go run ./bench/imap -quick     # small corpus, few repetitions
//	go run ./bench/imap -servers gyrus,dovecot -rows 1,2
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gyrus/bench/common"
)

type config struct {
	quick      bool
	servers    []string
	issues     map[int]bool
	n10k, n50k int
	reps       int
	appends    int
	appendReps int
	logins     int
	loginTime  time.Duration
	conns      int
	memReps    int
	settle     time.Duration
	seed       uint64
	out        string
	base       string
	keep       bool
	dovecotBox string
	nofile     uint64

	corpus     *common.Corpus
	rareHits   int
	fromHits   int
	appendMsgs [][]byte
}

func main() {
	os.Exit(run())
}

func run() (code int) {
	cfg := &config{}
	quick := flag.Bool("quick", false, "smoke test: small corpus, few repetitions, a couple of minutes")
	servers := flag.String("servers", "gyrus,cyrus,dovecot", "servers to measure, in this order")
	rowsFlag := flag.String("rows", "1,2,3,4,5,6,7", "rows (numbers of issue #7's list; 7 = SORT/THREAD of #11)")
	n10k := flag.Int("n10k", 0, "messages in the FETCH/SEARCH mailbox (default 10000, -quick 1000)")
	n50k := flag.Int("n50k", 0, "messages in the SORT/THREAD mailbox (default 50000, -quick 1500)")
	reps := flag.Int("reps", 0, "timed repetitions per command row and LOGIN row (default 7, -quick 3)")
	appends := flag.Int("appends", 0, "messages per APPEND repetition (default 2000, -quick 100)")
	appendReps := flag.Int("append-reps", 0, "APPEND repetitions (default 3, -quick 2)")
	logins := flag.Int("logins", 0, "most logins per LOGIN repetition (default 1000, -quick 200)")
	loginTime := flag.Duration("login-time", 0, "longest LOGIN repetition: no new login starts after it (default 10s, -quick 3s)")
	conns := flag.Int("conns", 0, "idle connections for the memory row (default 1000, -quick 50)")
	memReps := flag.Int("mem-reps", 0, "memory repetitions (default 2, -quick 1)")
	settle := flag.Duration("settle", 3*time.Minute, "longest wait between memory repetitions for the server's processes to go back down")
	seed := flag.Uint64("seed", 1, "corpus seed")
	out := flag.String("out", "", "results file (default bench/imap/RESULTS.md for a full run, none for -quick)")
	base := flag.String("dir", "", "directory for the instances (default a new one under /tmp, removed at the end)")
	keep := flag.Bool("keep", false, "keep the instance directories")
	dovecotBox := flag.String("dovecot-mail", "maildir", "Dovecot mail storage: maildir (Debian's default), sdbox or mdbox")
	flag.Parse()

	cfg.quick = *quick
	pick := func(v, full, q int) int {
		if v > 0 {
			return v
		}
		if cfg.quick {
			return q
		}
		return full
	}
	cfg.n10k = pick(*n10k, 10000, 1000)
	cfg.n50k = pick(*n50k, 50000, 1500)
	cfg.reps = pick(*reps, 7, 3)
	cfg.appends = pick(*appends, 2000, 100)
	cfg.appendReps = pick(*appendReps, 3, 2)
	cfg.logins = pick(*logins, 1000, 200)
	cfg.loginTime = time.Duration(pick(int(*loginTime), int(10*time.Second), int(3*time.Second)))
	cfg.conns = pick(*conns, 1000, 50)
	cfg.memReps = pick(*memReps, 2, 1)
	cfg.settle = *settle
	cfg.seed = *seed
	cfg.keep = *keep
	cfg.dovecotBox = *dovecotBox
	cfg.out = *out
	if cfg.out == "" && !cfg.quick {
		cfg.out = "bench/imap/RESULTS.md"
	}
	for _, s := range strings.Split(*servers, ",") {
		s = strings.TrimSpace(s)
		if s != "gyrus" && s != "cyrus" && s != "dovecot" {
			fmt.Fprintf(os.Stderr, "imap-bench: unknown server %q\n", s)
			return 2
		}
		cfg.servers = append(cfg.servers, s)
	}
	cfg.issues = map[int]bool{}
	for _, s := range strings.Split(*rowsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 7 {
			fmt.Fprintf(os.Stderr, "imap-bench: -rows wants numbers 1-7, not %q\n", s)
			return 2
		}
		cfg.issues[n] = true
	}

	common.HandleSignals()
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "imap-bench: panic: %v\n", r)
			code = 1
		}
		common.RunExit()
	}()
	if n, err := common.RaiseNoFile(uint64(4*cfg.conns + 4096)); err != nil {
		fmt.Fprintf(os.Stderr, "imap-bench: %v\n", err)
	} else {
		cfg.nofile = n
		if n < uint64(2*cfg.conns+100) {
			fmt.Fprintf(os.Stderr, "imap-bench: RLIMIT_NOFILE is only %d\n", n)
		}
	}
	cfg.base = *base
	if cfg.base == "" {
		d, err := os.MkdirTemp("", "gyrus-imap-bench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "imap-bench:", err)
			return 1
		}
		cfg.base = d
		if !cfg.keep {
			common.OnExit(func() { os.RemoveAll(d) })
		}
	}
	os.MkdirAll(cfg.base, 0o755)
	os.Chmod(cfg.base, 0o755)

	prepareCorpus(cfg)
	all := rows(cfg)
	var selected []row
	for _, r := range all {
		if cfg.issues[r.issue] {
			selected = append(selected, r)
		}
	}
	rep := &report{cfg: cfg, rows: selected, cells: map[string]map[string]*outcome{}, started: time.Now()}
	for _, s := range cfg.servers {
		phase(cfg, s, selected, rep)
	}
	rep.finished = time.Now()
	md := rep.markdown()
	fmt.Println()
	fmt.Print(md)
	if cfg.out != "" {
		if err := os.WriteFile(cfg.out, []byte(md), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "imap-bench:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "imap-bench: wrote %s\n", cfg.out)
	}
	return 0
}

// prepareCorpus fixes the corpus and computes what the searches must
// find; it makes the APPEND messages in advance so that the APPEND row
// does not time their making.
func prepareCorpus(cfg *config) {
	cfg.corpus = &common.Corpus{Seed: cfg.seed}
	for i := 0; i < cfg.n10k; i++ {
		if cfg.corpus.HasRare(i) {
			cfg.rareHits++
		}
		if cfg.corpus.SenderIndex(i) == 7 {
			cfg.fromHits++
		}
	}
	if cfg.issues[4] {
		ac := &common.Corpus{Seed: cfg.seed + 1000, MinSize: 5000, MaxSize: 5000}
		for i := 0; i < cfg.appends; i++ {
			cfg.appendMsgs = append(cfg.appendMsgs, ac.Message(i).Raw)
		}
	}
}

// column is one column of the table.
type column struct {
	name     string // key in report.cells
	quickack bool
}

func columnsOf(server string) []column {
	if server == "cyrus" {
		return []column{{"cyrus", true}, {"cyrus-noqa", false}}
	}
	return []column{{server, true}}
}

// dovecotLocal is DIR/etc/local.conf: limits raised for the memory row
// (1,000 connections of one user from one address), nothing else.
func dovecotLocal(cfg *config) string {
	n := cfg.conns + 500
	return fmt.Sprintf(`# written by bench/imap: limits for %d idle connections of one user
mail_max_userip_connections = %d
default_process_limit = %d
default_client_limit = %d
service imap {
  process_limit = %d
}
`, cfg.conns, 2*n, n, 4*n, n)
}

// phase starts one server, creates the users, loads the corpus, runs
// the rows on its columns and stops it. Every failure is recorded in
// the cells, never fatal to the run.
func phase(cfg *config, name string, rs []row, rep *report) {
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "[%s %s] %s\n", time.Now().Format("15:04:05"), name, fmt.Sprintf(format, args...))
	}
	fail := func(err error, which func(r row) bool) {
		for _, r := range rs {
			if which(r) {
				for _, c := range columnsOf(name) {
					if rep.cell(r.id, c.name).err == nil {
						rep.cell(r.id, c.name).err = err
					}
				}
			}
		}
	}
	everything := func(row) bool { return true }
	logf("starting")
	rep.loadavg = append(rep.loadavg, fmt.Sprintf("%s: %s at start", name, common.LoadAvg()))
	defer func() {
		rep.loadavg = append(rep.loadavg, fmt.Sprintf("%s: %s at end", name, common.LoadAvg()))
	}()
	var srv *common.Server
	var err error
	switch name {
	case "gyrus":
		srv, err = common.StartGyrus(cfg.base, common.GyrusOptions{CyrusConf: `SERVICES {
  imap cmd="imapd -C {conf}" listen="127.0.0.1:{port:imap}" prefork=1
}
`})
	case "cyrus":
		srv, err = common.StartCyrus(cfg.base)
	case "dovecot":
		srv, err = common.StartDovecot(cfg.base, dovecotLocal(cfg), cfg.dovecotBox)
	}
	if err != nil {
		logf("start failed: %v", err)
		fail(fmt.Errorf("start: %w", err), everything)
		return
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			logf("stop: %v", err)
			rep.problems = append(rep.problems, fmt.Sprintf("%s: stop: %v", name, err))
		}
		for _, p := range srv.Problems() {
			rep.problems = append(rep.problems, fmt.Sprintf("%s: %s", name, p))
		}
		logf("stopped")
	}()
	logf("running in %s, imap %s", srv.Dir, srv.Addr("imap"))

	// users and corpus
	need := map[string]int{} // user -> messages to load
	for _, r := range rs {
		switch r.mailbox {
		case "b10k":
			need["b10k"] = cfg.n10k
		case "b50k":
			need["b50k"] = cfg.n50k
		case "ap1":
			for k := 1; k <= 4; k++ {
				need[fmt.Sprintf("ap%d", k)] = 0
			}
		case "idle":
			need["idle"] = 20
		}
	}
	users := make([]string, 0, len(need))
	for u := range need {
		users = append(users, u)
	}
	slices.Sort(users)
	bad := map[string]error{}
	for _, u := range users {
		if err := srv.AddUser(u, password); err != nil {
			logf("%v", err)
			bad[u] = err
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, u := range users {
		if need[u] == 0 || bad[u] != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			took, err := load(srv.Addr("imap"), u, cfg.corpus, need[u])
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				logf("load %s: %v", u, err)
				bad[u] = fmt.Errorf("corpus load: %w", err)
				return
			}
			logf("loaded %d messages into %s in %v (%.0f msg/s)", need[u], u, took.Round(time.Millisecond), float64(need[u])/took.Seconds())
			rep.loads = append(rep.loads, fmt.Sprintf("%s: %d messages into %s in %v", name, need[u], u, took.Round(time.Second)))
		}()
	}
	wg.Wait()

	// read-only rows first, then LOGIN, APPEND, and memory last (it
	// leaves many processes behind on Cyrus)
	order := []int{1, 2, 3, 7, 5, 4, 6}
	for _, issue := range order {
		for _, r := range rs {
			if r.issue != issue {
				continue
			}
			if err := bad[r.mailbox]; err != nil {
				fail(err, func(x row) bool { return x.id == r.id })
				continue
			}
			if r.mailbox == "ap1" {
				if err := firstBad(bad, "ap1", "ap2", "ap3", "ap4"); err != nil {
					fail(err, func(x row) bool { return x.id == r.id })
					continue
				}
			}
			for _, c := range columnsOf(name) {
				if !c.quickack && !r.noQA {
					continue
				}
				if srv.MasterPID() == 0 {
					rep.cell(r.id, c.name).err = fmt.Errorf("%s is no longer running", name)
					continue
				}
				e := &env{srv: srv, quickack: c.quickack, cfg: cfg, logf: logf}
				t0 := time.Now()
				o := measure(r, e)
				*rep.cell(r.id, c.name) = o
				s := common.Summarise(o.samples)
				status := s.Format() + " " + r.unit
				if o.err != nil {
					status = "FAILED: " + o.err.Error()
				}
				if o.wrong != "" {
					status += " (WRONG: " + o.wrong + ")"
				}
				logf("%-15s %-10s %s [%v]", r.id, c.name, status, time.Since(t0).Round(time.Millisecond))
			}
		}
	}
}

// measure runs a row, turning a panic into a failure of that cell.
func measure(r row, e *env) (o outcome) {
	defer func() {
		if p := recover(); p != nil {
			o = outcome{err: fmt.Errorf("panic in the benchmark: %v", p)}
		}
	}()
	return r.run(e)
}

func firstBad(bad map[string]error, users ...string) error {
	for _, u := range users {
		if bad[u] != nil {
			return bad[u]
		}
	}
	return nil
}
