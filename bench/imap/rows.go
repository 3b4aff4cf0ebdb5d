package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"gyrus/bench/common"
)

// env is what a row gets: the server, the client mode, the settings.
type env struct {
	srv      *common.Server
	quickack bool
	cfg      *config
	logf     func(format string, args ...any)
}

// outcome is one row measured on one server (one table cell).
type outcome struct {
	samples []float64
	err     error
	notes   []string // response sizes, hit counts, process counts
	wrong   string   // the answer differs from what the corpus says
}

// row is one line of the table.
type row struct {
	id      string
	issue   int // the row number in issue #7's list
	title   string
	unit    string
	higher  bool   // higher is better (rates); else lower (times, memory)
	noQA    bool   // also measured on Cyrus without TCP_QUICKACK
	mailbox string // the user whose INBOX it reads ("" = none)
	run     func(e *env) outcome
}

const password = "bench-pw"

func rows(cfg *config) []row {
	sender := cfg.corpus.Sender(7)
	return []row{
		{id: "fetch-flags", issue: 1, title: fmt.Sprintf("FETCH 1:* (FLAGS UID RFC822.SIZE), %s msgs", count(cfg.n10k)),
			unit: "ms", noQA: true, mailbox: "b10k",
			run: func(e *env) outcome {
				return commandRow(e, "b10k", "FETCH 1:* (FLAGS UID RFC822.SIZE)", checkCount(cfg.n10k))
			}},
		{id: "fetch-envelope", issue: 2, title: fmt.Sprintf("FETCH 1:* (ENVELOPE), %s msgs", count(cfg.n10k)),
			unit: "ms", noQA: true, mailbox: "b10k",
			run: func(e *env) outcome { return commandRow(e, "b10k", "FETCH 1:* (ENVELOPE)", checkCount(cfg.n10k)) }},
		{id: "search-body", issue: 3, title: fmt.Sprintf("SEARCH BODY %s (%d hits), %s msgs", cfg.corpus.Rare, cfg.rareHits, count(cfg.n10k)),
			unit: "ms", noQA: true, mailbox: "b10k",
			run: func(e *env) outcome {
				return commandRow(e, "b10k", "SEARCH BODY "+cfg.corpus.Rare, checkSearch(cfg.rareHits))
			}},
		{id: "search-from", issue: 3, title: fmt.Sprintf("SEARCH FROM <addr> (%d hits), %s msgs", cfg.fromHits, count(cfg.n10k)),
			unit: "ms", noQA: true, mailbox: "b10k",
			run: func(e *env) outcome {
				return commandRow(e, "b10k", "SEARCH FROM "+quote(sender), checkSearch(cfg.fromHits))
			}},
		{id: "append-1", issue: 4, title: fmt.Sprintf("APPEND %s × ~5 KB, 1 connection", count(cfg.appends)),
			unit: "msg/s", higher: true, noQA: true, mailbox: "ap1",
			run: func(e *env) outcome { return appendRow(e, 1) }},
		{id: "append-4", issue: 4, title: fmt.Sprintf("APPEND %s × ~5 KB, 4 connections (4 users)", count(cfg.appends)),
			unit: "msg/s", higher: true, noQA: true, mailbox: "ap1",
			run: func(e *env) outcome { return appendRow(e, 4) }},
		{id: "login", issue: 5, title: "connect + LOGIN + LOGOUT, 4 clients",
			unit: "logins/s", higher: true, noQA: true, mailbox: "idle",
			run: loginRow},
		{id: "memory", issue: 6, title: fmt.Sprintf("PSS per idle connection (LOGIN + SELECT INBOX), %s conns", count(cfg.conns)),
			unit: "KiB", mailbox: "idle",
			run: memoryRow},
		{id: "sort-date", issue: 7, title: fmt.Sprintf("SORT (DATE) UTF-8 ALL, %s msgs", count(cfg.n50k)),
			unit: "ms", noQA: true, mailbox: "b50k",
			run: func(e *env) outcome { return commandRow(e, "b50k", "SORT (DATE) UTF-8 ALL", checkSort(cfg.n50k)) }},
		{id: "thread-refs", issue: 7, title: fmt.Sprintf("THREAD REFERENCES UTF-8 ALL, %s msgs", count(cfg.n50k)),
			unit: "ms", noQA: true, mailbox: "b50k",
			run: func(e *env) outcome {
				return commandRow(e, "b50k", "THREAD REFERENCES UTF-8 ALL", checkThread(cfg.n50k))
			}},
	}
}

