package corpus

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gyrus/lib/message"
)

// The differential test runs real Cyrus 3.6.1's parser (the Debian
// libcyrus_imap that imapd links, through cyrusdump/cyrusdump.c) and
// lib/message on the same mutated messages and wants identical cache
// entries. GYRUS_DIFF_N sets the number of messages (default 3000).

const libDir = "/usr/lib/x86_64-linux-gnu"

// configVariant is an imapd.conf setting that changes parsing, with the
// lib/message Options that say the same.
type configVariant struct {
	name string
	conf string
	opts message.Options
}

var configVariants = []configVariant{
	{"default", "", message.DefaultOptions()},
	{"small-limits", "maxheaderlines: 7\nboundary_limit: 3\n",
		message.Options{MaxHeaderLines: 7, BoundaryLimit: 3}},
	{"strict-utf8", "rfc2046_strict: yes\nrfc2047_utf8: yes\nmaxheaderlines: 0\nboundary_limit: 0\n",
		message.Options{RFC2046Strict: true, RFC2047UTF8: true}},
}

// buildCyrusDump compiles cyrusdump, or skips the test when the C
// compiler or the Cyrus libraries are missing.
func buildCyrusDump(t *testing.T) (bin, conf string) {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler: cannot build cyrusdump")
	}
	libs := []string{"libcyrus_imap.so.0", "libcyrus_sieve.so.0", "libcyrus.so.0", "libcyrus_min.so.0"}
	args := []string{"-o", "", "cyrusdump/cyrusdump.c"}
	for _, l := range libs {
		p := filepath.Join(libDir, l)
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s missing (cyrus-common not installed; shared/oracle/cyrus-ref install)", p)
		}
		args = append(args, p)
	}
	dir := worldReadableTempDir(t)
	bin = filepath.Join(dir, "cyrusdump")
	args[1] = bin
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Skipf("cannot build cyrusdump: %v\n%s", err, out)
	}
	// The library must be able to start here (cyrus_init switches to
	// the cyrus user when run as root, and refuses some others).
	probe := filepath.Join(dir, "probe.eml")
	os.WriteFile(probe, []byte("Subject: probe\r\n\r\nx\r\n"), 0o644)
	conf = writeConf(t, dir, configVariants[0])
	if out, err := exec.Command(bin, conf, probe).CombinedOutput(); err != nil {
		t.Skipf("cyrusdump cannot run here: %v\n%s", err, out)
	}
	return bin, dir
}

// writeConf writes an imapd.conf for a variant in dir.
func writeConf(t *testing.T, dir string, v configVariant) string {
	t.Helper()
	conf := filepath.Join(dir, "imapd-"+v.name+".conf")
	cfg := fmt.Sprintf("configdirectory: %s\npartition-default: %s\n%s", dir, dir, v.conf)
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}

// worldReadableTempDir: Cyrus's library switches to the cyrus user when
// run as root, so the files it reads must be readable by others.
func worldReadableTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type dumpResult struct {
	sentdate, gmtime int64
	size, hdrSize    uint32
	guid             string
	crc              uint32
	entry            []byte
}

// runCyrusDump returns Cyrus's results per file.
func runCyrusDump(t *testing.T, bin, conf string, files []string) map[string]dumpResult {
	t.Helper()
	out := map[string]dumpResult{}
	for start := 0; start < len(files); start += 500 {
		chunk := files[start:min(start+500, len(files))]
		cmd := exec.Command(bin, append([]string{conf}, chunk...)...)
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		if err := cmd.Run(); err != nil {
			t.Fatalf("cyrusdump: %v", err)
		}
		sc := bufio.NewScanner(&stdout)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			f := strings.Split(sc.Text(), "\t")
			if len(f) < 8 {
				continue
			}
			var r dumpResult
			r.sentdate, _ = strconv.ParseInt(f[1], 10, 64)
			r.gmtime, _ = strconv.ParseInt(f[2], 10, 64)
			n, _ := strconv.ParseUint(f[3], 10, 32)
			r.size = uint32(n)
			n, _ = strconv.ParseUint(f[4], 10, 32)
			r.hdrSize = uint32(n)
			r.guid = f[5]
			n, _ = strconv.ParseUint(f[6], 10, 32)
			r.crc = uint32(n)
			r.entry, _ = hex.DecodeString(f[7])
			out[f[0]] = r
		}
	}
	return out
}

