package mboxlist

import (
	"bytes"
	"crypto/rand"
	"sort"
)

func sortStrings(s []string) { sort.Strings(s) }

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// NewUniqueID returns a new mailbox uniqueid as the Debian build of Cyrus
// 3.6.1 makes them (makeuuid without libuuid): 24 characters from
// [0-9a-z], e.g. "gd8z3p5fky83qv0uijc3b5x3". Builds with libuuid write a
// lowercase UUID instead; Gyrus reads both. The characters come from
// crypto/rand without modulo bias.
func NewUniqueID() string {
	var out [24]byte
	var buf [64]byte
	n := 0
	for n < len(out) {
		if _, err := rand.Read(buf[:]); err != nil {
			panic("crypto/rand: " + err.Error())
		}
		for _, b := range buf {
			if b >= 252 { // 252 = 7*36: keep the distribution uniform
				continue
			}
			out[n] = idAlphabet[b%36]
			n++
			if n == len(out) {
				break
			}
		}
	}
	return string(out[:])
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
