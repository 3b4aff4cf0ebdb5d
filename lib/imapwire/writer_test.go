package imapwire

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func written(f func(w *Writer)) string {
	var b bytes.Buffer
	w := NewWriter(&b)
	f(w)
	w.Flush()
	return b.String()
}

func TestWriterStrings(t *testing.T) {
	long := strings.Repeat("a", 1023)
	tests := []struct {
		f    func(w *Writer)
		want string
	}{
		{func(w *Writer) { w.String("abc") }, `"abc"`},
		{func(w *Writer) { w.String("") }, `""`},
		{func(w *Writer) { w.String("50%") }, "{3}\r\n50%"},
		{func(w *Writer) { w.String(`a"b`) }, "{3}\r\na\"b"},
		{func(w *Writer) { w.String("a\\b") }, "{3}\r\na\\b"},
		{func(w *Writer) { w.String("a\r\nb") }, "{4}\r\na\r\nb"},
		{func(w *Writer) { w.String("caf\xc3\xa9") }, "{5}\r\ncaf\xc3\xa9"},
		{func(w *Writer) { w.SetUTF8(true); w.String("caf\xc3\xa9") }, "\"caf\xc3\xa9\""},
		{func(w *Writer) { w.SetUTF8(true); w.String("caf\xe9") }, "{4}\r\ncaf\xe9"},
		{func(w *Writer) { w.String(long) }, `"` + long + `"`},
		{func(w *Writer) { w.String(long + "a") }, "{1024}\r\n" + long + "a"},
		{func(w *Writer) { w.AString("INBOX") }, "INBOX"},
		{func(w *Writer) { w.AString("NIL") }, `"NIL"`},
		{func(w *Writer) { w.AString("") }, `""`},
		{func(w *Writer) { w.AString("a b") }, `"a b"`},
		{func(w *Writer) { w.AString("user.*") }, `"user.*"`},
		{func(w *Writer) { w.AString("a]b") }, `a]b`},
		{func(w *Writer) { w.NString("", false) }, "NIL"},
		{func(w *Writer) { w.Bytes([]byte("a\x00b")) }, "{3}\r\na\x00b"},
		{func(w *Writer) { w.Flags([]imap.Flag{imap.FlagSeen, "$Junk"}) }, `(\Seen $Junk)`},
		{func(w *Writer) { w.Flags(nil) }, `()`},
		{func(w *Writer) { w.NumSet(seqSet("1:3,5,7:*")) }, "1:3,5,7:*"},
		{func(w *Writer) { w.NumSet(imap.SearchRes()) }, "$"},
		{func(w *Writer) { w.DateTime(time.Date(2020, 1, 2, 3, 4, 5, 0, time.FixedZone("", -5*3600))) },
			`"02-Jan-2020 03:04:05 -0500"`},
	}
	for i, tc := range tests {
		if got := written(tc.f); got != tc.want {
			t.Errorf("%d: got %q, want %q", i, got, tc.want)
		}
	}
}

