// Package corpus checks lib/message against what real Cyrus 3.6.1 wrote
// for every message of the corpus (msgs/, made by gen.py; golden/, made
// by collect.py from a live cyrus-ref instance).
package corpus

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gyrus/lib/message"
)

// golden is one golden/*.json file.
type golden struct {
	Message       string                  `json:"message"`
	Delivery      string                  `json:"delivery"`
	Envelope      string                  `json:"envelope"`
	BodyStructure string                  `json:"bodystructure"`
	Body          string                  `json:"body"`
	Cache         string                  `json:"cache"`
	CacheCRC      uint32                  `json:"cache_crc"`
	CacheVersion  int                     `json:"cache_version"`
	InternalDate  uint32                  `json:"internaldate"`
	SentDate      uint32                  `json:"sentdate"`
	GMTime        uint32                  `json:"gmtime"`
	Size          uint32                  `json:"size"`
	HeaderSize    uint32                  `json:"header_size"`
	GUID          string                  `json:"guid"`
	Sections      map[string]*sectionInfo `json:"sections"`
	Binary        map[string]*sectionInfo `json:"binary"`
}

type sectionInfo struct {
	Len   int    `json:"len"`
	SHA1  string `json:"sha1"`
	Error string `json:"error"`
}

// knownDifferences lists, per message file and cache item, where Gyrus
// is known not to write what Cyrus writes, and why. Every entry must
// still differ (a fixed difference has to be removed from here).
var knownDifferences = map[string]map[string]string{}

var itemNames = [message.NumItems]string{"ENVELOPE", "BODYSTRUCTURE", "BODY", "SECTION",
	"HEADERS", "FROM", "TO", "CC", "BCC", "SUBJECT"}

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// splitEntry cuts a cache entry into its 10 items.
func splitEntry(e []byte) ([message.NumItems][]byte, error) {
	var items [message.NumItems][]byte
	p := 0
	for i := range items {
		if p+4 > len(e) {
			return items, fmt.Errorf("entry too short at item %d", i)
		}
		n := int(uint32(e[p])<<24 | uint32(e[p+1])<<16 | uint32(e[p+2])<<8 | uint32(e[p+3]))
		if p+4+n > len(e) {
			return items, fmt.Errorf("item %d overruns", i)
		}
		items[i] = e[p+4 : p+4+n]
		p += 4 + (n+3)&^3
	}
	if p != len(e) {
		return items, fmt.Errorf("%d trailing bytes", len(e)-p)
	}
	return items, nil
}

func loadCorpus(t *testing.T) []golden {
	t.Helper()
	files, err := filepath.Glob("golden/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 300 {
		t.Fatalf("only %d golden files (run collect.py)", len(files))
	}
	sort.Strings(files)
	var out []golden
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var g golden
		if err := json.Unmarshal(data, &g); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, g)
	}
	return out
}