func count(n int) string {
	if n >= 1000 && n%1000 == 0 {
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// check inspects a response: a note for the details table, and a
// reason when the answer is wrong.
type check func(r response) (note, wrong string)

func checkCount(n int) check {
	return func(r response) (string, string) {
		note := fmt.Sprintf("%s per answer", kb(r.bytes))
		if r.count != n {
			return note, fmt.Sprintf("%d untagged answers, want %d", r.count, n)
		}
		return note, ""
	}
}

// numbers returns the numbers of the first untagged line starting with
// prefix.
func numbers(r response, prefix string) ([]string, bool) {
	for _, l := range r.untagged {
		if rest, ok := strings.CutPrefix(l, prefix); ok {
			return strings.Fields(rest), true
		}
		if l == strings.TrimSpace(prefix) {
			return nil, true
		}
	}
	return nil, false
}

func checkSearch(hits int) check {
	return func(r response) (string, string) {
		f, ok := numbers(r, "* SEARCH ")
		if !ok {
			return "", "no * SEARCH answer"
		}
		note := fmt.Sprintf("%d hits", len(f))
		if len(f) != hits {
			return note, fmt.Sprintf("%d hits, the corpus has %d", len(f), hits)
		}
		return note, ""
	}
}

func checkSort(n int) check {
	return func(r response) (string, string) {
		f, ok := numbers(r, "* SORT ")
		if !ok {
			return "", "no * SORT answer"
		}
		note := fmt.Sprintf("%s per answer", kb(r.bytes))
		if len(f) != n {
			return note, fmt.Sprintf("%d numbers, want %d", len(f), n)
		}
		return note, ""
	}
}

// checkThread counts the threads (top-level parenthesised groups) and
// the message numbers in them.
func checkThread(n int) check {
	return func(r response) (string, string) {
		var line string
		for _, l := range r.untagged {
			if strings.HasPrefix(l, "* THREAD") {
				line = strings.TrimPrefix(l, "* THREAD")
			}
		}
		if line == "" && len(r.untagged) == 0 {
			return "", "no * THREAD answer"
		}
		depth, threads, msgs := 0, 0, 0
		innum := false
		for _, ch := range line {
			switch {
			case ch == '(':
				if depth == 0 {
					threads++
				}
				depth++
				innum = false
			case ch == ')':
				depth--
				innum = false
			case ch >= '0' && ch <= '9':
				if !innum {
					msgs++
				}
				innum = true
			default:
				innum = false
			}
		}
		note := fmt.Sprintf("%d threads", threads)
		if msgs != n {
			return note, fmt.Sprintf("%d messages in the threads, want %d", msgs, n)
		}
		return note, ""
	}
}

func kb(b int64) string {
	if b >= 1<<20 {
		return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(b)/1024)
}

// commandRow times one command on a selected mailbox: one warm-up,
// then cfg.reps runs, wall time in ms from sending to the tagged OK.
func commandRow(e *env, user, cmd string, chk check) outcome {
	var o outcome
	c, err := dial(e.srv.Addr("imap"), e.quickack)
	if err != nil {
		o.err = err
		return o
	}
	defer c.close()
	if err := c.login(user, password); err != nil {
		o.err = err
		return o
	}
	if _, err := c.selectBox("INBOX"); err != nil {
		o.err = err
		return o
	}
	keep := !strings.HasPrefix(cmd, "FETCH")
	r, err := c.do(keep, cmd) // warm-up: caches, page cache, lazy indexes
	if err != nil {
		o.err = fmt.Errorf("warm-up: %w", err)
		return o
	}
	note, wrong := chk(r)
	o.notes = append(o.notes, note)
	o.wrong = wrong
	for i := 0; i < e.cfg.reps; i++ {
		t0 := time.Now()
		r, err := c.do(keep, cmd)
		d := time.Since(t0)
		if err != nil {
			o.err = err
			return o
		}
		o.samples = append(o.samples, float64(d)/float64(time.Millisecond))
		if _, w := chk(r); w != "" && o.wrong == "" {
			o.wrong = w
		}
	}
	return o
}

// appendRow appends cfg.appends messages of ~5 KB over conns
// connections (user apK on connection K), timing from the first APPEND
// to the last tagged OK; cfg.appendReps repetitions, messages/s.
func appendRow(e *env, conns int) outcome {
	var o outcome
	msgs := e.cfg.appendMsgs
	for rep := 0; rep < e.cfg.appendReps; rep++ {
		cs := make([]*client, conns)
		for k := range cs {
			c, err := dial(e.srv.Addr("imap"), e.quickack)
			if err == nil {
				err = c.login(fmt.Sprintf("ap%d", k+1), password)
			}
			if err != nil {
				for _, c := range cs[:k] {
					c.close()
				}
				o.err = err
				return o
			}
			cs[k] = c
		}
		var wg sync.WaitGroup
		errs := make([]error, conns)
		t0 := time.Now()
		for k, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := k; i < len(msgs); i += conns {
					if _, err := c.do(false, "APPEND INBOX ", msgs[i]); err != nil {
						errs[k] = fmt.Errorf("APPEND of message %d: %w", i, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		d := time.Since(t0)
		for _, c := range cs {
			c.close()
		}
		for _, err := range errs {
			if err != nil {
				o.err = err
				return o
			}
		}
		o.samples = append(o.samples, float64(len(msgs))/d.Seconds())
	}
	return o
}

// loginRow: 4 clients each connect, read the greeting, LOGIN, LOGOUT
// (reading the BYE and the tagged OK) and close, until cfg.logins are
// done or cfg.loginTime has passed (no new login starts after it);
// logins/s over the whole repetition.
func loginRow(e *env) outcome {
	var o outcome
	const clients = 4
	for rep := 0; rep < e.cfg.reps; rep++ {
		var wg sync.WaitGroup
		errs := make([]error, clients)
		done := make([]int, clients)
		t0 := time.Now()
		deadline := t0.Add(e.cfg.loginTime)
		for k := 0; k < clients; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := k; i < e.cfg.logins && time.Now().Before(deadline); i += clients {
					c, err := dial(e.srv.Addr("imap"), e.quickack)
					if err == nil {
						_, err = c.do(false, "LOGIN idle "+password)
						if err == nil {
							_, err = c.do(false, "LOGOUT")
						}
						c.close()
					}
					if err != nil {
						errs[k] = fmt.Errorf("login %d: %w", i, err)
						return
					}
					done[k]++
				}
			}()
		}
		wg.Wait()
		d := time.Since(t0)
		for _, err := range errs {
			if err != nil {
				o.err = err
				return o
			}
		}
		n := 0
		for _, x := range done {
			n += x
		}
		o.samples = append(o.samples, float64(n)/d.Seconds())
		if rep == 0 {
			o.notes = append(o.notes, fmt.Sprintf("%d logins in %v (first repetition)", n, d.Round(time.Millisecond)))
		}
	}
	return o
}

// memoryRow opens cfg.conns connections, each logged in as "idle" with
// INBOX selected, and divides the growth of the PSS summed over all the
// server's processes by the number of connections. Between repetitions
// it waits for the server's process count to come back down (Cyrus
// keeps idle imapd processes for a while).
func memoryRow(e *env) outcome {
	var o outcome
	baseProcs := -1
	for rep := 0; rep < e.cfg.memReps; rep++ {
		if rep > 0 {
			deadline := time.Now().Add(e.cfg.settle)
			for len(e.srv.PIDs()) > baseProcs+2 && time.Now().Before(deadline) {
				time.Sleep(time.Second)
			}
			if n := len(e.srv.PIDs()); n > baseProcs+2 {
				o.notes = append(o.notes, fmt.Sprintf("rep %d skipped: still %d processes (%d before rep 1) after %v", rep+1, n, baseProcs, e.cfg.settle))
				break
			}
		}
		time.Sleep(2 * time.Second)
		pids := e.srv.PIDs()
		before, nBefore := common.TreePSS(pids)
		if baseProcs < 0 {
			baseProcs = nBefore
		}
		t0 := time.Now()
		cs, err := openIdle(e, e.cfg.conns)
		opened := time.Since(t0)
		if err != nil {
			for _, c := range cs {
				c.close()
			}
			o.err = fmt.Errorf("after %d connections: %w", len(cs), err)
			return o
		}
		time.Sleep(3 * time.Second)
		after, nAfter := common.TreePSS(e.srv.PIDs())
		for _, c := range cs {
			c.close()
		}
		per := float64(after-before) / float64(len(cs))
		o.samples = append(o.samples, per)
		o.notes = append(o.notes, fmt.Sprintf("%d→%d processes, PSS %.1f→%.1f MiB, %d connections opened in %v",
			nBefore, nAfter, float64(before)/1024, float64(after)/1024, len(cs), opened.Round(100*time.Millisecond)))
	}
	return o
}

// openIdle opens n connections with LOGIN and SELECT INBOX, 16 at a
// time; on error it returns those it opened.
func openIdle(e *env, n int) ([]*client, error) {
	var mu sync.Mutex
	var cs []*client
	var firstErr error
	next := 0
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= n || firstErr != nil {
					mu.Unlock()
					return
				}
				next++
				mu.Unlock()
				c, err := dial(e.srv.Addr("imap"), e.quickack)
				if err == nil {
					_, err = c.do(false, "LOGIN idle "+password)
					if err == nil {
						_, err = c.selectBox("INBOX")
					}
					if err != nil {
						c.close()
					}
				}
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
				} else {
					cs = append(cs, c)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return cs, firstErr
}
