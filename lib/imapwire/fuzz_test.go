package imapwire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// countReader counts the bytes the parser took from the connection.
type countReader struct {
	r io.Reader
	n int
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += n
	return n, err
}

var fuzzLimits = Limits{MaxWord: 300, MaxQuoted: 200, MaxLiteral: 500, MaxArgsSize: 4000,
	MaxMessageSize: 1 << 20, MaxDepth: 20, MaxItems: 200, MaxLine: 300}

func addProbeSeeds(f *testing.F, add func(string)) {
	for _, pr := range loadProbes(f, "testdata/cyrus_answers.jsonl") {
		add(pr.Send)
	}
	for _, s := range []string{
		"a APPEND INBOX (\\Seen) \"1-Jan-2020 00:00:00 +0000\" {3+}\r\nabc CATENATE (URL x TEXT {2+}\r\nhi)\r\n",
		"a AUTHENTICATE PLAIN\r\nAGFsaWNlAHB3\r\n", "a IDLE\r\nDONE\r\n",
		"a UID SEARCH RETURN (SAVE PARTIAL 1:5) $\r\n", "a ESEARCH IN (selected subtree (a b)) ALL\r\n",
		"a APPEND INBOX UTF8 (~{1+}\r\nx)\r\n", "a XFOO 1 (a \"b\") {1+}\r\nc\r\n",
	} {
		add(s)
	}
}

// FuzzParseCommand feeds any bytes to the parser in any session state with
// any extensions: it must never panic, must make progress on every call,
// and must keep within the limits it was given.
func FuzzParseCommand(f *testing.F) {
	addProbeSeeds(f, func(s string) {
		for st := uint8(0); st < 3; st++ {
			f.Add([]byte(s), st, uint8(0))
		}
		f.Add([]byte(s), uint8(2), uint8(0xff))
	})
	f.Fuzz(func(t *testing.T, data []byte, state uint8, flags uint8) {
		// A hang never returns: a watchdog crashes the worker so that
		// the fuzzer records the input.
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				panic(fmt.Sprintf("parser hangs on %q (state %d flags %#x)", data, state, flags))
			}
		}()
		cr := &countReader{r: bytes.NewReader(data)}
		var out bytes.Buffer
		w := NewWriter(&out)
		states := []string{"noauth", "auth", "selected"}
		s := &fakeSession{state: states[int(state)%3], w: w}
		opt := Options{Limits: fuzzLimits, Ext: Ext(flags) & ExtAll, LiteralMinus: flags&0x80 != 0,
			Gate: s.gate, KnownCharset: func(cs string) bool { return !strings.EqualFold(cs, "bogus") }}
		opt.Continue = func(r LiteralRequest) error {
			if r.Size > fuzzLimits.MaxMessageSize || (!r.Message && r.Size > fuzzLimits.MaxLiteral) {
				t.Fatalf("continuation for %+v beyond the limits", r)
			}
			if flags&0x40 != 0 && r.Size%2 == 1 {
				return &Error{Status: StatusNO, Text: "refused"}
			}
			return w.ContinueLiteral(r)
		}
		p := NewParser(cr, opt)
		s.p = p
		if flags&0x20 != 0 {
			p.Enable("QRESYNC", "UTF8=ACCEPT")
		}
		if flags&0x10 != 0 {
			p.Register("XFOO", func(a *Args) (any, error) {
				var items []string
				if _, err := a.NumSet(false); err != nil {
					return nil, err
				}
				if err := a.List(func() error {
					s, err := a.AString()
					items = append(items, s)
					return err
				}); err != nil {
					return nil, err
				}
				if a.More() {
					if _, _, err := a.NString(); err != nil {
						return nil, err
					}
				}
				return items, a.End()
			})
		}
		for i := 0; ; i++ {
			consumed := cr.n - p.br.Buffered()
			cmd, err := p.ReadCommand()
			if cap(p.tok) > int(fuzzLimits.MaxArgsSize)+1024 {
				t.Fatalf("token buffer grew to %d", cap(p.tok))
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Fatal() {
					return
				}
				w.WriteError(e)
			} else if !s.exec(t, cmd) {
				return
			}
			if after := cr.n - p.br.Buffered(); after <= consumed && p.back < 0 && !p.eatNext {
				t.Fatalf("no progress at command %d (%d bytes consumed)", i, after)
			}
		}
	})
}

// FuzzParseNumSet: any sequence set text; a parsed set written out parses
// to the same set.
func FuzzParseNumSet(f *testing.F) {
	for _, s := range []string{"1", "*", "1:*", "3:1", "1,2,3", "0", "0:*", "4294967296", "$", "1:2:3", ",", "1,"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, uid bool) {
		set, ok := ParseNumSet([]byte(s), uid, true)
		if !ok {
			return
		}
		out := numSetString(set)
		again, ok := ParseNumSet([]byte(out), uid, true)
		if out == "" {
			return // only zeros: an empty set
		}
		if !ok || numSetString(again) != out {
			t.Fatalf("%q -> %q -> %v", s, out, again)
		}
	})
}

// FuzzParseSearch: any search program (and sort criteria and dates).
func FuzzParseSearch(f *testing.F) {
	for _, pr := range loadProbes(f, "testdata/cyrus_answers.jsonl") {
		for _, prefix := range []string{"a1 SEARCH ", "a1 UID SEARCH ", "a1 SORT ", "a1 THREAD "} {
			if rest, ok := strings.CutPrefix(pr.Send, prefix); ok {
				f.Add(strings.TrimSuffix(rest, "\r\n"), uint8(0))
			}
		}
	}
	f.Fuzz(func(t *testing.T, prog string, which uint8) {
		cmds := []string{"SEARCH ", "UID SEARCH ", "SORT (DATE) UTF-8 ", "THREAD REFS UTF-8 ", "ESEARCH "}
		in := "a " + cmds[int(which)%len(cmds)] + prog + "\r\nb NOOP\r\n"
		p := NewParser(strings.NewReader(in), Options{Limits: fuzzLimits, Ext: ExtAll,
			Continue: func(LiteralRequest) error { return nil }})
		cmd, err := p.ReadCommand()
		if err != nil {
			return
		}
		var prog2 *SearchKey
		switch a := cmd.Args.(type) {
		case *Search:
			prog2 = a.Program
		case *Sort:
			prog2 = a.Program
		case *Thread:
			prog2 = a.Program
		}
		if prog2 == nil || prog2.Op != SearchAnd {
			t.Fatalf("no program: %#v", cmd.Args)
		}
		prog2.Criteria()
		checkDepth(t, prog2, 0)
	})
}

func checkDepth(t *testing.T, k *SearchKey, d int) {
	if d > fuzzLimits.MaxDepth+1 {
		t.Fatalf("search tree deeper than MaxDepth")
	}
	for _, c := range k.Keys {
		checkDepth(t, c, d+1)
	}
}

// FuzzParseDateTime: APPEND date-times never panic.
func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"01-Jan-2020 10:00:00 +0000", " 1-Feb-99 1:2 -0130", "Mon, 3 Mar 2003 04:05:06 EST", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ParseDateTime(s)
	})
}

// FuzzStringRoundTrip: what Writer.AString writes, the parser reads back.
func FuzzStringRoundTrip(f *testing.F) {
	for _, s := range []string{"", "NIL", "a b", "{1}", "\xff", "50%", strings.Repeat("x", 1030)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0) >= 0 || len(s) > 100000 {
			return
		}
		checkStringRoundTrip(t, s)
	})
}
