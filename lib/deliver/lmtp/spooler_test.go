package lmtp

import (
	"bufio"
	"bytes"
	"os"
	"testing"
)

// A message up to spoolMem is held in memory and staged at the end (its
// bytes returned for parsing); a bigger one is streamed to the file and
// not returned; both files hold exactly what was written, and an
// abandoned message leaves no file either way.
func TestSpooler(t *testing.T) {
	for _, size := range []int{0, 100, spoolMem, spoolMem + 1, 3*spoolMem + 12345} {
		for _, abandon := range []bool{false, true} {
			dir := t.TempDir()
			msg := bytes.Repeat([]byte("0123456789abcdef\r\n"), size/18+1)[:size]
			sp := &spooler{dir: dir}
			bw := bufio.NewWriterSize(sp, 65536)
			for i := 0; i < len(msg); i += 7000 {
				bw.Write(msg[i:min(i+7000, len(msg))])
			}
			if err := bw.Flush(); err != nil {
				t.Fatalf("size %d: flush: %v", size, err)
			}
			st, data, err := sp.finish(abandon)
			if abandon {
				if st != nil {
					st.Close()
					t.Errorf("size %d: abandoned message staged", size)
				}
				if ents, _ := os.ReadDir(dir); len(ents) != 0 {
					t.Errorf("size %d: abandoned message left %v", size, ents)
				}
				continue
			}
			if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			b, err := os.ReadFile(st.Path())
			if err != nil || !bytes.Equal(b, msg) || st.Size != int64(size) {
				t.Errorf("size %d: staged %d bytes (Size %d), equal %v, %v", size, len(b), st.Size, bytes.Equal(b, msg), err)
			}
			if inMem := size <= spoolMem; inMem != (data != nil) || (inMem && !bytes.Equal(data, msg)) {
				t.Errorf("size %d: bytes returned: %d (want them only up to %d)", size, len(data), spoolMem)
			}
			st.Close()
		}
	}
}
