package imapwire

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// parseOne parses the first command of input. It returns the command, the
// error and what the parser made the session write (continuations).
func parseOne(t testing.TB, input string, opt Options) (*Command, error, string) {
	t.Helper()
	var out bytes.Buffer
	w := NewWriter(&out)
	if opt.Continue == nil {
		opt.Continue = w.ContinueLiteral
	}
	p := NewParser(strings.NewReader(input), opt)
	p.Enable("QRESYNC")
	cmd, err := p.ReadCommand()
	w.Flush()
	return cmd, err, out.String()
}

func seqSet(s string) imap.NumSet {
	set, ok := ParseNumSet([]byte(s), false, true)
	if !ok {
		panic(s)
	}
	return set
}

func uidSet(s string) imap.NumSet {
	set, ok := ParseNumSet([]byte(s), true, true)
	if !ok {
		panic(s)
	}
	return set
}

// TestParseCommands checks the parsed value of every command form.
func TestParseCommands(t *testing.T) {
	date := time.Date(2020, 1, 1, 10, 0, 0, 0, time.FixedZone("", 0))
	tests := []struct {
		in   string
		name string
		uid  bool
		args any
	}{
		{"a CAPABILITY\r\n", "CAPABILITY", false, nil},
		{"a noop\r\n", "NOOP", false, nil},
		{"a LOGOUT\n", "LOGOUT", false, nil},
		{"a STARTTLS\r\n", "STARTTLS", false, nil},
		{"a LOGIN alice \"pw d\"\r\n", "LOGIN", false, &Login{"alice", "pw d"}},
		{"a LOGIN {5}\r\nalice {2}\r\npw\r\n", "LOGIN", false, &Login{"alice", "pw"}},
		{"a LOGIN {5+}\r\nalice \"p\\\\w\\\"\"\r\n", "LOGIN", false, &Login{"alice", `p\w"`}},
		{"a AUTHENTICATE plain\r\n", "AUTHENTICATE", false, &Authenticate{Mechanism: "PLAIN"}},
		{"a AUTHENTICATE PLAIN AGFsaWNlAHB3\r\n", "AUTHENTICATE", false,
			&Authenticate{Mechanism: "PLAIN", InitialResponse: "AGFsaWNlAHB3", HasInitialResponse: true}},
		{"a AUTHENTICATE PLAIN =\r\n", "AUTHENTICATE", false,
			&Authenticate{Mechanism: "PLAIN", InitialResponse: "=", HasInitialResponse: true}},
		{"a COMPRESS DEFLATE\r\n", "COMPRESS", false, &Compress{"DEFLATE"}},
		{"a ENABLE CONDSTORE utf8=accept\r\n", "ENABLE", false, &Enable{[]string{"CONDSTORE", "utf8=accept"}}},
		{"a ID NIL\r\n", "ID", false, &ID{}},
		{"a ID (\"name\" \"x\" \"os\" NIL)\r\n", "ID", false,
			&ID{[]IDParam{{"name", strp("x")}, {"os", nil}}}},
		{"a SELECT INBOX\r\n", "SELECT", false, &Select{Mailbox: "INBOX"}},
		{"a EXAMINE \"a b\" (CONDSTORE)\r\n", "EXAMINE", false,
			&Select{Mailbox: "a b", Options: imap.SelectOptions{ReadOnly: true, CondStore: true}}},
		{"a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n", "SELECT", false,
			&Select{Mailbox: "INBOX", QResync: &QResyncParam{UIDValidity: 67890007, ModSeq: 20050715194045000,
				KnownUIDs: uidSet("41,43:211,214:541")}}},
		{"a SELECT INBOX (QRESYNC (1 2 1:9 (1,3 5,7)) ANNOTATE)\r\n", "SELECT", false,
			&Select{Mailbox: "INBOX", Annotate: true, QResync: &QResyncParam{UIDValidity: 1, ModSeq: 2,
				KnownUIDs: uidSet("1:9"), SeqMatch: &QResyncSeqMatch{seqSet("1,3"), uidSet("5,7")}}}},
		{"a SELECT INBOX (QRESYNC (1 2 (1 5)))\r\n", "SELECT", false,
			&Select{Mailbox: "INBOX", QResync: &QResyncParam{UIDValidity: 1, ModSeq: 2,
				SeqMatch: &QResyncSeqMatch{seqSet("1"), uidSet("5")}}}},
		{"a CREATE foo\r\n", "CREATE", false, &Create{Mailbox: "foo"}},
		{"a CREATE foo (USE (\\Drafts \\Sent))\r\n", "CREATE", false,
			&Create{Mailbox: "foo", Params: []CreateParam{{"USE", []string{`\Drafts`, `\Sent`}, true}}}},
		{"a CREATE foo (partition p2 USE ())\r\n", "CREATE", false,
			&Create{Mailbox: "foo", Params: []CreateParam{{"PARTITION", []string{"p2"}, false}, {"USE", nil, true}}}},
		{"a CREATE foo srv!p2\r\n", "CREATE", false, &Create{Mailbox: "foo", Server: "srv", Partition: "p2", Legacy: true}},
		{"a DELETE foo\r\n", "DELETE", false, &MailboxArg{"foo"}},
		{"a RENAME a b\r\n", "RENAME", false, &Rename{From: "a", To: "b"}},
		{"a RENAME a b p3\r\n", "RENAME", false, &Rename{From: "a", To: "b", Partition: "p3"}},
		{"a SUBSCRIBE foo\r\n", "SUBSCRIBE", false, &Subscribe{Mailbox: "foo"}},
		{"a UNSUBSCRIBE ns foo\r\n", "UNSUBSCRIBE", false, &Subscribe{Namespace: "ns", Mailbox: "foo", HasNS: true}},
		{"a LIST \"\" %\r\n", "LIST", false, &List{Patterns: []string{"%"}}},
		{"a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (a b) RETURN (CHILDREN STATUS (MESSAGES UNSEEN) MYRIGHTS SPECIAL-USE)\r\n",
			"LIST", false, &List{Patterns: []string{"a", "b"}, Extended: true,
				Options: imap.ListOptions{SelectSubscribed: true, SelectRecursiveMatch: true, ReturnSubscribed: true,
					ReturnChildren: true, ReturnSpecialUse: true,
					ReturnStatus: &imap.StatusOptions{NumMessages: true, NumUnseen: true}},
				ReturnStatus: &StatusItems{StatusOptions: imap.StatusOptions{NumMessages: true, NumUnseen: true},
					Order: []string{"MESSAGES", "UNSEEN"}},
				ReturnMyRights: true}},
		{"a LIST (SPECIAL-USE METADATA (DEPTH 1)) \"\" * RETURN (METADATA (/shared/comment))\r\n", "LIST", false,
			&List{Patterns: []string{"*"}, Extended: true,
				Options:        imap.ListOptions{SelectSpecialUse: true, ReturnSpecialUse: true},
				SelectMetadata: true, MetadataOptions: []string{"DEPTH", "1"},
				ReturnMetadata: []string{"/shared/comment"}, HasReturnMetadata: true}},
		{"a XLIST \"\" *\r\n", "XLIST", false, &List{Patterns: []string{"*"}}},
		{"a LSUB \"\" *\r\n", "LSUB", false, &Lsub{Pattern: "*"}},
		{"a SCAN \"\" * text\r\n", "SCAN", false, &Scan{Pattern: "*", Text: "text"}},
		{"a NAMESPACE\r\n", "NAMESPACE", false, nil},
		{"a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE HIGHESTMODSEQ MAILBOXID CREATEDMODSEQ)\r\n",
			"STATUS", false, &StatusCmd{Mailbox: "INBOX", Items: StatusItems{
				StatusOptions: imap.StatusOptions{NumMessages: true, NumRecent: true, UIDNext: true,
					UIDValidity: true, NumUnseen: true, Size: true, HighestModSeq: true},
				MailboxID: true, CreatedModSeq: true,
				Order: []string{"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "SIZE",
					"HIGHESTMODSEQ", "MAILBOXID", "CREATEDMODSEQ"}}}},
		{"a CHECK\r\n", "CHECK", false, nil},
		{"a CLOSE\r\n", "CLOSE", false, nil},
		{"a UNSELECT\r\n", "UNSELECT", false, nil},
		{"a EXPUNGE\r\n", "EXPUNGE", false, nil},
		{"a UID EXPUNGE 3:5,7\r\n", "EXPUNGE", true, &UIDExpunge{uidSet("3:5,7")}},
		{"a IDLE\r\n", "IDLE", false, nil},
		{"a UNAUTHENTICATE\r\n", "UNAUTHENTICATE", false, nil},
		{"a COPY 1:* INBOX\r\n", "COPY", false, &Copy{seqSet("1:*"), "INBOX"}},
		{"a UID MOVE 5,3 \"Junk\"\r\n", "MOVE", true, &Copy{uidSet("3,5"), "Junk"}},
		{"a XMOVE 2 Junk\r\n", "XMOVE", false, &Copy{seqSet("2"), "Junk"}},
		{"a GETACL INBOX\r\n", "GETACL", false, &MailboxArg{"INBOX"}},
		{"a SETACL INBOX bob +lrs\r\n", "SETACL", false, &SetACL{"INBOX", "bob", "+lrs"}},
		{"a DELETEACL INBOX bob\r\n", "DELETEACL", false, &ACLIdentifier{"INBOX", "bob"}},
		{"a LISTRIGHTS INBOX bob\r\n", "LISTRIGHTS", false, &ACLIdentifier{"INBOX", "bob"}},
		{"a MYRIGHTS INBOX\r\n", "MYRIGHTS", false, &MailboxArg{"INBOX"}},
		{"a GETQUOTA \"\"\r\n", "GETQUOTA", false, &MailboxArg{""}},
		{"a GETQUOTAROOT INBOX\r\n", "GETQUOTAROOT", false, &MailboxArg{"INBOX"}},
		{"a SETQUOTA user.bob (STORAGE 512 message -1)\r\n", "SETQUOTA", false,
			&SetQuota{Root: "user.bob", Limits: []QuotaLimit{{"STORAGE", 512}, {"message", -1}}}},
		{"a SETQUOTA +user.bob ()\r\n", "SETQUOTA", false, &SetQuota{Root: "user.bob", Force: true}},
		{"a GETMETADATA INBOX /shared/Comment\r\n", "GETMETADATA", false,
			&GetMetadata{Mailboxes: []string{"INBOX"}, Entries: []string{"/shared/comment"}}},
		{"a GETMETADATA (MAXSIZE 1024 DEPTH infinity) \"\" (/private/a /shared/b)\r\n", "GETMETADATA", false,
			&GetMetadata{Mailboxes: []string{""}, Entries: []string{"/private/a", "/shared/b"},
				MaxSize: u64p(1024), Depth: "infinity"}},
		{"a GETMETADATA user.* (DEPTH 0) /shared\r\n", "GETMETADATA", false,
			&GetMetadata{Mailboxes: []string{"user.*"}, MailboxIsPattern: true, Entries: []string{"/shared"}, Depth: "0"}},
		{"a SETMETADATA INBOX (/shared/comment \"hello\" /private/x NIL /shared/y {3}\r\na\x00b)\r\n", "SETMETADATA", false,
			&SetMetadata{"INBOX", []MetadataEntry{{"/shared/comment", []byte("hello")}, {"/private/x", nil},
				{"/shared/y", []byte("a\x00b")}}}},
		{"a STORE 1:3 +FLAGS.SILENT (\\Seen $Junk)\r\n", "STORE", false,
			&Store{Set: seqSet("1:3"), Flags: imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true,
				Flags: []imap.Flag{imap.FlagSeen, "$Junk"}}}},
		{"a UID STORE 9 (UNCHANGEDSINCE 12345) -FLAGS \\Deleted\r\n", "STORE", true,
			&Store{Set: uidSet("9"), UnchangedSince: 12345, HasUnchanged: true,
				Flags: imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagDeleted}}}},
		{"a STORE 1 FLAGS ()\r\n", "STORE", false, &Store{Set: seqSet("1"), Flags: imap.StoreFlags{Op: imap.StoreFlagsSet}}},
		{"a STORE 1 ANNOTATION (/comment (value.priv \"x\" value.shared NIL))\r\n", "STORE", false,
			&Store{Set: seqSet("1"), Flags: imap.StoreFlags{Silent: true},
				Annotations: []AnnotationStore{{"/comment", []AnnotationValue{{"value.priv", []byte("x")}, {"value.shared", nil}}}}}},
		{"a THREAD REFERENCES UTF-8 SINCE 1-Feb-2020\r\n", "THREAD", false,
			&Thread{Algorithm: "REFERENCES", Charset: "UTF-8", Program: &SearchKey{Op: SearchAnd,
				Keys: []*SearchKey{{Op: SearchSince, Date: time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC)}}}}},
		{"a UID SORT (REVERSE DATE SUBJECT) UTF-8 ALL\r\n", "SORT", true,
			&Sort{Criteria: []SortCriterion{{Key: "date", Reverse: true}, {Key: "subject"}}, Charset: "UTF-8",
				Program: &SearchKey{Op: SearchAnd, Keys: []*SearchKey{{Op: SearchAll}}}}},
		{"a SORT RETURN (MIN COUNT) (ANNOTATION /comment value.priv HASFLAG $x) us-ascii UNSEEN\r\n", "SORT", false,
			&Sort{Return: &SearchReturn{SearchOptions: imap.SearchOptions{ReturnMin: true, ReturnCount: true}},
				Criteria: []SortCriterion{{Key: "annotation", Args: []string{"/comment", "value.priv"}},
					{Key: "hasflag", Args: []string{"$x"}}}, Charset: "us-ascii",
				Program: &SearchKey{Op: SearchAnd, Keys: []*SearchKey{{Op: SearchUnseen}}}}},
		{"a APPEND INBOX {3+}\r\nabc\r\n", "APPEND", false, &Append{Mailbox: "INBOX"}},
		{"a GETMETADATA INBOX (/shared/a)\r\n", "GETMETADATA", false,
			&GetMetadata{Mailboxes: []string{"INBOX"}, Entries: []string{"/shared/a"}}},
	}
	_ = date
	for _, tc := range tests {
		cmd, err, _ := parseOne(t, tc.in, Options{})
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if cmd.Tag != "a" || cmd.Name != tc.name || cmd.UID != tc.uid {
			t.Errorf("%q: got tag %q name %q uid %v", tc.in, cmd.Tag, cmd.Name, cmd.UID)
		}
		if a, ok := cmd.Args.(*Append); ok {
			if a.Mailbox != tc.args.(*Append).Mailbox {
				t.Errorf("%q: mailbox %q", tc.in, a.Mailbox)
			}
			continue
		}
		if !reflect.DeepEqual(cmd.Args, tc.args) {
			t.Errorf("%q:\n got %#v\nwant %#v", tc.in, cmd.Args, tc.args)
		}
	}
}

