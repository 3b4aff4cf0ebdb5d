package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"gyrus/bench/common"
)

type report struct {
	cfg      *config
	rows     []row
	cells    map[string]map[string]*outcome // row id → column → outcome
	problems []string
	loads    []string
	loadavg  []string
	started  time.Time
	finished time.Time
}

func (rep *report) cell(row, col string) *outcome {
	m := rep.cells[row]
	if m == nil {
		m = map[string]*outcome{}
		rep.cells[row] = m
	}
	o := m[col]
	if o == nil {
		o = &outcome{}
		m[col] = o
	}
	return o
}

var columnTitles = []struct{ key, title string }{
	{"gyrus", "Gyrus"},
	{"cyrus", "Cyrus 3.6.1"},
	{"cyrus-noqa", "Cyrus, client without QUICKACK"},
	{"dovecot", "Dovecot 2.3"},
}

func (rep *report) has(server string) bool {
	for _, s := range rep.cfg.servers {
		if s == server {
			return true
		}
	}
	return false
}

// value prints a cell of the main table.
func (rep *report) value(r row, col string) string {
	o := rep.cells[r.id][col]
	if o == nil {
		return "—"
	}
	if o.err != nil {
		return "FAILED¹"
	}
	s := common.Summarise(o.samples).Format()
	if o.wrong != "" {
		s += " WRONG²"
	}
	return s
}

func (rep *report) ratio(r row, a, b string) string {
	oa, ob := rep.cells[r.id][a], rep.cells[r.id][b]
	if oa == nil || ob == nil || oa.err != nil || ob.err != nil || len(oa.samples) == 0 || len(ob.samples) == 0 {
		return "—"
	}
	ma, mb := common.Summarise(oa.samples).Median, common.Summarise(ob.samples).Median
	if mb == 0 {
		return "—"
	}
	x := ma / mb
	better := x < 1
	if r.higher {
		better = x > 1
	}
	mark := ""
	if better {
		mark = " ✓"
	}
	return fmt.Sprintf("%.2f%s", x, mark)
}

func (rep *report) markdown() string {
	cfg := rep.cfg
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	mode := "full run"
	if cfg.quick {
		mode = "quick run (-quick: smoke test, not for quoting)"
	}
	p("# IMAP benchmark: Gyrus vs Cyrus 3.6.1 vs Dovecot 2.3\n\n")
	p("- Date: %s (%s, took %v)\n", rep.started.Format("2006-01-02 15:04 MST"), mode, rep.finished.Sub(rep.started).Round(time.Second))
	p("- Machine: %s\n", common.Machine())
	p("- Command: `%s`\n", strings.Join(append([]string{"go run ./bench/imap"}, os.Args[1:]...), " "))
	sizes := fmt.Sprint(cfg.n10k)
	if cfg.issues[7] { // the 50k mailbox is loaded only for SORT/THREAD
		sizes += fmt.Sprintf(" + %d", cfg.n50k)
	}
	p("- Corpus: seed %d, %s messages of 2–50 KB (log-uniform; text, alternative, mixed with base64 attachment), loaded by APPEND with fixed internal dates; APPEND rows use %d fresh messages of ~5 KB, %d repetitions\n",
		cfg.seed, sizes, cfg.appends, cfg.appendReps)
	p("- Cells: median (min–max) over %d timed repetitions after one warm-up (command rows), %d (LOGIN), %d (APPEND), %d (memory). Ratios are Gyrus's median over the other's; ✓ marks where Gyrus is better (lower time or memory, higher rate).\n\n",
		cfg.reps, cfg.reps, cfg.appendReps, cfg.memReps)

	var cols []struct{ key, title string }
	for _, c := range columnTitles {
		server := strings.TrimSuffix(c.key, "-noqa")
		if rep.has(server) {
			cols = append(cols, c)
		}
	}
	p("| # | Measure | Unit |")
	for _, c := range cols {
		p(" %s |", c.title)
	}
	ratios := []struct{ other, title string }{}
	if rep.has("gyrus") && rep.has("cyrus") {
		ratios = append(ratios, struct{ other, title string }{"cyrus", "Gyrus/Cyrus"})
	}
	if rep.has("gyrus") && rep.has("dovecot") {
		ratios = append(ratios, struct{ other, title string }{"dovecot", "Gyrus/Dovecot"})
	}
	for _, r := range ratios {
		p(" %s |", r.title)
	}
	p("\n|---|---|---|")
	for range len(cols) + len(ratios) {
		p("---|")
	}
	p("\n")
	for _, r := range rep.rows {
		unit := r.unit
		if r.higher {
			unit += " ↑"
		} else {
			unit += " ↓"
		}
		p("| %d | %s | %s |", r.issue, r.title, unit)
		for _, c := range cols {
			if c.key == "cyrus-noqa" && !r.noQA {
				p(" n/a |")
				continue
			}
			p(" %s |", rep.value(r, c.key))
		}
		for _, x := range ratios {
			p(" %s |", rep.ratio(r, "gyrus", x.other))
		}
		p("\n")
	}

	// details: what each server answered, so that the work is seen to be
	// the same
	p("\n## Answers (from the warm-up run; sizes and hit counts)\n\n| Measure |")
	for _, c := range cols {
		p(" %s |", c.title)
	}
	p("\n|---|")
	for range cols {
		p("---|")
	}
	p("\n")
	for _, r := range rep.rows {
		p("| %s |", r.id)
		for _, c := range cols {
			o := rep.cells[r.id][c.key]
			if o == nil || len(o.notes) == 0 {
				p(" |")
				continue
			}
			p(" %s |", strings.Join(o.notes, "; "))
		}
		p("\n")
	}

	var fails []string
	for _, r := range rep.rows {
		for _, c := range cols {
			if o := rep.cells[r.id][c.key]; o != nil {
				if o.err != nil {
					fails = append(fails, fmt.Sprintf("- ¹ %s on %s: %v", r.id, c.title, oneLine(o.err.Error())))
				}
				if o.wrong != "" {
					fails = append(fails, fmt.Sprintf("- ² %s on %s: wrong answer: %s", r.id, c.title, o.wrong))
				}
			}
		}
	}
	if len(fails) > 0 {
		p("\n## Failures and wrong answers\n\n%s\n", strings.Join(fails, "\n"))
	}
	if len(rep.problems) > 0 {
		p("\n## Server problems noticed at stop\n\n")
		for _, x := range rep.problems {
			p("- %s\n", oneLine(x))
		}
	}
	if len(rep.loads) > 0 {
		p("\n## Corpus loading (informative; MULTIAPPEND batches of 50 where offered)\n\n")
		for _, x := range rep.loads {
			p("- %s\n", x)
		}
	}
	p("\n## Machine load (1, 5, 15 min load average: the machine may be shared with other work)\n\n")
	for _, x := range rep.loadavg {
		p("- %s\n", x)
	}
	p("\n## Set-up\n\n")
	p("- Gyrus: built and started by gyrus/test/harness (master, `imap cmd=\"imapd\" prefork=1`), imapd.conf as the harness writes it plus `admins: admin`.\n")
	p("- Cyrus: `shared/oracle/cyrus-ref start` unchanged (imapd `prefork=0`, no maxchild, `failedloginpause` irrelevant: every login succeeds).\n")
	p("- Dovecot: `shared/oracle/dovecot-ref start --mail %s`, DIR/etc/local.conf:\n\n```\n%s```\n", cfg.dovecotBox, dovecotLocal(cfg))
	p("- RLIMIT_NOFILE of this program, inherited by the three masters: raised to %d.\n", cfg.nofile)
	return b.String()
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ⏎ ")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}
