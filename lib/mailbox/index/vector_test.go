package index

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"os"
	"strings"
	"testing"
)

// unxxd turns an `xxd` dump (as in formats-test-vectors.md) back into bytes.
func unxxd(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		colon := strings.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		hexpart := line[colon+1:]
		// the hex area is 8 groups of 4 digits; the ASCII column follows two spaces
		if i := strings.Index(hexpart, "  "); i >= 0 {
			hexpart = hexpart[:i]
		}
		b, err := hex.DecodeString(strings.ReplaceAll(hexpart, " ", ""))
		if err != nil {
			t.Fatalf("%s: %q: %v", path, line, err)
		}
		out = append(out, b...)
	}
	return out
}

func TestVectorMessageGUID(t *testing.T) {
	msg := unxxd(t, "testdata/message1.xxd")
	if len(msg) != 142 {
		t.Fatalf("message is %d bytes", len(msg))
	}
	sum := sha1.Sum(msg)
	if hex.EncodeToString(sum[:]) != "97e5ea9cf8cbb9386e1e0f3f6e0766dbdc5f9ecf" {
		t.Fatalf("sha1 %x", sum)
	}
}

func TestVectorMailboxHeader(t *testing.T) {
	want := unxxd(t, "testdata/cyrus.header.xxd")
	h, err := ParseMailboxHeader(want)
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != "e" || h.Name != "user.alice" || h.UniqueID != "0f8e2d4c-1b2a-4c3d-9e8f-112233445566" ||
		h.HasQuotaRoot || !h.HasACL || h.ACL != "alice\tlrswipkxtecdan\tanyone\tlrs\t" {
		t.Fatalf("parsed %+v", h)
	}
	got := h.Marshal()
	if !bytes.Equal(got, want) {
		t.Fatalf("marshal:\n%q\nwant\n%q", got, want)
	}
	if FileCRC(got) != 0xb15206bd {
		t.Fatalf("file crc %08x", FileCRC(got))
	}
	// the same header built from scratch
	h2 := &MailboxHeader{Type: "e", Name: "user.alice", UniqueID: "0f8e2d4c-1b2a-4c3d-9e8f-112233445566",
		ACL: "alice\tlrswipkxtecdan\tanyone\tlrs\t", HasACL: true}
	if !bytes.Equal(h2.Marshal(), want) {
		t.Fatalf("built header differs: %q", h2.Marshal())
	}
}

func TestMailboxHeaderFlagsAndQuota(t *testing.T) {
	h := &MailboxHeader{Type: "e", Name: "user.alice", UniqueID: "u1", QuotaRoot: "user.alice", HasQuotaRoot: true,
		ACL: "alice\tlrswipkxtecdan\t", HasACL: true}
	h.Flags[0] = "$Forwarded"
	h.Flags[2] = "Junk"
	want := HeaderMagic + "%(T e N user.alice I u1 Q user.alice A %(alice lrswipkxtecdan) U ($Forwarded NIL Junk))\n"
	if got := string(h.Marshal()); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	back, err := ParseMailboxHeader([]byte(want))
	if err != nil {
		t.Fatal(err)
	}
	if back.Flags[0] != "$Forwarded" || back.Flags[1] != "" || back.Flags[2] != "Junk" || back.QuotaRoot != "user.alice" {
		t.Fatalf("%+v", back)
	}
	if back.UserFlag("junk") != 2 || back.UserFlag("nope") != -1 {
		t.Fatal("UserFlag lookup")
	}
}