// tokens are the fragments the mutator splices in: the bytes the MIME
// parser treats specially.
var tokens = []string{
	"\r\n", "\r\n ", "\r\n\t", "\n", "\r", ";", "=", "\"", "(", ")", "\\", "--", "-",
	"=?utf-8?q?", "=?iso-8859-1?b?", "=?koi8-r?Q?", "=?x-bad?q?", "?=", "?", "_",
	"*0", "*1", "*0*", "*1*", "'", "%", "%C3%A9", "@", "<", ">", ",", ":", ".",
	"\x00", "\xff", "\xc3\xa9", "\xe6\x97\xa5", " ", "\t", "boundary=", "charset=",
	"name*=utf-8''", "Content-Type: multipart/mixed; boundary=x\r\n",
	"Content-Type: message/rfc822\r\n", "Content-Transfer-Encoding: base64\r\n",
	"Content-Transfer-Encoding: quoted-printable\r\n", "--x\r\n", "--x--\r\n",
	"\r\n\r\n", "text/plain", "multipart/alternative", "message/rfc822", "base64",
	"quoted-printable", "Subject: ", "From: ", "To: ", "Date: ", "Cc: ",
	"Content-Disposition: attachment; filename=", "Content-Language: ",
	"Mon, 1 Jan 2001 00:00:00 +0000", "12:34", "+0100", "Jan", "SGVsbG8=", "=3D", "=\r\n",
}

func mutate(r *rand.Rand, msg []byte) []byte {
	out := append([]byte(nil), msg...)
	for n := 1 + r.Intn(6); n > 0; n-- {
		pos := 0
		if len(out) > 0 {
			// Favour the headers, where most of the logic is.
			if r.Intn(3) > 0 {
				pos = r.Intn(min(len(out), 600) + 1)
			} else {
				pos = r.Intn(len(out) + 1)
			}
		}
		switch r.Intn(7) {
		case 6:
			// splice a piece of another place of the message
			if len(out) > 0 {
				a := r.Intn(len(out))
				b := min(len(out), a+r.Intn(200))
				piece := append([]byte(nil), out[a:b]...)
				out = append(out[:pos], append(piece, out[pos:]...)...)
			}
		case 0, 1, 2:
			tok := tokens[r.Intn(len(tokens))]
			out = append(out[:pos], append([]byte(tok), out[pos:]...)...)
		case 3:
			end := min(len(out), pos+1+r.Intn(20))
			out = append(out[:pos], out[end:]...)
		case 4:
			if pos < len(out) {
				out[pos] = byte(r.Intn(256))
			}
		case 5:
			// duplicate a line
			s := bytes.LastIndexByte(out[:pos], '\n') + 1
			e := bytes.IndexByte(out[pos:], '\n')
			if e >= 0 {
				line := append([]byte(nil), out[s:pos+e+1]...)
				out = append(out[:s], append(line, out[s:]...)...)
			}
		}
	}
	return out
}

