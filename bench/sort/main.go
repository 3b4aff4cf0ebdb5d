// Command sort is issue #11's benchmark: SORT and THREAD (and, on the
// smallest mailbox, SEARCH BODY) over large mailboxes on Gyrus, the real
// Cyrus 3.6.1 and the real Dovecot 2.3, all three running at once on
// the same machine and measured in the same run, the servers taking
// turns command by command so that a busy machine slows them alike.
//
//	go run ./bench/sort                       # 10,000 and 50,000 messages
//	go run ./bench/sort -sizes 2000 -reps 3   # a quick look
//
// Needs root (shared/oracle's cyrus-ref and dovecot-ref) and runs from
// the module root (Gyrus is started by gyrus/test/harness through
// bench/common; set GYRUS_BIN to a directory of built programs to skip
// the build). See README.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gyrus/bench/common"
)

const password = "bench-pw"

type command struct {
	name string // row title
	line string // the IMAP command
	kind string // "sort", "thread" or "search"
	// smallest: only on the smallest mailbox (SEARCH BODY reads every
	// message file: one size is enough to compare)
	smallest bool
}

var commands = []command{
	// the same messages unsorted: what is not sorting in the rows below
	// (the search over the index, writing the answer)
	{"SEARCH ALL (unsorted)", "SEARCH ALL", "search", false},
	{"SORT (ARRIVAL)", "SORT (ARRIVAL) UTF-8 ALL", "sort", false},
	{"SORT (DATE)", "SORT (DATE) UTF-8 ALL", "sort", false},
	{"SORT (REVERSE DATE)", "SORT (REVERSE DATE) UTF-8 ALL", "sort", false},
	{"SORT (SUBJECT)", "SORT (SUBJECT) UTF-8 ALL", "sort", false},
	{"SORT (FROM)", "SORT (FROM) UTF-8 ALL", "sort", false},
	{"SORT (SIZE) on FROM <1 sender>", "SORT (SIZE) UTF-8 FROM %s", "sort", false},
	{"THREAD REFERENCES", "THREAD REFERENCES UTF-8 ALL", "thread", false},
	{"THREAD ORDEREDSUBJECT", "THREAD ORDEREDSUBJECT UTF-8 ALL", "thread", false},
	{"SEARCH BODY <rare word>", "SEARCH BODY %s", "search", true},
}

type config struct {
	sizes   []int
	servers []string
	reps    int
	seed    uint64
	maxSize int
	out     string
	dir     string
}

// run is one server with one connection per mailbox size.
type run struct {
	name  string
	srv   *common.Server
	conns map[int]*client
	load  map[int]time.Duration
}

// cell is one command on one server and mailbox.
type cell struct {
	first  time.Duration
	times  []float64 // ms, after the first
	answer string    // the numbers of the first answer
	err    error
}

func main() {
	common.HandleSignals()
	code := 0
	if err := mainErr(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/sort:", err)
		code = 1
	}
	common.Exit(code)
}

