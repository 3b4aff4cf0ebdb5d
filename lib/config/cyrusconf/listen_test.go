package cyrusconf

import "testing"

func TestParseListen(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Listen
		err  bool
	}{
		{in: "imap", want: Listen{Port: "imap"}},
		{in: "143", want: Listen{Port: "143"}},
		{in: "127.0.0.1:143", want: Listen{Host: "127.0.0.1", Port: "143"}},
		{in: "localhost:sieve", want: Listen{Host: "localhost", Port: "sieve"}},
		{in: "[::1]:143", want: Listen{Host: "::1", Port: "143"}},
		{in: "[2001:db8::10]:imaps", want: Listen{Host: "2001:db8::10", Port: "imaps"}},
		{in: "::1:143", want: Listen{Host: "::1", Port: "143"}}, // split at the last ':'
		{in: "/run/cyrus/socket/lmtp", want: Listen{Path: "/run/cyrus/socket/lmtp"}},
		{in: "", err: true},
		{in: "host:", err: true},
		{in: ":143", err: true},
		{in: "[::1]", err: true},
		{in: "[::1]:", err: true},
		{in: "[::1]x143", err: true},
		{in: "[::1:143", err: true},
		{in: "[]:143", err: true},
		{in: "/" + string(make([]byte, 107)), err: true},
	} {
		got, err := ParseListen(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseListen(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.err)
		}
		if err == nil && tc.in[0] != '[' && got.String() != tc.in && tc.in != "::1:143" {
			t.Errorf("String() = %q, want %q", got.String(), tc.in)
		}
	}
	if s := (Listen{Host: "::1", Port: "143"}).String(); s != "[::1]:143" {
		t.Errorf("String = %q", s)
	}
	if !(Listen{Path: "/x"}).Unix() || (Listen{Port: "1"}).Unix() {
		t.Error("Unix()")
	}
}
