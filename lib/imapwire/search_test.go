package imapwire

import (
	"reflect"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func and(keys ...*SearchKey) *SearchKey { return &SearchKey{Op: SearchAnd, Keys: keys} }

func TestParseSearch(t *testing.T) {
	tests := []struct {
		in   string
		ext  Ext
		want *Search
	}{
		{"a SEARCH ALL\r\n", 0, &Search{Program: and(&SearchKey{Op: SearchAll})}},
		{"a SEARCH CHARSET UTF-8 FROM \"Bob\" NOT (SEEN OR DELETED FLAGGED)\r\n", 0, &Search{Charset: "UTF-8",
			Program: and(&SearchKey{Op: SearchFrom, Text: "Bob"},
				&SearchKey{Op: SearchNot, Keys: []*SearchKey{and(&SearchKey{Op: SearchSeen},
					&SearchKey{Op: SearchOr, Keys: []*SearchKey{{Op: SearchDeleted}, {Op: SearchFlagged}}})}})}},
		{"a SEARCH RETURN () 1:5,7 UID 3:*\r\n", 0, &Search{
			Return:  &SearchReturn{SearchOptions: imap.SearchOptions{ReturnAll: true}},
			Program: and(&SearchKey{Op: SearchSeq, Set: seqSet("1:5,7")}, &SearchKey{Op: SearchUID, Set: uidSet("3:*")})}},
		{"a SEARCH RETURN (MIN MAX COUNT) CHARSET us-ascii HEADER X-Foo {3}\r\nbar LARGER 100 SMALLER 4294967295\r\n", 0, &Search{
			Charset: "us-ascii",
			Return:  &SearchReturn{SearchOptions: imap.SearchOptions{ReturnMin: true, ReturnMax: true, ReturnCount: true}},
			Program: and(&SearchKey{Op: SearchHeader, Field: "X-Foo", Text: "bar"},
				&SearchKey{Op: SearchLarger, Num: 100}, &SearchKey{Op: SearchSmaller, Num: 4294967295})}},
		{"a SEARCH BEFORE 1-Feb-2020 ON \"02-Mar-2021\" SINCE 31-Dec-99 SENTBEFORE 1-Jan-2000 SENTON 2-Jan-2000 SENTSINCE 3-Jan-2000\r\n", 0,
			&Search{Program: and(&SearchKey{Op: SearchBefore, Date: day(2020, 2, 1)},
				&SearchKey{Op: SearchOn, Date: day(2021, 3, 2)}, &SearchKey{Op: SearchSince, Date: day(1999, 12, 31)},
				&SearchKey{Op: SearchSentBefore, Date: day(2000, 1, 1)}, &SearchKey{Op: SearchSentOn, Date: day(2000, 1, 2)},
				&SearchKey{Op: SearchSentSince, Date: day(2000, 1, 3)})}},
		{"a SEARCH SAVEDBEFORE 1-Jan-2020 SAVEDON 1-Jan-2020 SAVEDSINCE 1-Jan-2020 SAVEDATESUPPORTED OLDER 60 YOUNGER 3600\r\n", 0,
			&Search{Program: and(&SearchKey{Op: SearchSavedBefore, Date: day(2020, 1, 1)},
				&SearchKey{Op: SearchSavedOn, Date: day(2020, 1, 1)}, &SearchKey{Op: SearchSavedSince, Date: day(2020, 1, 1)},
				&SearchKey{Op: SearchSaveDateSupported}, &SearchKey{Op: SearchOlder, Num: 60}, &SearchKey{Op: SearchYounger, Num: 3600})}},
		{"a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338 EMAILID M6d99ac3275bb4e THREADID T64b478a75b7ea9\r\n", 0,
			&Search{Program: and(&SearchKey{Op: SearchModSeq, Field: "/flags/\\draft", Attr: "all", Num: 620162338},
				&SearchKey{Op: SearchEmailID, Text: "M6d99ac3275bb4e"}, &SearchKey{Op: SearchThreadID, Text: "T64b478a75b7ea9"})}},
		{"a SEARCH KEYWORD $Junk UNKEYWORD foo NEW OLD RECENT ANSWERED UNANSWERED DRAFT UNDRAFT\r\n", 0,
			&Search{Program: and(&SearchKey{Op: SearchKeyword, Flag: "$Junk"}, &SearchKey{Op: SearchUnkeyword, Flag: "foo"},
				&SearchKey{Op: SearchNew}, &SearchKey{Op: SearchOld}, &SearchKey{Op: SearchRecent},
				&SearchKey{Op: SearchAnswered}, &SearchKey{Op: SearchUnanswered},
				&SearchKey{Op: SearchDraft}, &SearchKey{Op: SearchUndraft})}},
		{"a SEARCH FUZZY TEXT x BODY y CC c BCC b TO t SUBJECT s\r\n", 0,
			&Search{Program: and(&SearchKey{Op: SearchFuzzy, Keys: []*SearchKey{{Op: SearchText, Text: "x"}}},
				&SearchKey{Op: SearchBody, Text: "y"}, &SearchKey{Op: SearchCc, Text: "c"},
				&SearchKey{Op: SearchBcc, Text: "b"}, &SearchKey{Op: SearchTo, Text: "t"}, &SearchKey{Op: SearchSubject, Text: "s"})}},
		{"a SEARCH ANNOTATION /comment value.priv NIL DELIVEREDTO d FOLDER f XLISTID l CID 0123abcd SPAMABOVE 3.5\r\n", 0,
			&Search{Program: and(&SearchKey{Op: SearchAnnotation, Field: "/comment", Attr: "value.priv"},
				&SearchKey{Op: SearchDeliveredTo, Text: "d"}, &SearchKey{Op: SearchFolder, Text: "f"},
				&SearchKey{Op: SearchListID, Text: "l"}, &SearchKey{Op: SearchCID, Text: "0123abcd"},
				&SearchKey{Op: SearchSpamAbove, Text: "3.5"})}},
		// Extensions.
		{"a UID SEARCH RETURN (SAVE MIN) $ UNSEEN\r\n", ExtSearchRes, &Search{
			Return:  &SearchReturn{SearchOptions: imap.SearchOptions{ReturnSave: true, ReturnMin: true}},
			Program: and(&SearchKey{Op: SearchSeq, Set: imap.SearchRes()}, &SearchKey{Op: SearchUnseen})}},
		{"a SEARCH RETURN (PARTIAL -1:-100 COUNT) ALL\r\n", ExtPartial, &Search{
			Return:  &SearchReturn{SearchOptions: imap.SearchOptions{ReturnCount: true}, Partial: &PartialRange{-1, -100}},
			Program: and(&SearchKey{Op: SearchAll})}},
		{"a ESEARCH IN (mailboxes (INBOX \"a b\") subtree-one x personal) RETURN (COUNT) ALL\r\n", ExtMultiSearch, &Search{
			Source: &SearchSource{Filters: []MailboxFilter{{"mailboxes", []string{"INBOX", "a b"}},
				{"subtree-one", []string{"x"}}, {"personal", nil}}},
			Return:  &SearchReturn{SearchOptions: imap.SearchOptions{ReturnCount: true}},
			Program: and(&SearchKey{Op: SearchAll})}},
	}
	for _, tc := range tests {
		cmd, err, _ := parseOne(t, tc.in, Options{Ext: tc.ext})
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(cmd.Args, tc.want) {
			t.Errorf("%q:\n got %s\nwant %s", tc.in, dumpSearch(cmd.Args.(*Search)), dumpSearch(tc.want))
		}
	}
}

func dumpSearch(s *Search) string {
	var out string
	var dump func(k *SearchKey)
	dump = func(k *SearchKey) {
		out += "(" + string(k.Op)
		if k.Text != "" || k.Field != "" {
			out += " " + k.Field + ":" + k.Text
		}
		if k.Set != nil {
			out += " " + k.Set.String()
		}
		if !k.Date.IsZero() {
			out += " " + k.Date.Format("2006-01-02")
		}
		for _, c := range k.Keys {
			dump(c)
		}
		out += ")"
	}
	dump(s.Program)
	if s.Return != nil {
		out += " return"
	}
	return out + " charset=" + s.Charset
}

// TestSearchExtensionsOff checks that, without the Ext bits, extension
// syntax gets Cyrus's answers.
func TestSearchExtensionsOff(t *testing.T) {
	for in, want := range map[string]string{
		"a SEARCH RETURN (SAVE) ALL\r\n":         "imap: BAD Invalid Search return option save",
		"a SEARCH RETURN (PARTIAL 1:10) ALL\r\n": "imap: BAD Invalid Search return option partial",
		"a SEARCH $\r\n":                         "imap: BAD Invalid Search criteria",
		"a FETCH $ FLAGS\r\n":                    "imap: BAD Invalid sequence in Fetch",
		"a ESEARCH ALL\r\n":                      "imap: BAD Unrecognized command",
		"a STATUS INBOX (DELETED)\r\n":           "imap: BAD Invalid Status attributes deleted",
		"a STATUS INBOX (APPENDLIMIT)\r\n":       "imap: BAD Invalid Status attributes appendlimit",
	} {
		_, err, _ := parseOne(t, in, Options{})
		if err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %s", in, err, want)
		}
		if _, err, _ := parseOne(t, in, Options{Ext: ExtAll}); err != nil {
			t.Errorf("%q with ExtAll: %v", in, err)
		}
	}
}

