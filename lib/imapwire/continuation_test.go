package imapwire

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestIdleDone(t *testing.T) {
	for in, want := range map[string]string{
		"a IDLE\r\nDONE\r\nb NOOP\r\n":             "",
		"a IDLE\r\ndone\nb NOOP\r\n":               "",
		"a IDLE\r\nDONE x\r\nb NOOP\r\n":           "imap: BAD Invalid Idle continuation",
		"a IDLE\r\nNOOP {3+}\r\nabc\r\nb NOOP\r\n": "imap: BAD Invalid Idle continuation",
	} {
		p := NewParser(strings.NewReader(in), Options{})
		if cmd, err := p.ReadCommand(); err != nil || cmd.Name != "IDLE" {
			t.Fatalf("%q: %v %v", in, cmd, err)
		}
		err := p.ReadIdleDone()
		if (err == nil && want != "") || (err != nil && err.Error() != want) {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
		var e *Error
		if errors.As(err, &e) && e.Tag != "a" {
			t.Errorf("%q: tag %q", in, e.Tag)
		}
		if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
			t.Errorf("%q: next %v %v", in, cmd, err)
		}
	}
	p := NewParser(strings.NewReader("a IDLE\r\nDO"), Options{})
	p.ReadCommand()
	if err := p.ReadIdleDone(); !errors.Is(err, io.EOF) {
		t.Errorf("connection closed during IDLE: %v", err)
	}
}

func TestSASLResponses(t *testing.T) {
	p := NewParser(strings.NewReader("a AUTHENTICATE PLAIN\r\nAGFsaWNlAHB3\r\n\r\n!!\r\n*\r\n"+strings.Repeat("A", 70000)+"\r\nb NOOP\r\n"),
		Options{})
	if _, err := p.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	if b, err := p.ReadSASLResponse(); err != nil || string(b) != "\x00alice\x00pw" {
		t.Fatalf("%q %v", b, err)
	}
	if b, err := p.ReadSASLResponse(); err != nil || len(b) != 0 {
		t.Fatalf("empty line: %q %v", b, err)
	}
	if _, err := p.ReadSASLResponse(); err != ErrBadBase64 {
		t.Fatalf("bad base64: %v", err)
	}
	if _, err := p.ReadSASLResponse(); err == nil || err.Error() != "imap: BAD Client canceled authentication" {
		t.Fatalf("cancel: %v", err)
	}
	if _, err := p.ReadSASLResponse(); err == nil || err.Error() != "imap: NO [TOOBIG] Line too long" {
		t.Fatalf("long line: %v", err)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Fatalf("next: %v %v", cmd, err)
	}
	if b, err := DecodeSASL("="); err != nil || len(b) != 0 {
		t.Errorf("DecodeSASL(=): %q %v", b, err)
	}
}

// TestReset hands over the bytes read ahead of a STARTTLS/COMPRESS.
func TestReset(t *testing.T) {
	p := NewParser(strings.NewReader("a COMPRESS DEFLATE\r\nCOMPRESSED"), Options{})
	if cmd, err := p.ReadCommand(); err != nil || cmd.Args.(*Compress).Algorithm != "DEFLATE" {
		t.Fatalf("%v %v", cmd, err)
	}
	if n := p.Buffered(); n != len("COMPRESSED") {
		t.Fatalf("buffered %d", n)
	}
	rest := p.Reset(strings.NewReader("b NOOP\r\n"))
	if string(rest) != "COMPRESSED" {
		t.Fatalf("rest %q", rest)
	}
	if cmd, err := p.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Fatalf("after Reset: %v %v", cmd, err)
	}
}

// TestGateAndExtensions: Gate sees every command (UID commands twice) and
// can refuse it; registered commands parse through Args.
func TestGateAndExtensions(t *testing.T) {
	var seen []string
	in := "a UID FETCH 1 FLAGS\r\nb XKILLMY Fetch\r\nc XFOO 1:3 (a \"b c\") NIL\r\nd XFOO x\r\ne XFOO 1 (a\r\nf XFOO\r\ng FOO\r\n"
	p := NewParser(strings.NewReader(in), Options{Gate: func(h Header) error {
		seen = append(seen, h.Name+map[bool]string{true: "/uid", false: ""}[h.UID]+map[bool]string{true: "", false: "?"}[h.Known])
		if h.Name == "XKILLMY" {
			return ErrUnrecognized()
		}
		return nil
	}})
	p.Register("xfoo", func(a *Args) (any, error) {
		set, err := a.NumSet(false)
		if err != nil {
			return nil, err
		}
		var items []string
		if err := a.List(func() error {
			s, err := a.AString()
			items = append(items, s)
			return err
		}); err != nil {
			return nil, err
		}
		s, ok, err := a.NString()
		if err != nil {
			return nil, err
		}
		return []any{set.String(), items, s, ok}, a.End()
	})
	var got []string
	for {
		cmd, err := p.ReadCommand()
		if err == io.EOF {
			break
		}
		if err != nil {
			got = append(got, err.Error())
			continue
		}
		got = append(got, cmd.Tag+":"+cmd.Name+":"+strings.TrimSpace(strings.Replace(fmtAny(cmd.Args), "\n", " ", -1)))
	}
	want := []string{
		"a:FETCH:&{1 FLAGS}",
		"imap: BAD Unrecognized command",
		"c:XFOO:[1:3 [a b c]  false]",
		"imap: BAD Invalid sequence in Xfoo",
		"imap: BAD Missing required argument to Xfoo",
		"imap: BAD Missing required argument to Xfoo",
		"imap: BAD Unrecognized command",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantSeen := "UID FETCH/uid XKILLMY? XFOO XFOO XFOO XFOO FOO?"
	if strings.Join(seen, " ") != wantSeen {
		t.Errorf("gate saw %q, want %q", strings.Join(seen, " "), wantSeen)
	}
}

func fmtAny(v any) string {
	switch a := v.(type) {
	case *Fetch:
		return "&{" + a.Set.String() + " FLAGS}"
	}
	return strings.TrimPrefix(strings.TrimSpace(fmtV(v)), "")
}

func fmtV(v any) string { return fmt.Sprint(v) }
