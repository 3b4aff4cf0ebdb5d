package proc

import (
	"strings"
	"testing"
)

// FuzzParseLine: whatever a proc file holds, parsing does not fail badly,
// and what Info.line writes reads back the same.
func FuzzParseLine(f *testing.F) {
	f.Add([]byte("imap\t[127.0.0.1]\talice\tuser.alice\tSelect\n"))
	f.Add([]byte("pop3\thost\n"))
	f.Add([]byte("\t\t\t\t\t\t\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, ok := parseLine(b)
		if !ok {
			return
		}
		if strings.ContainsAny(info.Service+info.Host+info.User+info.Mailbox, "\t\r\n") {
			t.Fatalf("field holds a separator: %+v", info)
		}
		back, ok := parseLine([]byte(info.line()))
		if !ok {
			t.Fatalf("line of %+v does not parse", info)
		}
		clean := strings.NewReplacer("\t", " ", "\x00", " ").Replace
		info.Command = clean(info.Command)
		info.Service, info.Host, info.User, info.Mailbox = clean(info.Service), clean(info.Host), clean(info.User), clean(info.Mailbox)
		if back != info {
			t.Fatalf("round trip %+v -> %+v", info, back)
		}
	})
}
