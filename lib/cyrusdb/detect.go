package cyrusdb

import (
	"bytes"
	"io"
	"os"

	"gyrus/lib/fileio"
)

// Magic prefixes of the formats that have one (formats.md §10.1).
var (
	MagicTwoskip  = []byte("\xa1\x02\x8b\x0dtwoskip file\x00\x00\x00\x00")
	MagicSkiplist = []byte("\xa1\x02\x8b\x0dskiplist file\x00\x00\x00")
)

// Detect names the backend of an existing file from its first bytes, as
// Cyrus's cyrusdb_detect does: it needs 32 readable bytes and compares the
// first 16 with the twoskip and skiplist magic. It returns "" when the
// format cannot be told (flat and quotalegacy have no magic) and an error
// only when the file cannot be read.
func Detect(path string) (string, error) {
	f, err := fileio.Open(path, os.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var buf [32]byte
	if _, err := io.ReadFull(f, buf[:]); err != nil {
		return "", nil
	}
	return DetectBytes(buf[:]), nil
}

// DetectBytes is Detect on the first bytes of a file.
func DetectBytes(b []byte) string {
	if len(b) < 32 {
		return ""
	}
	switch {
	case bytes.Equal(b[:16], MagicSkiplist[:16]):
		return "skiplist"
	case bytes.Equal(b[:16], MagicTwoskip[:16]):
		return "twoskip"
	}
	return ""
}
