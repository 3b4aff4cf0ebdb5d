package main

import (
	"fmt"
	"time"

	"gyrus/bench/common"
)

// imapDate is RFC 3501's date-time for APPEND.
func imapDate(t time.Time) string {
	return `"` + t.UTC().Format("02-Jan-2006 15:04:05 -0700") + `"`
}

// load appends messages [0, n) of corpus to user's INBOX with their
// dates as internal dates, in order, in MULTIAPPEND batches where the
// server offers it, then checks that the INBOX has exactly n messages.
// It appends only what is missing when the INBOX already has some.
func load(addr, user string, corpus *common.Corpus, n int) (time.Duration, error) {
	c, err := dial(addr, true)
	if err != nil {
		return 0, err
	}
	defer c.close()
	if err := c.login(user, password); err != nil {
		return 0, err
	}
	have, err := c.selectBox("INBOX")
	if err != nil {
		return 0, err
	}
	if have > n {
		return 0, fmt.Errorf("INBOX of %s has %d messages, more than the %d of the corpus", user, have, n)
	}
	t0 := time.Now()
	batch := 1
	if c.caps["MULTIAPPEND"] {
		batch = 50
	}
	for i := have; i < n; {
		parts := []any{"APPEND INBOX"}
		for j := 0; j < batch && i < n; j, i = j+1, i+1 {
			m := corpus.Message(i)
			parts = append(parts, " "+imapDate(m.Date)+" ", m.Raw)
		}
		if _, err := c.do(false, parts...); err != nil {
			return 0, fmt.Errorf("loading message %d of %s: %w", i, user, err)
		}
	}
	took := time.Since(t0)
	if _, err := c.do(false, "CLOSE"); err != nil {
		return 0, err
	}
	got, err := c.selectBox("INBOX")
	if err != nil {
		return 0, err
	}
	if got != n {
		return 0, fmt.Errorf("INBOX of %s has %d messages after loading, want %d", user, got, n)
	}
	return took, nil
}
