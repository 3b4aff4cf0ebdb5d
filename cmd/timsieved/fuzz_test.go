package main

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzLexer checks the tokenizer on any input: it ends, no string grows
// past sieve_maxscriptsize, commands are only the known ones, and the
// bytes it consumes never exceed the input.
func FuzzLexer(f *testing.F) {
	for _, s := range []string{
		"PUTSCRIPT \"a\" {5+}\r\nkeep;\r\n", "NOOP \"a\\\"b\"\r\n", "{99999999999999999999999+}\r\n",
		"foo\r\r\n!!!\n", "HAVESPACE \"x\" 18446744073709551616\r\n", "\"\x80\"\r\n", "{3}\r\nabc",
	} {
		f.Add([]byte(s), uint16(1024))
	}
	f.Fuzz(func(t *testing.T, in []byte, max uint16) {
		m := int(max%4096) + 16
		l := newLexer(bufio.NewReaderSize(bytes.NewReader(in), 16), m, true)
		for i := 0; i <= len(in)+1; i++ {
			tok := l.next()
			switch tok.kind {
			case tokEOF:
				return
			case tokString:
				if len(tok.str) > m {
					t.Fatalf("string of %d bytes, limit %d", len(tok.str), m)
				}
			case tokCommand:
				if tok.cmd.String() == "" {
					t.Fatalf("unknown command %d", tok.cmd)
				}
			}
		}
		t.Fatalf("more tokens than input bytes for %q", in)
	})
}

// FuzzSession feeds any bytes to a session, before login or after it
// (the first byte chooses), and checks that it ends without a panic and
// that nothing it kept grew past sieve_maxscriptsize.
func FuzzSession(f *testing.F) {
	ts := newTestServer(f, map[string]string{"sieve_maxscriptsize": "2"})
	for _, s := range []string{
		"\x00CAPABILITY\r\nNOOP \"t\"\r\nLOGOUT\r\n",
		"\x01PUTSCRIPT \"a\" {5+}\r\nkeep;\r\nSETACTIVE \"a\"\r\nLISTSCRIPTS\r\nGETSCRIPT \"a\"\r\nRENAMESCRIPT \"a\" \"b\"\r\n",
		"\x01DELETESCRIPT \"b\"\r\nHAVESPACE \"a\" 99\r\nCHECKSCRIPT \"bad\"\r\nUNAUTHENTICATE\r\n",
		"\x00AUTHENTICATE \"LOGIN\"\r\n\"YWxpY2U=\"\r\n\"c2VjcmV0\"\r\n", "\x00AUTHENTICATE \"PLAIN\"\r\n{3+}\r\nabc\r\n",
		"\x01PUTSCRIPT \"big\" {3000+}\r\n", "\x00\"unterminated", "\x01SETACTIVE \"\"\r\nPUTSCRIPT \"a/b\" \"x\"\r\n",
	} {
		f.Add([]byte(s))
	}
	prefixes := []string{"", "AUTHENTICATE \"PLAIN\" \"" + alicePlain + "\"\r\n"}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		in := append([]byte(prefixes[int(data[0])%len(prefixes)]), data[1:]...)
		s, conn := ts.runSession(t, in)
		if cap(s.lex.buf) > ts.maxScriptSize {
			t.Errorf("token buffer grew to %d", cap(s.lex.buf))
		}
		if conn.out.Len() == 0 {
			t.Error("no answer at all")
		}
	})
}