// randomMIME builds a random MIME tree with the structural hazards Cyrus
// handles in its own way: boundaries that are prefixes of each other,
// missing or early closing delimiters, lines that look like boundaries,
// message/rfc822 parts at any depth, odd transfer encodings.
func randomMIME(r *rand.Rand, depth int, bounds []string) string {
	var b strings.Builder
	pick := func(xs ...string) string { return xs[r.Intn(len(xs))] }
	// headers
	if r.Intn(3) == 0 {
		b.WriteString("Subject: " + pick("s", "=?utf-8?q?=C3=A9?=", "x=?iso-8859-1?b?6Q==?=y") + "\r\n")
	}
	kind := r.Intn(10)
	if depth > 4 {
		kind = 9
	}
	switch {
	case kind < 4: // multipart
		bd := pick("b", "bb", "b1", "=_x", "b b", "abc", "ab")
		if len(bounds) > 0 && r.Intn(3) == 0 {
			bd = bounds[r.Intn(len(bounds))] + pick("", "x", "-", " ")
		}
		b.WriteString("Content-Type: multipart/" + pick("mixed", "digest", "alternative") + "; boundary=\"" + bd + "\"\r\n")
		if r.Intn(5) == 0 {
			b.WriteString("Content-Transfer-Encoding: " + pick("base64", "7bit", "x-foo") + "\r\n")
		}
		b.WriteString("\r\n")
		if r.Intn(3) == 0 {
			b.WriteString(pick("preamble\r\n", "--"+bd+"x\r\n", "\r\n"))
		}
		nb := append(append([]string(nil), bounds...), bd)
		for n := r.Intn(4); n >= 0; n-- {
			b.WriteString("--" + bd + pick("", "", " ", "\t", "x") + "\r\n")
			if r.Intn(8) > 0 {
				b.WriteString(randomMIME(r, depth+1, nb))
			}
		}
		switch r.Intn(5) {
		case 0: // no close
		case 1:
			if len(bounds) > 0 {
				b.WriteString("--" + bounds[r.Intn(len(bounds))] + pick("--", "") + "\r\n")
			}
		default:
			b.WriteString("--" + bd + "--" + pick("", "", "x", " ") + "\r\n")
		}
		if r.Intn(3) == 0 {
			b.WriteString(pick("epilogue\r\n", "--"+bd+"\r\n", ""))
		}
	case kind < 6: // message/rfc822
		b.WriteString("Content-Type: message/rfc822\r\n")
		if r.Intn(6) == 0 {
			b.WriteString("Content-Transfer-Encoding: base64\r\n")
		}
		b.WriteString(pick("\r\n", "\r\n", ""))
		b.WriteString(randomMIME(r, depth+1, bounds))
	default: // leaf
		enc := pick("", "base64", "quoted-printable", "8bit", "x-unknown")
		b.WriteString("Content-Type: " + pick("text/plain", "text/plain; charset=utf-8", "application/octet-stream", "text/html; charset=bogus") + "\r\n")
		if enc != "" {
			b.WriteString("Content-Transfer-Encoding: " + enc + "\r\n")
		}
		b.WriteString(pick("\r\n", "\r\n", ""))
		for n := r.Intn(4); n > 0; n-- {
			b.WriteString(pick("text line", "SGVsbG8=", "a=3Db=\r", "--", "-- x", "caf=E9 ") + pick("\r\n", "\r\n", ""))
		}
		if len(bounds) > 0 && r.Intn(4) == 0 {
			b.WriteString("--" + bounds[r.Intn(len(bounds))] + "\r\n")
		}
	}
	return b.String()
}

func TestDifferentialCyrusLibrary(t *testing.T) {
	bin, confDir := buildCyrusDump(t)
	n := 3000
	if v, err := strconv.Atoi(os.Getenv("GYRUS_DIFF_N")); err == nil {
		n = v
	}
	seed := int64(1)
	if v, err := strconv.ParseInt(os.Getenv("GYRUS_DIFF_SEED"), 10, 64); err == nil {
		seed = v
	}
	srcs, _ := filepath.Glob("msgs/*.eml")
	sort.Strings(srcs)
	var bases [][]byte
	for _, f := range srcs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 20000 {
			bases = append(bases, b)
		}
	}
	if len(bases) == 0 {
		t.Fatal("no corpus")
	}
	r := rand.New(rand.NewSource(seed))
	dir := worldReadableTempDir(t)
	var files []string
	msgs := map[string][]byte{}
	for i := 0; i < n; i++ {
		var m []byte
		if i%3 == 2 {
			m = []byte("From: a@example.com\r\n" + randomMIME(r, 0, nil))
		} else {
			m = mutate(r, bases[r.Intn(len(bases))])
		}
		if len(m) == 0 {
			continue
		}
		f := filepath.Join(dir, fmt.Sprintf("m%05d", i))
		if err := os.WriteFile(f, m, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		msgs[f] = m
	}
	for vi, v := range configVariants {
		conf := writeConf(t, confDir, v)
		// The default settings get all messages, the others a share.
		subset := files
		if vi > 0 {
			subset = files[:len(files)/3]
		}
		want := runCyrusDump(t, bin, conf, subset)
		fails, tolerated := 0, 0
		for _, f := range subset {
			w, ok := want[f]
			if !ok {
				t.Errorf("%s: no answer from cyrusdump", f)
				continue
			}
			m, err := message.ParseBytes(msgs[f], v.opts)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			got := m.CacheEntry()
			if !bytes.Equal(got, w.entry) && approximateCharsetOnly(msgs[f], got, w.entry) {
				tolerated++
				continue
			}
			if !bytes.Equal(got, w.entry) || m.HeaderSize != w.hdrSize || hex.EncodeToString(m.GUID[:]) != w.guid ||
				m.SentDate != uint32(w.sentdate) || m.GMTime != uint32(w.gmtime) {
				fails++
				if fails <= 10 {
					keep := filepath.Join(os.TempDir(), "gyrus-diff-"+v.name+"-"+filepath.Base(f))
					os.WriteFile(keep, msgs[f], 0o644)
					t.Errorf("%s %s (kept as %s): differs from Cyrus\n%s\nindex: sentdate %d/%d gmtime %d/%d header_size %d/%d guid %x/%s",
						v.name, f, keep, describeDiff(got, w.entry), m.SentDate, uint32(w.sentdate), m.GMTime, uint32(w.gmtime),
						m.HeaderSize, w.hdrSize, m.GUID, w.guid)
				}
			}
		}
		t.Logf("%s: %d mutated or generated messages (seed %d), %d differ from Cyrus, %d only in the decoding of broken "+
			"text in a charset lib/message decodes with x/text (%s)", v.name, len(subset), seed, fails, tolerated,
			strings.Join(approximateCharsets, ", "))
	}
}