func TestMailboxHeaderOldText(t *testing.T) {
	data := HeaderMagic + "user.bob\t4f3c0a5e7d2b1c9a\n$Label1 Junk\nbob\tlrswipkxtecda\tanyone\tlrs\t\n"
	h, err := ParseMailboxHeader([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if h.QuotaRoot != "user.bob" || h.UniqueID != "4f3c0a5e7d2b1c9a" || h.Flags[0] != "$Label1" || h.Flags[1] != "Junk" ||
		h.ACL != "bob\tlrswipkxtecda\tanyone\tlrs\t" {
		t.Fatalf("%+v", h)
	}
	if _, err := ParseMailboxHeader([]byte(HeaderMagic + "x\t\n")); err == nil {
		t.Fatal("truncated old header accepted")
	}
}

func TestVectorIndex(t *testing.T) {
	want := unxxd(t, "testdata/cyrus.index.xxd")
	if len(want) != 272 {
		t.Fatalf("index is %d bytes", len(want))
	}
	h, err := ParseHeader(want)
	if err != nil {
		t.Fatal(err)
	}
	wantH := Header{
		MinorVersion: 17, StartOffset: 160, RecordSize: 112, NumRecords: 1, LastUID: 1,
		QuotaMailboxUsed: 142, UIDValidity: 1795776677, Options: 1, HighestModSeq: 2,
		Exists: 1, HeaderFileCRC: 0xb15206bd, SyncCRCBasic: 3758617968, SyncCRCAnnot: 3281015435,
		Unseen: 1, CreatedModSeq: 1, ChangesEpoch: 1795776676,
	}
	if h != wantH {
		t.Fatalf("header\n%+v\nwant\n%+v", h, wantH)
	}
	if got := h.Bytes(); !bytes.Equal(got, want[:160]) {
		t.Fatalf("header marshal differs:\n%x\n%x", got, want[:160])
	}
	r, err := ParseRecord(want[160:], 1, 160)
	if err != nil {
		t.Fatal(err)
	}
	guid, _ := hex.DecodeString("97e5ea9cf8cbb9386e1e0f3f6e0766dbdc5f9ecf")
	wantR := Record{UID: 1, InternalDate: 1700000000, SentDate: 1699920000, Size: 142, HeaderSize: 135,
		GMTime: 1700000000, CacheOffset: 4, LastUpdated: 1795776681, SaveDate: 1795776681,
		CacheVersion: 11, ModSeq: 2, CreatedModSeq: 2, CacheCRC: 0x375468aa}
	copy(wantR.GUID[:], guid)
	if r != wantR {
		t.Fatalf("record\n%+v\nwant\n%+v", r, wantR)
	}
	if got := r.Bytes(); !bytes.Equal(got, want[160:]) {
		t.Fatalf("record marshal differs:\n%x\n%x", got, want[160:])
	}
	// sync CRCs of the header are what the record gives (formats §6.5)
	var names [MaxUserFlags]string
	if got := CRCInitBasic ^ CRCBasic(&r, &names); got != h.SyncCRCBasic {
		t.Fatalf("crc basic %d want %d", got, h.SyncCRCBasic)
	}
	if got := CRCInitAnnot ^ CRCVirtAnnot(&r); got != h.SyncCRCAnnot {
		t.Fatalf("crc annot %d want %d", got, h.SyncCRCAnnot)
	}
}

func TestVectorCache(t *testing.T) {
	file := unxxd(t, "testdata/cyrus.cache.xxd")
	if len(file) != 552 {
		t.Fatalf("cache is %d bytes", len(file))
	}
	gen, err := CacheGeneration(file)
	if err != nil || gen != 0 {
		t.Fatalf("generation %d %v", gen, err)
	}
	e, err := ParseCacheEntry(file[4:], 4, 0x375468aa)
	if err != nil {
		t.Fatal(err)
	}
	if e.Len != 548 {
		t.Fatalf("entry len %d", e.Len)
	}
	wantItems := map[int]string{
		CacheEnvelope:      `("Tue, 14 Nov 2023 22:13:20 +0000" "Hi" (("Bob" NIL "bob" "example.com")) (("Bob" NIL "bob" "example.com")) (("Bob" NIL "bob" "example.com")) ((NIL NIL "alice" "example.com")) NIL NIL NIL "<1@example.com>")`,
		CacheBodyStructure: `("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 7 1 NIL NIL NIL NIL)`,
		CacheBody:          `("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 7 1)`,
		CacheHeaders:       ``,
		CacheFrom:          `Bob <bob@example.com>`,
		CacheTo:            `<alice@example.com>`,
		CacheCc:            ``,
		CacheBcc:           ``,
		CacheSubject:       `"Hi"`,
	}
	for i, w := range wantItems {
		if string(e.Items[i]) != w {
			t.Errorf("item %s = %q want %q", CacheItemNames[i], e.Items[i], w)
		}
	}
	if len(e.Items[CacheSection]) != 116 {
		t.Errorf("section len %d", len(e.Items[CacheSection]))
	}
	var items [NumCacheItems][]byte
	for i := range items {
		items[i] = append([]byte(nil), e.Items[i]...)
	}
	enc := EncodeCacheEntry(items)
	if !bytes.Equal(enc, file[4:]) {
		t.Fatalf("encode differs")
	}
	if CacheCRC(enc) != 0x375468aa {
		t.Fatalf("cache crc %08x", CacheCRC(enc))
	}
	// a wrong CRC is an error naming the cache file and offset
	_, err = ParseCacheEntry(file[4:], 4, 0x12345678)
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.File != CacheFile || ce.Offset != 4 || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("bad crc error: %v", err)
	}
}

func TestRecordCRCMismatch(t *testing.T) {
	idx := unxxd(t, "testdata/cyrus.index.xxd")
	rec := append([]byte(nil), idx[160:]...)
	rec[32] ^= 0x02 // flip \Flagged without fixing the CRC
	_, err := ParseRecord(rec, 1, 160)
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Record != 1 || ce.UID != 1 || ce.Offset != 160 {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "cyrus.index record 1 (uid 1) at offset 160") {
		t.Fatalf("message: %v", err)
	}
	hdr := append([]byte(nil), idx[:160]...)
	hdr[84] = 9
	if _, err := ParseHeader(hdr); err == nil || !strings.Contains(err.Error(), "header CRC mismatch") {
		t.Fatalf("header crc: %v", err)
	}
}

func TestCacheOffsetSplit(t *testing.T) {
	r := Record{UID: 7, CacheOffset: 0x1234_5678_9abc, CacheVersion: 11}
	b := r.Bytes()
	if be.Uint32(b[24:]) != 0x56789abc || be.Uint32(b[56:]) != 0x1234000b {
		t.Fatalf("split %x %x", be.Uint32(b[24:]), be.Uint32(b[56:]))
	}
	back, err := ParseRecord(b, 1, 0)
	if err != nil || back.CacheOffset != r.CacheOffset || back.CacheVersion != 11 {
		t.Fatalf("%+v %v", back, err)
	}
}

func TestCRCBasicUserFlags(t *testing.T) {
	var names [MaxUserFlags]string
	names[3] = "FoO"
	r := Record{UID: 5, ModSeq: 9, LastUpdated: 100, InternalDate: 50, SystemFlags: FlagSeen | FlagDeleted}
	r.SetUserFlag(3, true)
	flagcrc := crc32.ChecksumIEEE([]byte(`\deleted`)) ^ crc32.ChecksumIEEE([]byte(`\seen`)) ^ crc32.ChecksumIEEE([]byte("foo"))
	s := "5 9 100 (" + itoa(uint64(flagcrc)) + ") 50 " + strings.Repeat("00", 20)
	if CRCBasic(&r, &names) != crc32.ChecksumIEEE([]byte(s)) {
		t.Fatal("flag crc")
	}
	r.InternalFlags = InternalExpunged
	if CRCBasic(&r, &names) != 0 || CRCVirtAnnot(&r) != 0 {
		t.Fatal("expunged records contribute nothing")
	}
}

func TestAnnotationValue(t *testing.T) {
	v := EncodeAnnotationValue([]byte("hello"), 42, 0)
	want := []byte{0, 0, 0, 5, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o', 0}
	want = append(want, "text/plain\x00"...)
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 42, 0)
	if !bytes.Equal(v, want) {
		t.Fatalf("%x\n%x", v, want)
	}
	back, err := ParseAnnotationValue(v)
	if err != nil || string(back.Value) != "hello" || back.ModSeq != 42 || back.Deleted {
		t.Fatalf("%+v %v", back, err)
	}
	tomb, _ := ParseAnnotationValue(EncodeAnnotationValue(nil, 7, AnnotDeleted))
	if !tomb.Deleted || tomb.ModSeq != 7 {
		t.Fatalf("%+v", tomb)
	}
	k := AnnotationKey(12, "/comment", OwnerToken)
	uid, e, u, err := ParseAnnotationKey(k)
	if err != nil || uid != 12 || e != "/comment" || u != OwnerToken || string(k) != "12\x00/comment\x00[.OwNeR.]\x00" {
		t.Fatalf("%q %d %q %q %v", k, uid, e, u, err)
	}
}

func TestVectorSection(t *testing.T) {
	file := unxxd(t, "testdata/cyrus.cache.xxd")
	e, err := ParseCacheEntry(file[4:], 4, 0x375468aa)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSection(e.Items[CacheSection])
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Parts) != 2 {
		t.Fatalf("%d parts", len(s.Parts))
	}
	whole, body := s.Parts[0], s.Parts[1]
	if whole.HeaderOffset != 0 || whole.HeaderSize != 135 || whole.ContentOffset != 135 || whole.ContentSize != 7 ||
		whole.HasCharset || whole.DecodedSize != 7 || whole.Lines != 1 {
		t.Fatalf("part 0 %+v", whole)
	}
	if !body.HasCharset || body.Charset != "us-ascii" || body.Encoding != 0 || body.ContentSize != 7 ||
		hex.EncodeToString(body.ContentGUID[:]) != "fedd18797811a4af659678ea5db618f8dc91480b" ||
		body.Sub == nil || len(body.Sub.Parts) != 0 {
		t.Fatalf("part 1 %+v", body)
	}
}