func TestWriterResponses(t *testing.T) {
	count := uint32(3)
	tests := []struct {
		f    func(w *Writer)
		want string
	}{
		{func(w *Writer) { w.StatusResponse("a1", StatusOK, CodeUIDNext(5), "Ok") }, "a1 OK [UIDNEXT 5] Ok\r\n"},
		{func(w *Writer) { w.StatusResponse("", StatusOK, CodeAlert, "hi") }, "* OK [ALERT] hi\r\n"},
		{func(w *Writer) {
			w.StatusResponse("a", StatusOK, CodeAppendUID(38505, uidSet("3955")), "Completed")
		}, "a OK [APPENDUID 38505 3955] Completed\r\n"},
		{func(w *Writer) {
			w.StatusResponse("a", StatusOK, CodeCopyUID(38505, uidSet("304,319:320"), uidSet("3956:3958")), "Done")
		}, "a OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n"},
		{func(w *Writer) { w.StatusResponse("a", StatusOK, CodeHighestModSeq(715194045007), "x") },
			"a OK [HIGHESTMODSEQ 715194045007] x\r\n"},
		{func(w *Writer) {
			w.StatusResponse("", StatusOK, CodePermanentFlags([]imap.Flag{"\\Seen", "\\*"}), "Ok")
		}, "* OK [PERMANENTFLAGS (\\Seen \\*)] Ok\r\n"},
		{func(w *Writer) {
			w.StatusResponse("", StatusOK, CodeCapability([]string{"IMAP4rev1", "LITERAL+"}), "ready")
		}, "* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n"},
		{func(w *Writer) { w.StatusResponse("a", StatusNO, CodeBadCharset([]string{"UTF-8"}), "bad") },
			"a NO [BADCHARSET (UTF-8)] bad\r\n"},
		{func(w *Writer) { w.StatusResponse("a", StatusOK, CodeModified(seqSet("7,9")), "Completed") },
			"a OK [MODIFIED 7,9] Completed\r\n"},
		{func(w *Writer) { w.Capability([]string{"IMAP4rev1", "ID"}) }, "* CAPABILITY IMAP4rev1 ID\r\n"},
		{func(w *Writer) { w.Enabled([]string{"CONDSTORE", "QRESYNC"}) }, "* ENABLED CONDSTORE QRESYNC\r\n"},
		{func(w *Writer) { w.Exists(3).Recent(0).Expunge(2) }, "* 3 EXISTS\r\n* 0 RECENT\r\n* 2 EXPUNGE\r\n"},
		{func(w *Writer) { w.Vanished(true, uidSet("300:310,405")) }, "* VANISHED (EARLIER) 300:310,405\r\n"},
		{func(w *Writer) { w.FlagsResponse([]imap.Flag{"\\Answered"}) }, "* FLAGS (\\Answered)\r\n"},
		{func(w *Writer) { w.Search("SEARCH", []uint32{2, 5}, 917162500) }, "* SEARCH 2 5 (MODSEQ 917162500)\r\n"},
		{func(w *Writer) { w.Search("SEARCH", nil, 0) }, "* SEARCH\r\n"},
		{func(w *Writer) {
			w.ESearch(&ESearchData{Tag: "a1", UID: true, Count: &count, Min: 2, Max: 9, All: uidSet("2,5,9"), ModSeq: 7})
		}, "* ESEARCH (TAG \"a1\") UID COUNT 3 MIN 2 MAX 9 ALL 2,5,9 MODSEQ 7\r\n"},
		{func(w *Writer) {
			w.ESearch(&ESearchData{Tag: "a", Partial: &ESearchPartial{Range: PartialRange{-1, -100}}})
		}, "* ESEARCH (TAG \"a\") PARTIAL (-1:-100 NIL)\r\n"},
		{func(w *Writer) {
			w.List(&ListResponse{Attrs: []string{"\\HasNoChildren"}, Delim: '.', Mailbox: "INBOX"})
		}, "* LIST (\\HasNoChildren) \".\" INBOX\r\n"},
		{func(w *Writer) {
			w.List(&ListResponse{Command: "LSUB", Delim: '/', Mailbox: "a b", ChildInfo: []string{"SUBSCRIBED"}})
		}, "* LSUB () \"/\" \"a b\" (CHILDINFO (\"SUBSCRIBED\"))\r\n"},
		{func(w *Writer) { w.List(&ListResponse{Attrs: []string{"\\Noselect"}, Mailbox: ""}) },
			"* LIST (\\Noselect) NIL \"\"\r\n"},
		{func(w *Writer) {
			w.StatusStart("INBOX").Num("MESSAGES", 1).Num("UIDNEXT", 2).MailboxID("abc").Num("HIGHESTMODSEQ", 9).End()
		}, "* STATUS INBOX (MESSAGES 1 UIDNEXT 2 MAILBOXID (abc) HIGHESTMODSEQ 9)\r\n"},
		{func(w *Writer) {
			w.Namespace([]NamespaceDesc{{"INBOX.", '.'}}, nil, []NamespaceDesc{{"", '.'}})
		}, "* NAMESPACE ((\"INBOX.\" \".\")) NIL ((\"\" \".\"))\r\n"},
		{func(w *Writer) { w.ACL("INBOX", []ACLEntry{{"alice", "lrswipkxtecdan"}, {"anyone", "p"}}) },
			"* ACL INBOX alice lrswipkxtecdan anyone p\r\n"},
		{func(w *Writer) { w.ListRights("INBOX", "bob", "", []string{"l", "r", "s"}) },
			"* LISTRIGHTS INBOX bob \"\" l r s\r\n"},
		{func(w *Writer) { w.MyRights("INBOX", "lrs") }, "* MYRIGHTS INBOX lrs\r\n"},
		{func(w *Writer) { w.Quota("user.bob", []QuotaResource{{"STORAGE", 10, 512}}) },
			"* QUOTA user.bob (STORAGE 10 512)\r\n"},
		{func(w *Writer) { w.QuotaRoot("INBOX", []string{"user.bob"}) }, "* QUOTAROOT INBOX user.bob\r\n"},
		{func(w *Writer) {
			w.Metadata("INBOX", []MetadataEntry{{"/shared/comment", []byte("hi")}, {"/private/x", nil}})
		}, "* METADATA INBOX (\"/shared/comment\" \"hi\" \"/private/x\" NIL)\r\n"},
		{func(w *Writer) { w.ID([]IDParam{{"name", strp("Cyrus IMAPD")}, {"os", nil}}) },
			"* ID (\"name\" \"Cyrus IMAPD\" \"os\" NIL)\r\n"},
		{func(w *Writer) { w.ID(nil) }, "* ID NIL\r\n"},
		{func(w *Writer) {
			w.Thread([]*ThreadNode{{Num: 2}, {Num: 3, Children: []*ThreadNode{{Num: 6, Children: []*ThreadNode{
				{Num: 4, Children: []*ThreadNode{{Num: 23}}}, {Num: 44, Children: []*ThreadNode{{Num: 7, Children: []*ThreadNode{{Num: 96}}}}}}}}}})
		}, "* THREAD (2) (3 6 (4 23)(44 7 96))\r\n"},
		{func(w *Writer) {
			w.WriteError(&Error{Tag: "a", Status: StatusNO, Code: "TOOBIG", Text: "x", Bye: "[TOOBIG] x"})
		}, "a NO [TOOBIG] x\r\n* BYE [TOOBIG] x\r\n"},
		{func(w *Writer) { w.WriteError(&Error{Status: StatusBAD, Text: "Invalid tag"}) }, "* BAD Invalid tag\r\n"},
	}
	for i, tc := range tests {
		if got := written(tc.f); got != tc.want {
			t.Errorf("%d: got %q\nwant %q", i, got, tc.want)
		}
	}
}

