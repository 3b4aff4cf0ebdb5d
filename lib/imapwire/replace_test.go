package imapwire

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// REPLACE (RFC 8508), the FETCH PARTIAL modifier (RFC 9394 3.2) and the
// MULTISEARCH correlator of ESEARCH (RFC 7377 2.1).

func TestReplaceParse(t *testing.T) {
	for _, tc := range []struct {
		ext  Ext
		in   string
		want string
	}{
		// RFC 8508 section 4 example's form: a sequence number, flags, a literal
		{ExtReplace, "a REPLACE 4 Drafts (\\Seen \\Draft) {3}\r\nabc\r\n", "+ go ahead\r\na OK Completed\r\n"},
		{ExtReplace, "a UID REPLACE 2000 Drafts {3+}\r\nabc\r\n", "a OK Completed\r\n"},
		{ExtReplace, "a REPLACE 4 Drafts CATENATE (TEXT {2+}\r\nhi)\r\n", "a OK Completed\r\n"},
		// one message only: MULTIAPPEND's second message is junk
		{ExtReplace, "a REPLACE 4 Drafts {1+}\r\nx {1+}\r\ny\r\n", "a BAD junk after literal\r\n"},
		{ExtReplace, "a REPLACE x Drafts {1+}\r\nx\r\n", "a BAD Invalid sequence in Replace\r\n"},
		{ExtReplace, "a REPLACE 4\r\n", "a BAD Missing required argument to Replace\r\n"},
		// without the extension the command is unknown, as in Cyrus 3.6.1
		{0, "a REPLACE 4 Drafts {1+}\r\nx\r\n", "a BAD Unrecognized command\r\n"},
		{0, "a UID REPLACE 4 Drafts {1+}\r\nx\r\n", "a BAD Unrecognized UID subcommand\r\n"},
	} {
		s := newFakeSession("selected", tc.in, Options{Ext: tc.ext})
		if got := s.run(t); got != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestReplaceArgs(t *testing.T) {
	p := NewParser(strings.NewReader("a UID REPLACE 2000 Drafts (\\Seen) {3+}\r\nabc\r\n"), Options{Ext: ExtReplace})
	cmd, err := p.ReadCommand()
	if err != nil {
		t.Fatal(err)
	}
	r, ok := cmd.Args.(*Replace)
	if !ok || !cmd.UID || cmd.Name != "REPLACE" || r.Num != 2000 || r.Append.Mailbox != "Drafts" {
		t.Fatalf("got %+v %+v", cmd, cmd.Args)
	}
	m, err := r.Append.Next()
	if err != nil || m.Literal == nil || len(m.Options.Flags) != 1 {
		t.Fatalf("message %+v, %v", m, err)
	}
	var b bytes.Buffer
	b.ReadFrom(m.Literal)
	if b.String() != "abc" {
		t.Fatalf("data %q", b.String())
	}
	if _, err := r.Append.Next(); err == nil {
		t.Fatal("a second message")
	}
}

func TestFetchPartialModifier(t *testing.T) {
	p := NewParser(strings.NewReader("a UID FETCH 1:* (FLAGS) (PARTIAL -1:-30)\r\nb FETCH 1:* FLAGS (PARTIAL 1:5)\r\n"), Options{Ext: ExtPartial})
	for _, want := range []PartialRange{{-1, -30}, {1, 5}} {
		cmd, err := p.ReadCommand()
		if err != nil {
			t.Fatal(err)
		}
		f := cmd.Args.(*Fetch)
		if f.Partial == nil || *f.Partial != want {
			t.Fatalf("partial %+v, want %+v", f.Partial, want)
		}
	}
	for _, in := range []string{
		"a FETCH 1:* FLAGS (PARTIAL 0:5)\r\n", "a FETCH 1:* FLAGS (PARTIAL -1:5)\r\n",
		"a FETCH 1:* FLAGS (PARTIAL)\r\n", "a FETCH 1:* FLAGS (PARTIAL 1:2 PARTIAL 1:2)\r\n",
	} {
		s := newFakeSession("selected", in, Options{Ext: ExtPartial})
		if got := s.run(t); !strings.HasPrefix(got, "a BAD ") {
			t.Errorf("%q: %q, want BAD", in, got)
		}
	}
	// without ExtPartial: Cyrus 3.6.1's answer
	s := newFakeSession("selected", "a FETCH 1 FLAGS (PARTIAL 1:5)\r\n", Options{})
	if got := s.run(t); !strings.HasPrefix(got, "a BAD Invalid Fetch modifier") {
		t.Errorf("without ExtPartial: %q", got)
	}
}

func TestESearchMailbox(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	n := uint32(3)
	w.ESearch(&ESearchData{Tag: "a1", Mailbox: "folder1", UIDValidity: 1, UID: true, Count: &n})
	w.ESearch(&ESearchData{Mailbox: "a b", UIDValidity: 7, UID: true})
	w.Flush()
	want := "* ESEARCH (TAG \"a1\" MAILBOX \"folder1\" UIDVALIDITY 1) UID COUNT 3\r\n" +
		"* ESEARCH (MAILBOX \"a b\" UIDVALIDITY 7) UID\r\n"
	if out.String() != want {
		t.Fatalf("got %q\nwant %q", out.String(), want)
	}
}

// FuzzParseReplace: any input after "REPLACE" or "UID REPLACE" with the
// extension on: the parser never panics or hangs, a command it accepts
// yields exactly one message.
func FuzzParseReplace(f *testing.F) {
	for _, s := range []string{
		"4 Drafts (\\Seen \\Draft) {3+}\r\nabc\r\n", "2000 Drafts {3}\r\nabc\r\n",
		"1 INBOX CATENATE (TEXT {2+}\r\nhi URL \"/INBOX;UID=1\")\r\n",
		"1 INBOX UTF8 (~{1+}\r\nx)\r\n", "1 INBOX {1+}\r\nx {1+}\r\ny\r\n", "x y z\r\n",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, rest string, uid bool) {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				panic("parser hangs")
			}
		}()
		in := "a REPLACE " + rest
		if uid {
			in = "a UID REPLACE " + rest
		}
		var out bytes.Buffer
		w := NewWriter(&out)
		p := NewParser(strings.NewReader(in), Options{Limits: fuzzLimits, Ext: ExtReplace | ExtUTF8, Continue: w.ContinueLiteral})
		p.Enable("UTF8=ACCEPT")
		for i := 0; i < 50; i++ {
			cmd, err := p.ReadCommand()
			if err != nil {
				if e, ok := err.(*Error); ok && !e.Fatal() {
					continue
				}
				return
			}
			r, ok := cmd.Args.(*Replace)
			if !ok {
				continue
			}
			n := 0
			for {
				m, err := r.Append.Next()
				if err != nil {
					break
				}
				n++
				if n > 1 {
					t.Fatalf("%d messages from one REPLACE: %q", n, in)
				}
				if m.Literal != nil {
					m.Literal.WriteTo(&bytes.Buffer{})
				}
			}
		}
	})
}

func TestUIDFetchWriter(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	w.UIDFetch(25996).Flags([]imap.Flag{imap.FlagSeen}).End()
	w.Flush()
	if want := "* 25996 UIDFETCH (FLAGS (\\Seen))\r\n"; out.String() != want {
		t.Fatalf("got %q want %q", out.String(), want)
	}
}
