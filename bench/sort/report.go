package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"gyrus/bench/common"
)

var titles = map[string]string{"gyrus": "Gyrus", "cyrus": "Cyrus 3.6.1", "dovecot": "Dovecot 2.3"}

// numbers are the message numbers of an answer (THREAD's parentheses
// dropped).
func numbers(ans string) []int {
	f := strings.FieldsFunc(ans, func(r rune) bool { return r == ' ' || r == '(' || r == ')' })
	out := make([]int, 0, len(f))
	for _, s := range f {
		if v, err := strconv.Atoi(s); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// check says what is wrong with an answer of cmd over n messages ("" if
// nothing): an ALL program must give every message once.
func check(cmd command, ans string, n int) string {
	nums := numbers(ans)
	if cmd.kind == "search" && cmd.line == "SEARCH ALL" {
		if len(nums) != n {
			return fmt.Sprintf("%d numbers, want %d", len(nums), n)
		}
		return ""
	}
	if cmd.kind == "search" || !strings.HasSuffix(cmd.line, " ALL") {
		return "" // compared with Cyrus's answer only
	}
	if len(nums) != n {
		return fmt.Sprintf("%d numbers, want %d", len(nums), n)
	}
	seen := make([]bool, n+1)
	for _, v := range nums {
		if v < 1 || v > n || seen[v] {
			return fmt.Sprintf("number %d wrong or repeated", v)
		}
		seen[v] = true
	}
	return ""
}

// same compares an answer with the reference server's.
func same(a, ref string) string {
	if a == ref {
		return "="
	}
	x, y := numbers(a), numbers(ref)
	if len(x) != len(y) {
		return fmt.Sprintf("≠ (%d vs %d numbers)", len(x), len(y))
	}
	d := 0
	for i := range x {
		if x[i] != y[i] {
			d++
		}
	}
	if d == 0 {
		return "≠ (same order, other grouping)"
	}
	return fmt.Sprintf("≠ (%d positions)", d)
}

func ms(d time.Duration) string { return common.Num(float64(d.Microseconds()) / 1000) }

func report(cfg *config, corpus *common.Corpus, runs []*run, results map[int]map[string]map[string]*cell,
	loadWall, measured time.Duration, problems []string) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# bench/sort — SORT and THREAD: Gyrus vs Cyrus 3.6.1 vs Dovecot 2.3\n\n")
	p("- Date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	p("- Command: `go run ./bench/sort %s`\n", strings.Join(os.Args[1:], " "))
	p("- Machine: %s; load average at the end %s (the machine is shared)\n", common.Machine(), common.LoadAvg())
	p("- Corpus: bench/common.Corpus seed %d, messages of 2,000–%d bytes (log-uniform), one mailbox per size (user m<size>, INBOX), "+
		"loaded by APPEND (MULTIAPPEND batches of 50) with the Date header as internal date\n", cfg.seed, corpus.MaxSize)
	p("- Servers: all three running at once, one connection each per mailbox (EXAMINE INBOX), " +
		"taking turns command by command (who goes first rotates); Gyrus through gyrus/test/harness (one imapd process), " +
		"Cyrus and Dovecot (maildir) through shared/oracle as installed\n")
	p("- Cells: milliseconds from sending the command to its tagged OK, median (min–max) of %d runs after a first run; "+
		"the first run is its own column (Dovecot fills its cache there). Ratios: Gyrus's median over the other's (< 1: Gyrus faster).\n", cfg.reps)
	p("- Answers: every ALL answer is checked to hold each message once; " +
		"\"vs Cyrus\" compares each answer with Cyrus's, number by number.\n\n")
	for _, n := range cfg.sizes {
		p("## %d messages\n\n", n)
		p("| command |")
		for _, r := range runs {
			p(" %s |", titles[r.name])
		}
		for _, r := range runs {
			p(" %s first |", titles[r.name])
		}
		for _, r := range runs[1:] {
			p(" Gyrus/%s |", strings.Fields(titles[r.name])[0])
		}
		p(" vs Cyrus |\n|---|")
		for i := 0; i < 2*len(runs)+len(runs)-1+1; i++ {
			p("---|")
		}
		p("\n")
		for _, cmd := range commands {
			row := results[n][cmd.name]
			if row == nil {
				continue
			}
			title := cmd.name
			if cmd.kind == "search" && cmd.smallest {
				title += fmt.Sprintf(" (%d hits)", len(numbers(row[runs[0].name].answer)))
			}
			p("| %s |", title)
			med := map[string]float64{}
			for _, r := range runs {
				c := row[r.name]
				if c.err != nil {
					p(" error: %s |", oneLine(c.err.Error()))
					continue
				}
				if bad := check(cmd, c.answer, n); bad != "" {
					p(" wrong: %s |", bad)
					continue
				}
				s := common.Summarise(c.times)
				med[r.name] = s.Median
				p(" %s |", s.Format())
			}
			for _, r := range runs {
				if row[r.name].err != nil {
					p(" — |")
				} else {
					p(" %s |", ms(row[r.name].first))
				}
			}
			for _, r := range runs[1:] {
				g, ok1 := med["gyrus"]
				o, ok2 := med[r.name]
				if ok1 && ok2 && o > 0 {
					p(" %.2f |", g/o)
				} else {
					p(" — |")
				}
			}
			var vs []string
			if ref := row["cyrus"]; ref != nil && ref.err == nil {
				for _, r := range runs {
					if r.name != "cyrus" && row[r.name].err == nil {
						vs = append(vs, r.name+" "+same(row[r.name].answer, ref.answer))
					}
				}
			}
			p(" %s |\n", strings.Join(vs, ", "))
		}
		p("\n")
	}
	p("## Loading (informative: the three servers were loaded at the same time, %v wall)\n\n", loadWall.Round(time.Second))
	p("| server |")
	for _, n := range cfg.sizes {
		p(" %d messages |", n)
	}
	p("\n|---|")
	for range cfg.sizes {
		p("---|")
	}
	p("\n")
	for _, r := range runs {
		p("| %s |", titles[r.name])
		for _, n := range cfg.sizes {
			p(" %v |", r.load[n].Round(time.Second))
		}
		p("\n")
	}
	p("\nMeasuring took %v.\n", measured.Round(time.Second))
	if len(problems) > 0 {
		p("\n## Problems\n\n")
		for _, pr := range problems {
			p("- %s\n", oneLine(pr))
		}
	}
	return b.String()
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