func TestWriteFetch(t *testing.T) {
	date := time.Date(2026, 11, 27, 12, 58, 55, 0, time.UTC)
	got := written(func(w *Writer) {
		f := w.Fetch(12)
		f.Flags([]imap.Flag{imap.FlagSeen}).UID(40).RFC822Size(46).InternalDate(date).ModSeq(2)
		f.ObjectID("EMAILID", "Mabc").ObjectID("THREADID", "").Date("SAVEDATE", time.Time{})
		f.Raw("ENVELOPE", []byte(`(NIL "probe" NIL NIL NIL NIL NIL NIL NIL NIL)`))
		f.String("PREVIEW", "hello", true)
		sec := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"From"},
			Partial: &imap.SectionPartial{Offset: 0, Size: 10}}
		f.BodySection(sec, 5, strings.NewReader("From:"))
		f.BodySection(&imap.FetchItemBodySection{Part: []int{9}}, 0, nil)
		f.BinarySection(&imap.FetchItemBinarySection{Part: []int{1}}, 3, strings.NewReader("a\x00b"), true)
		f.BinarySize([]int{1}, 3)
		f.Literal("RFC822.TEXT", 2, strings.NewReader("hi"))
		f.End()
	})
	want := "* 12 FETCH (FLAGS (\\Seen) UID 40 RFC822.SIZE 46 INTERNALDATE \"27-Nov-2026 12:58:55 +0000\" MODSEQ (2)" +
		" EMAILID (Mabc) THREADID NIL SAVEDATE NIL ENVELOPE (NIL \"probe\" NIL NIL NIL NIL NIL NIL NIL NIL)" +
		" PREVIEW \"hello\" BODY[HEADER.FIELDS (From)]<0> {5}\r\nFrom: BODY[9] NIL BINARY[1] ~{3}\r\na\x00b" +
		" BINARY.SIZE[1] 3 RFC822.TEXT {2}\r\nhi)\r\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// countingWriter records the writes that reach the connection.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (c *countingWriter) Write(b []byte) (int, error) {
	c.writes++
	return c.Buffer.Write(b)
}

