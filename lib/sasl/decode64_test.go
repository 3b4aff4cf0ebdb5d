package sasl

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// libsasl's decoder, as seen through Cyrus's AUTH answers.
func TestDecode64(t *testing.T) {
	for _, c := range []struct {
		in  string
		out string
		st  DecodeStatus
	}{
		{"", "", DecodeOK},
		{"AGFsaWNlAGFsaWNlcHc=", "\x00alice\x00alicepw", DecodeOK},
		{"YQ==", "a", DecodeOK},
		{"YWI=", "ab", DecodeOK},
		{"AGFsaWNlAGFsaWNlcH", "", DecodeIncomplete},
		{"YQ==YQ==", "", DecodeBad},
		{"YQ=x", "", DecodeBad},
		{"Y===", "", DecodeBad},
		{"!!!!", "", DecodeBad},
		{"YQ==x", "", DecodeBad},
		{"\rabc", "", DecodeFail},
		{" YQ==", "", DecodeBad},
	} {
		out, st := Decode64(c.in)
		if st != c.st || (st == DecodeOK && string(out) != c.out) {
			t.Errorf("%q: %q %v, want %q %v", c.in, out, st, c.out, c.st)
		}
	}
}

func FuzzDecode64(f *testing.F) {
	for _, s := range []string{"", "YQ==", "AGFsaWNlAGFsaWNlcHc=", "AGF=ZXJy", "\rabc", "!!!!", "YWJj"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, st := Decode64(s)
		if strings.ContainsAny(s, "\r\n") {
			return // Go's decoder skips line ends; libsasl's does not
		}
		std, err := base64.StdEncoding.DecodeString(s)
		if st == DecodeOK && (err != nil || !bytes.Equal(out, std)) {
			t.Errorf("%q: decoded %q, encoding/base64 says %q %v", s, out, std, err)
		}
		if err == nil && st != DecodeOK {
			t.Errorf("%q: valid base64 (%q) refused: %v", s, std, st)
		}
	})
}