func mainErr() error {
	cfg := &config{}
	sizes := flag.String("sizes", "10000,50000", "mailbox sizes (messages), comma-separated")
	servers := flag.String("servers", "gyrus,cyrus,dovecot", "servers to measure")
	flag.IntVar(&cfg.reps, "reps", 5, "timed repetitions of each command after the first")
	flag.Uint64Var(&cfg.seed, "seed", 1, "corpus seed")
	flag.IntVar(&cfg.maxSize, "max-size", 20000, "largest message in bytes (sizes are log-uniform from 2,000)")
	flag.StringVar(&cfg.out, "out", "bench/sort/RESULTS.md", "results file (\"\": stdout only)")
	flag.StringVar(&cfg.dir, "dir", "", "directory for the instances (default: a new one under /tmp, removed at exit)")
	flag.Parse()
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("-sizes: bad size %q", s)
		}
		cfg.sizes = append(cfg.sizes, n)
	}
	slices.Sort(cfg.sizes)
	cfg.servers = strings.Split(*servers, ",")
	if cfg.reps < 1 {
		return errors.New("-reps must be at least 1")
	}
	if _, err := common.RaiseNoFile(8192); err != nil {
		fmt.Fprintln(os.Stderr, "warning: RLIMIT_NOFILE:", err)
	}
	if cfg.dir == "" {
		d, err := os.MkdirTemp("", "bench-sort-")
		if err != nil {
			return err
		}
		cfg.dir = d
		common.OnExit(func() { os.RemoveAll(d) }) // registered first: runs after the stops
	}
	if err := os.MkdirAll(cfg.dir, 0o755); err != nil {
		return err
	}
	os.Chmod(cfg.dir, 0o755)
	corpus := &common.Corpus{Seed: cfg.seed, MaxSize: cfg.maxSize}

	var runs []*run
	for _, name := range cfg.servers {
		r, err := start(name, cfg)
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}
	for _, r := range runs {
		for _, n := range cfg.sizes {
			if err := r.srv.AddUser(user(n), password); err != nil {
				return err
			}
		}
	}
	// loading is not measured against each other: all three at once
	var wg sync.WaitGroup
	errs := make([]error, len(runs))
	t0 := time.Now()
	for i, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, n := range cfg.sizes {
				d, err := load(r, n, corpus)
				if err != nil {
					errs[i] = fmt.Errorf("%s: %w", r.name, err)
					return
				}
				r.load[n] = d
				fmt.Fprintf(os.Stderr, "%s: %d messages loaded in %v\n", r.name, n, d.Round(time.Second))
			}
		}()
	}
	wg.Wait()
	loadWall := time.Since(t0)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, r := range runs {
		for _, n := range cfg.sizes {
			c, err := dial(r.srv.Addr("imap"))
			if err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			common.OnExit(c.close)
			if err := c.login(user(n), password); err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			got, err := c.open("EXAMINE", "INBOX")
			if err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			if got != n {
				return fmt.Errorf("%s: INBOX of %s has %d messages, want %d", r.name, user(n), got, n)
			}
			r.conns[n] = c
		}
	}
	started := time.Now()
	results := map[int]map[string]map[string]*cell{} // size, command, server
	for _, n := range cfg.sizes {
		results[n] = map[string]map[string]*cell{}
		for _, cmd := range commands {
			if cmd.smallest && n != cfg.sizes[0] {
				continue
			}
			line := cmd.line
			if strings.Contains(line, "%s") {
				arg := corpus.Rare
				if cmd.kind == "sort" {
					arg = corpus.Sender(0)
				}
				line = fmt.Sprintf(line, arg)
			}
			row := map[string]*cell{}
			results[n][cmd.name] = row
			for _, r := range runs {
				row[r.name] = &cell{}
			}
			// the first run of each (Dovecot builds its cache there)
			for _, r := range runs {
				c := row[r.name]
				d, ans, err := timed(r.conns[n], line, cmd.kind)
				c.first, c.answer, c.err = d, ans, err
			}
			for rep := 0; rep < cfg.reps; rep++ {
				for j := range runs {
					r := runs[(rep+j)%len(runs)] // each takes its turn first
					c := row[r.name]
					if c.err != nil {
						continue
					}
					d, ans, err := timed(r.conns[n], line, cmd.kind)
					if err == nil && ans != c.answer {
						err = fmt.Errorf("answer changed between runs")
					}
					if err != nil {
						c.err = err
						continue
					}
					c.times = append(c.times, float64(d.Microseconds())/1000)
				}
			}
			fmt.Fprintf(os.Stderr, "%d %s:", n, cmd.name)
			for _, r := range runs {
				c := row[r.name]
				fmt.Fprintf(os.Stderr, " %s %s ms (first %s)", r.name, common.Summarise(c.times).Format(),
					common.Num(float64(c.first.Microseconds())/1000))
				if c.err != nil {
					fmt.Fprintf(os.Stderr, " [%v]", c.err)
				}
			}
			fmt.Fprintln(os.Stderr)
		}
	}
	measured := time.Since(started)
	var problems []string
	for _, r := range runs {
		for _, c := range r.conns {
			c.do(time.Minute, "LOGOUT")
			c.close()
		}
		if err := r.srv.Stop(); err != nil {
			problems = append(problems, err.Error())
		}
		for _, p := range r.srv.Problems() {
			problems = append(problems, r.name+": "+p)
		}
	}
	md := report(cfg, corpus, runs, results, loadWall, measured, problems)
	fmt.Print(md)
	if cfg.out != "" {
		if err := os.WriteFile(cfg.out, []byte(md), 0o644); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problems (see the results)", len(problems))
	}
	return nil
}

func user(n int) string { return "m" + strconv.Itoa(n) }

func start(name string, cfg *config) (*run, error) {
	r := &run{name: name, conns: map[int]*client{}, load: map[int]time.Duration{}}
	var err error
	switch name {
	case "gyrus":
		// IMAP only: the other services are not measured here
		r.srv, err = common.StartGyrus(filepath.Join(cfg.dir, "gyrus"), common.GyrusOptions{CyrusConf: "SERVICES {\n" +
			"  imap cmd=\"imapd -C {conf}\" listen=\"127.0.0.1:{port:imap}\" prefork=1\n}\n"})
	case "cyrus":
		r.srv, err = common.StartCyrus(cfg.dir)
	case "dovecot":
		r.srv, err = common.StartDovecot(cfg.dir, "", "")
	default:
		return nil, fmt.Errorf("unknown server %q (gyrus, cyrus, dovecot)", name)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// load appends messages [0, n) of the corpus to the INBOX of user(n),
// with their dates as internal dates, 50 per MULTIAPPEND where offered.
func load(r *run, n int, corpus *common.Corpus) (time.Duration, error) {
	c, err := dial(r.srv.Addr("imap"))
	if err != nil {
		return 0, err
	}
	defer c.close()
	if err := c.login(user(n), password); err != nil {
		return 0, err
	}
	have, err := c.open("SELECT", "INBOX")
	if err != nil {
		return 0, err
	}
	batch := 1
	if c.caps["MULTIAPPEND"] {
		batch = 50
	}
	t0 := time.Now()
	for i := have; i < n; {
		parts := []any{"APPEND INBOX"}
		for j := 0; j < batch && i < n; j, i = j+1, i+1 {
			m := corpus.Message(i)
			parts = append(parts, ` "`+m.Date.UTC().Format("02-Jan-2006 15:04:05 -0700")+`" `, m.Raw)
		}
		if _, err := c.do(5*time.Minute, parts...); err != nil {
			return 0, fmt.Errorf("loading message %d: %w", i, err)
		}
	}
	d := time.Since(t0)
	c.do(time.Minute, "LOGOUT")
	return d, nil
}

// timed runs one command and returns its time and the numbers of its
// answer, checked for its kind.
func timed(c *client, line, kind string) (time.Duration, string, error) {
	t0 := time.Now()
	u, err := c.do(30*time.Minute, line)
	d := time.Since(t0)
	if err != nil {
		return d, "", err
	}
	word := strings.ToUpper(kind)
	var ans []string
	for _, l := range u {
		if rest, ok := strings.CutPrefix(l, "* "+word); ok {
			ans = append(ans, strings.TrimSpace(rest))
		}
	}
	if len(ans) != 1 {
		return d, "", fmt.Errorf("%d * %s lines in the answer", len(ans), word)
	}
	return d, ans[0], nil
}
