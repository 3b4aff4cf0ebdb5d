package deliver

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// firstField reads stored messages (outside input): it must not fail on
// any header, its value has no line break, and a value it returns is
// found again when written as the only field.
func FuzzFirstField(f *testing.F) {
	f.Add([]byte("Subject: x\r\nMessage-ID: <a@b>\r\n\r\nbody"))
	f.Add([]byte("Message-ID:\r\n <a@\r\n\tb>\r\n\r\n"))
	f.Add([]byte("message-id : <c@d>\n\n"))
	f.Add([]byte("X: a\r\n Message-ID: <e@f>\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, found, err := firstField(bufio.NewReader(bytes.NewReader(b)), "message-id")
		if err != nil {
			t.Fatalf("error on in-memory input: %v", err)
		}
		if strings.ContainsAny(v, "\n") {
			t.Fatalf("value %q has a line break", v)
		}
		if !found || strings.ContainsAny(v, "\r") {
			return
		}
		again, found2, _ := firstField(bufio.NewReader(strings.NewReader("Message-ID: "+v+"\r\n\r\n")), "message-id")
		if !found2 || again != v {
			t.Fatalf("value %q read back as %q (%v)", v, again, found2)
		}
	})
}