func strp(s string) *string { return &s }
func u64p(n uint64) *uint64 { return &n }

// TestNumSetWraps: numbers beyond 2^32-1 wrap as Cyrus's read_num's
// unsigned arithmetic makes them (test/imap fetch/sequence-sets).
func TestNumSetWraps(t *testing.T) {
	for in, want := range map[string]string{
		"1:4294967296": "1",          // 1:0, and 0 in a range is 1
		"4294967297":   "1",          // 2^32+1
		"4294967295":   "4294967295", // the largest, kept
		"2:4294967298": "2",          // 2:2
	} {
		if got := seqSet(in).String(); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

// TestDateTimeBeforeEpoch: Cyrus answers BAD for an APPEND date whose
// wall-clock time is before 1970 (test/imap append/dates).
func TestDateTimeBeforeEpoch(t *testing.T) {
	for in, ok := range map[string]bool{
		"05-Jan-1969 10:00:00 +0000": false,
		"31-Dec-1969 23:59:59 -0100": false,
		"01-Jan-1970 00:00:00 +0100": true, // the wall clock decides, not the instant
		"05-Jan-2024 10:00:00 +0000": true,
	} {
		if _, got := ParseDateTime(in); got != ok {
			t.Errorf("%q: ok=%v, want %v", in, got, ok)
		}
	}
}
