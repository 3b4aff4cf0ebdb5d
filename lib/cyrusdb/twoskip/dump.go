package twoskip

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"runtime/debug"
)

// Dump prints the records of the file in file order, in the format of
// Cyrus's cyr_dbtool dump (level 1: records; 2: also pointers of live
// records (same as 1 in Cyrus 3.6.1); 3: also values).
func (d *DB) Dump(w io.Writer, level int) (err error) {
	defer guard(&err, debug.SetPanicOnFault(true))
	if err := d.readLock(); err != nil {
		return err
	}
	defer d.unlock()
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	h := d.hdr
	fmt.Fprintf(bw, "HEADER: v=%d fl=%d num=%d sz=(%08X/%08X)\n",
		h.version, h.flags, h.numRecords, h.currentSize, h.repackSize)
	dash := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte{0}, []byte{'-'}) }
	off := uint64(dummyOffset)
	for off < h.currentSize {
		fmt.Fprintf(bw, "%08X ", off)
		if b, _ := d.bytesAt(off, 8); bytes.Equal(b, blank) {
			fmt.Fprintf(bw, "BLANK\n")
			off += 8
			continue
		}
		r, err := d.readRecord(off)
		if err != nil {
			if r.keyOff != 0 {
				fmt.Fprintf(bw, "ERROR [HEADCRC %08X %08X]\n", r.crcHead, crc(d.at(r.off)[:r.keyOff-8-r.off]))
			} else {
				fmt.Fprintf(bw, "ERROR\n")
			}
			return err
		}
		if d.checkTail(&r) != nil {
			fmt.Fprintf(bw, "ERROR [TAILCRC %08X %08X] ", r.crcTail,
				crc(d.at(r.keyOff)[:roundup8(r.keylen+r.vallen)]))
		}
		switch r.typ {
		case typeDelete:
			fmt.Fprintf(bw, "DELETE ptr=%08X\n", d.ptr(&r, 0))
		case typeCommit:
			fmt.Fprintf(bw, "COMMIT start=%08X\n", d.ptr(&r, 0))
		case typeRecord, typeDummy:
			name := "RECORD"
			if r.typ == typeDummy {
				name = "DUMMY"
			}
			fmt.Fprintf(bw, "%s kl=%d dl=%d lvl=%d (", name, r.keylen, r.vallen, r.level)
			bw.Write(dash(d.key(&r)))
			fmt.Fprintf(bw, ")\n\t")
			for i := 0; i <= int(r.level); i++ {
				fmt.Fprintf(bw, "%08X ", d.ptr(&r, i))
				if i%8 == 0 {
					fmt.Fprintf(bw, "\n\t")
				}
			}
			fmt.Fprintf(bw, "\n")
			if level > 2 {
				fmt.Fprintf(bw, "\tv=(")
				bw.Write(dash(d.val(&r)))
				fmt.Fprintf(bw, ")\n")
			}
		}
		off += r.length
	}
	return nil
}