func TestWriterCorkAndLiterals(t *testing.T) {
	var c countingWriter
	w := NewWriter(&c)
	w.Cork()
	for i := uint32(1); i <= 1000; i++ {
		w.Fetch(i).UID(imap.UID(i)).End()
	}
	w.Flush()
	if c.writes != 0 {
		t.Fatalf("corked writer wrote %d times", c.writes)
	}
	w.Continue("go ahead") // a continuation goes out at once
	if c.writes != 1 || !strings.HasSuffix(c.String(), "+ go ahead\r\n") {
		t.Fatalf("continuation not flushed: %d writes", c.writes)
	}
	w.Uncork()
	// A big literal goes straight to the connection without being held.
	big := strings.Repeat("z", 1<<20)
	c.Reset()
	if err := w.Fetch(1).Literal("BODY[]", int64(len(big)), strings.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	w.fw.End()
	w.Flush()
	if !strings.HasPrefix(c.String(), "* 1 FETCH (BODY[] {1048576}\r\nzzz") || !strings.HasSuffix(c.String(), "zz)\r\n") ||
		c.Len() != len(big)+len("* 1 FETCH (BODY[] {1048576}\r\n)\r\n") {
		t.Fatalf("literal output %d bytes", c.Len())
	}
	// A reader that ends early is an error the session must act on.
	if err := w.Literal(10, strings.NewReader("short"), false); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short literal: %v", err)
	}
	if w.Err() == nil {
		t.Error("error not kept")
	}
}

// TestStringRoundTrip writes random strings with AString and parses them
// back as a SELECT argument.
func TestStringRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		n := r.Intn(40)
		if i%100 == 0 {
			n = 1000 + r.Intn(50)
		}
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(1 + r.Intn(255))
		}
		checkStringRoundTrip(t, string(b))
	}
	for _, s := range []string{"", "NIL", "nil", "{3}", "~{3}", "a b", "\"", "\\", "%*", "INBOX"} {
		checkStringRoundTrip(t, s)
	}
}

func checkStringRoundTrip(t *testing.T, s string) {
	t.Helper()
	for _, utf := range []bool{false, true} {
		var b bytes.Buffer
		w := NewWriter(&b)
		w.SetUTF8(utf)
		w.RawString("a SELECT ").AString(s).CRLF()
		w.Flush()
		cmd, err, _ := parseOne(t, b.String(), Options{})
		if err != nil {
			t.Fatalf("%q written as %q: %v", s, b.String(), err)
		}
		if got := cmd.Args.(*Select).Mailbox; got != s {
			t.Fatalf("%q written as %q parsed as %q", s, b.String(), got)
		}
	}
}

// TestNumSetRoundTrip writes parsed sets and parses them again.
func TestNumSetRoundTrip(t *testing.T) {
	for _, s := range []string{"1", "*", "1:*", "5:3", "1,3,2", "1:3,2:9,20", "*:4", "0:5", "4294967295"} {
		a, ok := ParseNumSet([]byte(s), true, false)
		if !ok {
			t.Fatalf("%s", s)
		}
		out := numSetString(a)
		b, ok := ParseNumSet([]byte(out), true, false)
		if !ok || numSetString(b) != out || out != a.String() {
			t.Errorf("%s -> %s -> %v", s, out, b)
		}
	}
}
