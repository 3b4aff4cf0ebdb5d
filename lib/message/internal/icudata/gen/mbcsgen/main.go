// Command mbcsgen writes mbcs.bin.gz: how ICU's two-byte converters (the
// Shift_JIS, GBK, Big5 and EUC-KR families) decode every byte pair, stored
// as the difference from the x/text decoder Gyrus uses for the same
// charset. Run by gen/gen.sh with the path of an icudump binary.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"unicode/utf16"

	"golang.org/x/text/encoding"

	"gyrus/lib/message/internal/icudata"
)

// converters lists the ICU converters covered (those the usual mail
// charset names reach: Shift_JIS, GBK and gb2312, EUC-CN, Big5,
// Big5-HKSCS, EUC-KR, ks_c_5601-1987) and the x/text decoder each is
// compared with.
var converters = []struct{ conv, xtext string }{
	{"ibm-943_P15A-2003", "sjis"},
	{"windows-936-2000", "gbk"},
	{"ibm-1383_P110-1999", "gbk"},
	{"windows-950-2000", "big5"},
	{"ibm-1375_P100-2008", "big5"},
	{"ibm-970_P110_P110-2006_U2", "euckr"},
	{"windows-949-2000", "euckr"},
}

type result struct {
	consumed int
	units    []uint16
}

func readResult(r io.Reader) (result, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return result{}, err
	}
	res := result{consumed: int(hdr[0]), units: make([]uint16, hdr[1])}
	for i := range res.units {
		var u [2]byte
		if _, err := io.ReadFull(r, u[:]); err != nil {
			return result{}, err
		}
		res.units[i] = binary.BigEndian.Uint16(u[:])
	}
	return res, nil
}

func eq(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func xtextPair(enc encoding.Encoding, b, t byte) []uint16 {
	dst := make([]byte, 32)
	n, nSrc, err := enc.NewDecoder().Transform(dst, []byte{b, t}, true)
	if err != nil || nSrc != 2 {
		return nil
	}
	return utf16.Encode([]rune(string(dst[:n])))
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mbcsgen ICUDUMP OUTPUT")
		os.Exit(64)
	}
	var out bytes.Buffer
	for _, c := range converters {
		raw, err := exec.Command(os.Args[1], "pairs", c.conv).Output()
		if err != nil {
			fmt.Fprintf(os.Stderr, "mbcsgen: icudump pairs %s: %v\n", c.conv, err)
			os.Exit(1)
		}
		enc := icudata.XText(c.xtext)
		r := bytes.NewReader(raw)
		var alone [256]result
		var pairs [256][256]result
		for b := 0; b < 256; b++ {
			if alone[b], err = readResult(r); err != nil {
				panic(err)
			}
			for t := 0; t < 256; t++ {
				if pairs[b][t], err = readResult(r); err != nil {
					panic(err)
				}
			}
		}
		out.WriteByte(byte(len(c.conv)))
		out.WriteString(c.conv)
		out.WriteByte(byte(len(c.xtext)))
		out.WriteString(c.xtext)
		var leads [32]byte
		var single [256]uint16
		for b := 0; b < 256; b++ {
			lead := false
			for t := 0; t < 256; t++ {
				if pairs[b][t].consumed == 2 {
					lead = true
				}
			}
			if lead {
				leads[b/8] |= 1 << (b % 8)
				continue
			}
			if len(alone[b].units) != 1 {
				panic(fmt.Sprintf("%s: byte %02x gives %d units", c.conv, b, len(alone[b].units)))
			}
			single[b] = alone[b].units[0]
			for t := 0; t < 256; t++ {
				if !eq(pairs[b][t].units, alone[b].units) {
					panic(fmt.Sprintf("%s: byte %02x depends on the next byte", c.conv, b))
				}
			}
		}
		for _, u := range single {
			binary.Write(&out, binary.BigEndian, u)
		}
		out.Write(leads[:])
		type exc struct {
			b, t  byte
			units []uint16
		}
		var excs []exc
		for b := 0; b < 256; b++ {
			if leads[b/8]&(1<<(b%8)) == 0 {
				continue
			}
			if len(alone[b].units) != 1 {
				panic(fmt.Sprintf("%s: lone lead %02x gives %d units", c.conv, b, len(alone[b].units)))
			}
			var errUnit uint16
			var valid [32]byte
			for t := 0; t < 256; t++ {
				p := pairs[b][t]
				if p.consumed == 1 {
					if len(p.units) != 1 || (errUnit != 0 && errUnit != p.units[0]) {
						panic(fmt.Sprintf("%s: lead %02x: irregular error for %02x", c.conv, b, t))
					}
					errUnit = p.units[0]
					continue
				}
				valid[t/8] |= 1 << (t % 8)
				if !eq(p.units, xtextPair(enc, byte(b), byte(t))) {
					excs = append(excs, exc{byte(b), byte(t), p.units})
				}
			}
			binary.Write(&out, binary.BigEndian, alone[b].units[0])
			binary.Write(&out, binary.BigEndian, errUnit)
			out.Write(valid[:])
		}
		binary.Write(&out, binary.BigEndian, uint32(len(excs)))
		for _, e := range excs {
			out.WriteByte(e.b)
			out.WriteByte(e.t)
			out.WriteByte(byte(len(e.units)))
			for _, u := range e.units {
				binary.Write(&out, binary.BigEndian, u)
			}
		}
		fmt.Fprintf(os.Stderr, "%s: %d exceptions to x/text %s\n", c.conv, len(excs), c.xtext)
	}
	f, err := os.Create(os.Args[2])
	if err != nil {
		panic(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	zw.Write(out.Bytes())
	if err := zw.Close(); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}
