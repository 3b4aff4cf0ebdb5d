package imapwire

import (
	"reflect"
	"testing"

	"github.com/emersion/go-imap/v2"
)

func TestParseFetch(t *testing.T) {
	tests := []struct {
		in   string
		want *Fetch
	}{
		{"a FETCH 1:* (FLAGS UID RFC822.SIZE)\r\n", &Fetch{Set: seqSet("1:*"),
			Options: imap.FetchOptions{Flags: true, UID: true, RFC822Size: true}}},
		{"a FETCH 1 ALL\r\n", &Fetch{Set: seqSet("1"), Macro: "ALL",
			Options: imap.FetchOptions{Flags: true, InternalDate: true, RFC822Size: true, Envelope: true}}},
		{"a FETCH 1 fast\r\n", &Fetch{Set: seqSet("1"), Macro: "FAST",
			Options: imap.FetchOptions{Flags: true, InternalDate: true, RFC822Size: true}}},
		{"a FETCH 1 FULL\r\n", &Fetch{Set: seqSet("1"), Macro: "FULL",
			Options: imap.FetchOptions{Flags: true, InternalDate: true, RFC822Size: true, Envelope: true,
				BodyStructure: &imap.FetchItemBodyStructure{}}}},
		{"a FETCH 2 (BODY BODYSTRUCTURE)\r\n", &Fetch{Set: seqSet("2"),
			Options: imap.FetchOptions{BodyStructure: &imap.FetchItemBodyStructure{Extended: true}}}},
		{"a FETCH 2 (BODY[] BODY.PEEK[1.2.MIME]<0.100> BODY[TEXT] BODY[2.HEADER])\r\n", &Fetch{Set: seqSet("2"),
			Options: imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{
				{},
				{Part: []int{1, 2}, Specifier: imap.PartSpecifierMIME, Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: 100}},
				{Specifier: imap.PartSpecifierText},
				{Part: []int{2}, Specifier: imap.PartSpecifierHeader},
			}}}},
		{"a FETCH 2 BODY.PEEK[HEADER.FIELDS (From \"To\" {2}\r\nCc)]<5.10>\r\n", &Fetch{Set: seqSet("2"),
			Options: imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{
				{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"From", "To", "Cc"}, Peek: true,
					Partial: &imap.SectionPartial{Offset: 5, Size: 10}},
			}}}},
		{"a FETCH 2 BODY[1.HEADER.FIELDS.NOT (X)]\r\n", &Fetch{Set: seqSet("2"),
			Options: imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{
				{Part: []int{1}, Specifier: imap.PartSpecifierHeader, HeaderFieldsNot: []string{"X"}},
			}}}},
		{"a FETCH 1 (BINARY[1] BINARY.PEEK[]<0.5> BINARY.SIZE[1.2])\r\n", &Fetch{Set: seqSet("1"),
			Options: imap.FetchOptions{
				BinarySection: []*imap.FetchItemBinarySection{{Part: []int{1}},
					{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: 5}}},
				BinarySectionSize: []*imap.FetchItemBinarySectionSize{{Part: []int{1, 2}}},
			}}},
		{"a FETCH 1 (RFC822 RFC822.PEEK RFC822.HEADER RFC822.TEXT RFC822.TEXT.PEEK EMAILID THREADID SAVEDATE PREVIEW)\r\n",
			&Fetch{Set: seqSet("1"), Items: FetchRFC822 | FetchRFC822Peek | FetchRFC822Header | FetchRFC822Text |
				FetchRFC822TextPeek | FetchEmailID | FetchThreadID | FetchSaveDate | FetchPreview}},
		{"a FETCH 1 (PREVIEW (LAZY) MODSEQ INTERNALDATE ENVELOPE)\r\n", &Fetch{Set: seqSet("1"),
			Items: FetchPreview, PreviewLazy: true,
			Options: imap.FetchOptions{ModSeq: true, InternalDate: true, Envelope: true}}},
		{"a FETCH 1 (DIGEST.SHA1 RFC822.SHA1 RFC822.FILESIZE CREATEDMODSEQ UIDVALIDITY LASTUPDATED FOLDER)\r\n",
			&Fetch{Set: seqSet("1"), Items: FetchDigestSHA1 | FetchRFC822SHA1 | FetchRFC822FileSize |
				FetchCreatedModSeq | FetchUIDValidity | FetchLastUpdated | FetchFolder}},
		{"a FETCH 1 (RFC822.HEADER.LINES (From To) FLAGS)\r\n", &Fetch{Set: seqSet("1"),
			HeaderLines: []string{"from", "to"}, Options: imap.FetchOptions{Flags: true}}},
		{"a FETCH 1 ANNOTATION ((/comment /altsubject) (value.priv value.shared))\r\n", &Fetch{Set: seqSet("1"),
			Items: FetchAnnotation, Annotation: &AnnotationFetch{[]string{"/comment", "/altsubject"},
				[]string{"value.priv", "value.shared"}}}},
		{"a FETCH 1 FLAGS (CHANGEDSINCE 12345)\r\n", &Fetch{Set: seqSet("1"),
			Options: imap.FetchOptions{Flags: true, ModSeq: true, ChangedSince: 12345}}},
		{"a UID FETCH 1:* FLAGS (CHANGEDSINCE 5 VANISHED)\r\n", &Fetch{Set: uidSet("1:*"), Vanished: true,
			Options: imap.FetchOptions{Flags: true, UID: true, ModSeq: true, ChangedSince: 5}}},
		{"a FETCH 4,2:3,*:10 UID\r\n", &Fetch{Set: seqSet("2:4,10:*"), Options: imap.FetchOptions{UID: true}}},
	}
	for _, tc := range tests {
		cmd, err, _ := parseOne(t, tc.in, Options{})
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(cmd.Args, tc.want) {
			t.Errorf("%q:\n got %#v\nwant %#v", tc.in, cmd.Args, tc.want)
		}
	}
}

// TestSectionNameRoundTrip checks that a parsed BODY[] section is echoed
// back as Cyrus writes it.
func TestSectionNameRoundTrip(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"BODY[]", "BODY[]"},
		{"BODY.PEEK[1.2.MIME]<10.20>", "BODY[1.2.MIME]<10>"},
		{"BODY[HEADER.FIELDS (From \"To\")]", "BODY[HEADER.FIELDS (From To)]"},
		{"BODY[3.HEADER.FIELDS.NOT (X)]<0.1>", "BODY[3.HEADER.FIELDS.NOT (X)]<0>"},
		{"BODY[4.TEXT]", "BODY[4.TEXT]"},
		{"BODY[0]", "BODY[0]"},
	} {
		cmd, err, _ := parseOne(t, "a FETCH 1 "+tc.in+"\r\n", Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		sec := cmd.Args.(*Fetch).Options.BodySection[0]
		if got := string(AppendSectionName(nil, sec)); got != tc.out {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.out)
		}
	}
}