// approximateCharsets are the charsets whose ICU converters lib/message
// does not reproduce byte for byte: valid text decodes the same, invalid
// byte sequences may not (lib/message/doc.go).
var approximateCharsets = []string{"euc-jp", "iso-2022-jp", "gb18030", "utf-16", "utf-32", "utf-7", "hz-gb-2312"}

// approximateCharsetOnly tells whether got and want differ only in the
// decoded search forms (FROM, TO, CC, BCC, SUBJECT) of a message that has
// encoded words in one of approximateCharsets.
func approximateCharsetOnly(msg, got, want []byte) bool {
	found := false
	for _, w := range bytes.Split(msg, []byte("=?"))[1:] {
		name, _, ok := bytes.Cut(w, []byte("?"))
		if !ok {
			continue
		}
		// Compare the way ICU does: letters and digits only.
		var norm []byte
		for _, c := range bytes.ToLower(name) {
			if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
				norm = append(norm, c)
			}
		}
		for _, cs := range approximateCharsets {
			if string(norm) == strings.ReplaceAll(cs, "-", "") {
				found = true
			}
		}
	}
	if !found {
		return false
	}
	gi, err1 := splitEntry(got)
	wi, err2 := splitEntry(want)
	if err1 != nil || err2 != nil {
		return false
	}
	for i := 0; i < message.ItemFrom; i++ {
		if !bytes.Equal(gi[i], wi[i]) {
			return false
		}
	}
	return true
}

// describeDiff names the first cache item that differs.
func describeDiff(got, want []byte) string {
	gi, err1 := splitEntry(got)
	wi, err2 := splitEntry(want)
	if err1 != nil || err2 != nil {
		return fmt.Sprintf("bad entries: %v %v", err1, err2)
	}
	for i := range gi {
		if !bytes.Equal(gi[i], wi[i]) {
			return fmt.Sprintf("%s\n got %q\nwant %q", itemNames[i], gi[i], wi[i])
		}
	}
	return "index fields differ"
}

// TestDifferentialFiles compares the files named in GYRUS_DIFF_FILES
// (space separated; a debugging aid) with Cyrus's parser library.
func TestDifferentialFiles(t *testing.T) {
	list := strings.Fields(os.Getenv("GYRUS_DIFF_FILES"))
	if len(list) == 0 {
		t.Skip("GYRUS_DIFF_FILES not set")
	}
	bin, confDir := buildCyrusDump(t)
	dir := worldReadableTempDir(t)
	var files []string
	for i, f := range list {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("f%d", i))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	want := runCyrusDump(t, bin, writeConf(t, confDir, configVariants[0]), files)
	for i, p := range files {
		data, _ := os.ReadFile(p)
		m, err := message.ParseBytes(data, message.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if w := want[p]; !bytes.Equal(m.CacheEntry(), w.entry) {
			t.Errorf("%s differs from Cyrus\n%s", list[i], describeDiff(m.CacheEntry(), w.entry))
		} else {
			t.Logf("%s: identical (%d bytes of cache)", list[i], len(w.entry))
		}
	}
}