// TestCorpusMatchesCyrus parses every corpus message and compares all
// ten cache items, the whole entry, the index record fields and the
// FETCH ENVELOPE/BODYSTRUCTURE/BODY answers with what Cyrus produced.
func TestCorpusMatchesCyrus(t *testing.T) {
	corpus := loadCorpus(t)
	matched := make([]int, message.NumItems)
	entries, total := 0, 0
	stillDiffer := map[string]bool{}
	for _, g := range corpus {
		total++
		raw, err := os.ReadFile(filepath.Join("msgs", g.Message))
		if err != nil {
			t.Fatal(err)
		}
		m, err := message.ParseBytes(raw, message.DefaultOptions())
		if err != nil {
			t.Errorf("%s: %v", g.Message, err)
			continue
		}
		want := b64(t, g.Cache)
		wantItems, err := splitEntry(want)
		if err != nil {
			t.Fatalf("%s: golden entry: %v", g.Message, err)
		}
		known := knownDifferences[g.Message]
		for i := range wantItems {
			name := itemNames[i]
			if bytes.Equal(m.Items[i], wantItems[i]) {
				matched[i]++
				if _, ok := known[name]; ok {
					t.Errorf("%s: %s now matches; remove it from knownDifferences", g.Message, name)
				}
				continue
			}
			if _, ok := known[name]; ok {
				stillDiffer[g.Message+" "+name] = true
				continue
			}
			t.Errorf("%s: %s differs\n got %q\nwant %q", g.Message, name, m.Items[i], wantItems[i])
		}
		if bytes.Equal(m.CacheEntry(), want) {
			entries++
			if m.CacheCRC() != g.CacheCRC {
				t.Errorf("%s: cache_crc %08x, Cyrus %08x", g.Message, m.CacheCRC(), g.CacheCRC)
			}
		}
		if g.CacheVersion != message.CacheVersion {
			t.Errorf("%s: cache_version %d", g.Message, g.CacheVersion)
		}
		// FETCH answers are served from these cache items.
		for _, c := range []struct {
			name string
			got  []byte
			want string
		}{{"FETCH ENVELOPE", m.Items[message.ItemEnvelope], g.Envelope},
			{"FETCH BODYSTRUCTURE", m.Items[message.ItemBodyStructure], g.BodyStructure},
			{"FETCH BODY", m.Items[message.ItemBody], g.Body}} {
			_, isKnown := known[strings.TrimPrefix(c.name, "FETCH ")]
			if !bytes.Equal(c.got, b64(t, c.want)) && !isKnown {
				t.Errorf("%s: %s differs from Cyrus's answer", g.Message, c.name)
			}
		}
		if hex.EncodeToString(m.GUID[:]) != g.GUID {
			t.Errorf("%s: GUID %x, Cyrus %s", g.Message, m.GUID, g.GUID)
		}
		if sd, gm := m.IndexDates(g.InternalDate); sd != g.SentDate || gm != g.GMTime {
			t.Errorf("%s: sentdate/gmtime %d/%d, Cyrus %d/%d", g.Message, sd, gm, g.SentDate, g.GMTime)
		}
		if m.Size != g.Size || m.HeaderSize != g.HeaderSize {
			t.Errorf("%s: size/header_size %d/%d, Cyrus %d/%d", g.Message, m.Size, m.HeaderSize, g.Size, g.HeaderSize)
		}
		checkSections(t, g, raw, wantItems)
	}
	for file, items := range knownDifferences {
		for item := range items {
			if !stillDiffer[file+" "+item] {
				t.Errorf("known difference %s %s not seen", file, item)
			}
		}
	}
	var sb strings.Builder
	for i, n := range matched {
		fmt.Fprintf(&sb, " %s %d/%d", itemNames[i], n, total)
	}
	t.Logf("identical to Cyrus:%s; whole entry %d/%d", sb.String(), entries, total)
}

// checkSections serves BODY[section] and BINARY[section] from Cyrus's
// own cache items through lib/message's section map reader, and compares
// with what Cyrus answered.
func checkSections(t *testing.T, g golden, raw []byte, items [message.NumItems][]byte) {
	t.Helper()
	tree, err := message.DecodeSectionMap(items[message.ItemBodyStructure], items[message.ItemSection], uint32(len(raw)))
	if err != nil {
		t.Errorf("%s: section map: %v", g.Message, err)
		return
	}
	for spec, want := range g.Sections {
		loc, ok := tree.Resolve(spec)
		var got *sectionInfo
		if ok {
			data, err := message.ReadSection(bytes.NewReader(raw), int64(len(raw)), loc)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha1.Sum(data)
			got = &sectionInfo{Len: len(data), SHA1: hex.EncodeToString(sum[:])}
		}
		if !sameSection(got, want) {
			t.Errorf("%s: BODY[%s] = %v, Cyrus %v", g.Message, spec, got, want)
		}
	}
	for spec, want := range g.Binary {
		loc, ok := tree.Resolve(spec)
		var got *sectionInfo
		if ok {
			data, decOK := message.DecodeBody(sliceOf(raw, loc), loc.Encoding)
			if !decOK || !loc.InFile(int64(len(raw))) {
				// Cyrus leaves the item out of the FETCH response.
				got = &sectionInfo{Error: "omitted"}
			} else {
				sum := sha1.Sum(data)
				got = &sectionInfo{Len: len(data), SHA1: hex.EncodeToString(sum[:])}
			}
		}
		if !sameSection(got, want) {
			t.Errorf("%s: BINARY[%s] = %v, Cyrus %v", g.Message, spec, got, want)
		}
	}
}

func sliceOf(raw []byte, loc message.Location) []byte {
	start := min(int64(loc.Offset), int64(len(raw)))
	end := min(start+int64(loc.Length), int64(len(raw)))
	return raw[start:end]
}

func sameSection(a, b *sectionInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Len == b.Len && a.SHA1 == b.SHA1 && a.Error == b.Error
}

func (s *sectionInfo) String() string {
	if s == nil {
		return "NIL"
	}
	if s.Error != "" {
		return "error " + s.Error
	}
	return fmt.Sprintf("%d bytes sha1 %s", s.Len, s.SHA1[:8])
}