func TestSearchCriteria(t *testing.T) {
	cmd, err, _ := parseOne(t, "a SEARCH UNSEEN FROM bob OR LARGER 10 NOT KEYWORD x ON 2-Jan-2020 UID 1:3\r\n", Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, ok := cmd.Args.(*Search).Program.Criteria()
	if !ok {
		t.Fatal("not convertible")
	}
	want := &imap.SearchCriteria{
		NotFlag: []imap.Flag{imap.FlagSeen},
		Header:  []imap.SearchCriteriaHeaderField{{Key: "From", Value: "bob"}},
		Or: [][2]imap.SearchCriteria{{{Larger: 10},
			{Not: []imap.SearchCriteria{{Flag: []imap.Flag{"x"}}}}}},
		Since:  day(2020, 1, 2),
		Before: day(2020, 1, 3),
		UID:    []imap.UIDSet{uidSet("1:3").(imap.UIDSet)},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %#v\nwant %#v", c, want)
	}
	for _, in := range []string{"a SEARCH OLDER 5\r\n", "a SEARCH LARGER 0\r\n", "a SEARCH FUZZY ALL\r\n",
		"a SEARCH MODSEQ 1 MODSEQ 2\r\n", "a SEARCH NOT EMAILID x\r\n"} {
		cmd, err, _ := parseOne(t, in, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := cmd.Args.(*Search).Program.Criteria(); ok {
			t.Errorf("%q: converted, but go-imap cannot express it", in)
		}
	}
}
