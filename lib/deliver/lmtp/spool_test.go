package lmtp

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"gyrus/lib/deliver"
)

// spool runs the DATA part of savemsg on wire bytes: the header fields
// read, the body copied, everything written returned.
func spool(wire string, reject8bit, munge8bit bool) (out string, hs []deliver.Header, code deliver.Code, bad, complete bool) {
	var b bytes.Buffer
	bw := bufio.NewWriter(&b)
	cw := &countWriter{w: bw, limit: 1 << 40}
	r := newReader(nil, strings.NewReader(wire), nil, 0)
	hp := &headerParser{r: r, w: cw, reject8bit: reject8bit, munge8bit: munge8bit, skip: []string{"Return-Path"}}
	for {
		h, done, c, bd := hp.parseHeader()
		if done {
			code, bad = c, bd
			break
		}
		hs = append(hs, h)
	}
	c2, b2, ok, _ := copyBody(r, cw)
	if b2 {
		if bad {
			code = code.Or(c2)
		} else {
			code, bad = c2, true
		}
	}
	bw.Flush()
	return b.String(), hs, code, bad, ok
}

func TestSpool(t *testing.T) {
	for _, tc := range []struct {
		name, wire, want string
		code             deliver.Code
		bad              bool
	}{
		{"plain", "Subject: x\r\n\r\nbody\r\n.\r\n", "Subject: x\r\n\r\nbody\r\n", 0, false},
		{"bare LF", "Subject: x\n\nbody\n.\n", "Subject: x\r\n\r\nbody\r\n", 0, false},
		{"dot-stuffing", "S: x\r\n\r\n..a\r\n.b\r\n...\r\n.\r\n", "S: x\r\n\r\n.a\r\nb\r\n..\r\n", 0, false},
		{"folding kept", "S: a\r\n b\r\n\tc\r\n\r\nx\r\n.\r\n", "S: a\r\n b\r\n\tc\r\n\r\nx\r\n", 0, false},
		{"Return-Path dropped", "Return-Path: <a>\r\n  <b>\r\nS: x\r\n\r\nb\r\n.\r\n", "S: x\r\n\r\nb\r\n", 0, false},
		{"8-bit munged", "S: caf\xe9\r\n\r\nb\xe9\r\n.\r\n", "S: cafX\r\n\r\nb\xe9\r\n", 0, false},
		{"lone CR in body removed", "S: x\r\n\r\na\rb\r\n.\r\n", "S: x\r\n\r\nab\r\n", 0, false},
		{"bare CR ends a field", "S: a\rT: b\r\n\r\nx\r\n.\r\n", "S: a\r\nT: b\r\n\r\nx\r\n", 0, false},
		{"header only", "S: x\r\n.\r\n", "S: x\r\n", 0, false},
		{"empty", ".\r\n", "", 0, false},
		{"NUL in body", "S: x\r\n\r\na\x00b\r\nc\r\n.\r\n", "S: x\r\n\r\nc\r\n", deliver.CodeMessageContainsNUL, true},
		{"bad field name", "Bad Header: x\r\n\r\nb\r\n.\r\n", "Bad Header: x\r\n\r\nb\r\n", deliver.CodeMessageBadHeader, true},
		{"bad field and NUL: OR of the codes", "Bad Header: x\r\n\r\nb\x00\r\n.\r\n", "Bad Header: x\r\n\r\n", deliver.CodeMessageNoBlankLine, true},
	} {
		out, _, code, bad, ok := spool(tc.wire, false, true)
		if out != tc.want || code != tc.code || bad != tc.bad || !ok {
			t.Errorf("%s: got %q %v %v %v, want %q %v %v", tc.name, out, code, bad, ok, tc.want, tc.code, tc.bad)
		}
	}
	if _, _, code, bad, _ := spool("S: caf\xe9\r\n\r\nb\r\n.\r\n", true, true); !bad || code != deliver.CodeMessageContains8bit {
		t.Errorf("reject8bit: %v %v", code, bad)
	}
	if _, _, _, _, ok := spool("S: x\r\n\r\nbody", false, true); ok {
		t.Error("a message without its final dot was complete")
	}
	// a line longer than a piece: a dot at the start of the second
	// piece is not the start of a line for the client, but Cyrus reads
	// it as one (and so do we)
	long := strings.Repeat("a", 8189)
	out, _, _, _, _ := spool("S: x\r\n\r\n"+long+".b\r\n.\r\n", false, true)
	if out != "S: x\r\n\r\n"+long+"b\r\n" {
		t.Errorf("long line: %q", out[len(out)-10:])
	}
}

func FuzzSpool(f *testing.F) {
	for _, s := range []string{"Subject: x\r\n\r\nbody\r\n.\r\n", "a\n.\n", "B H: x\r\n\r\n\x00\r\n.\r\n", ".\r\n", "S:\r\n \r\n\r\n..\r\n.\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, wire string) {
		out, hs, _, bad, ok := spool(wire, false, true)
		if ok && !bad && strings.IndexByte(out, 0) >= 0 {
			t.Fatalf("accepted message with a NUL: %q -> %q", wire, out)
		}
		for _, h := range hs {
			if h.Name == "" || strings.ContainsAny(h.Name, " \t:\r\n") {
				t.Fatalf("bad field name %q from %q", h.Name, wire)
			}
		}
	})
}
