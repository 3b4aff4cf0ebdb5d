package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"gyrus/lib/imapwire"
)

// readNotify parses one NOTIFY command line.
func readNotify(line string) (*notifyArgs, error) {
	p := imapwire.NewParser(strings.NewReader(line), imapwire.Options{})
	p.Register("NOTIFY", parseNotify)
	cmd, err := p.ReadCommand()
	if err != nil {
		return nil, err
	}
	n, ok := cmd.Args.(*notifyArgs)
	if !ok {
		return nil, errors.New("not a NOTIFY")
	}
	return n, nil
}

func TestParseNotify(t *testing.T) {
	mf := func(kind string, mb ...string) imapwire.MailboxFilter {
		return imapwire.MailboxFilter{Kind: kind, Mailboxes: mb}
	}
	good := []struct {
		line string
		want notifyArgs
	}{
		{"a NOTIFY NONE\r\n", notifyArgs{None: true}},
		{"a notify none\r\n", notifyArgs{None: true}},
		// RFC 5465 section 6's examples
		{"a NOTIFY SET STATUS (selected (MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge)) (subtree Lists (MessageNew MessageExpunge))\r\n",
			notifyArgs{Status: true, Groups: []notifyGroup{
				{filter: mf("selected"), events: evMessageNew | evMessageExpunge, fetchAtts: "uid body.peek[header.fields (from to subject)]"},
				{filter: mf("subtree", "Lists"), events: evMessageNew | evMessageExpunge}}}},
		{"a NOTIFY SET (selected (MessageNew (uid flags) MessageExpunge)) (inboxes (MessageNew MessageExpunge)) (mailboxes (\"a b\" c) NONE)\r\n",
			notifyArgs{Groups: []notifyGroup{
				{filter: mf("selected"), events: evMessageNew | evMessageExpunge, fetchAtts: "uid flags"},
				{filter: mf("inboxes"), events: evMessageNew | evMessageExpunge},
				{filter: mf("mailboxes", "a b", "c")}}}},
		{"a NOTIFY SET (personal (MailboxName SubscriptionChange FlagChange AnnotationChange))\r\n",
			notifyArgs{Groups: []notifyGroup{{filter: mf("personal"), events: evMailboxName | evSubscriptionChange | evFlagChange | evAnnotationChange}}}},
		{"a NOTIFY SET (selected-delayed (MessageNew MessageExpunge)) (subscribed (MailboxMetadataChange ServerMetadataChange))\r\n",
			notifyArgs{Groups: []notifyGroup{{filter: mf("selected-delayed"), events: evMessageNew | evMessageExpunge},
				{filter: mf("subscribed"), events: evMailboxMetadataChange | evServerMetadataChange}}}},
	}
	for _, c := range good {
		got, err := readNotify(c.line)
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if !reflect.DeepEqual(*got, c.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", c.line, *got, c.want)
		}
	}
	bad := []string{
		"a NOTIFY\r\n",
		"a NOTIFY SET\r\n",
		"a NOTIFY SET STATUS\r\n",
		"a NOTIFY NONE extra\r\n",
		"a NOTIFY GET (selected NONE)\r\n",
		"a NOTIFY SET (selected)\r\n",
		"a NOTIFY SET (selected ())\r\n",
		"a NOTIFY SET (nowhere NONE)\r\n",
		"a NOTIFY SET (selected (Bogus))\r\n",
		"a NOTIFY SET (subtree NONE)\r\n",
		"a NOTIFY SET (mailboxes () NONE)\r\n",
		"a NOTIFY SET (selected NONE) junk\r\n",
		"a NOTIFY SET (selected NONE extra)\r\n",
		"a NOTIFY SET STAT (selected NONE)\r\n",
		"a NOTIFY SET (selected (MessageNew (uid (flags) MessageExpunge))\r\n",
		"a NOTIFY SET (selected (MessageNew (uid {3}\r\nabc) MessageExpunge))\r\n",
	}
	for _, line := range bad {
		n, err := readNotify(line)
		var ie *imapwire.Error
		if err == nil || !errors.As(err, &ie) || ie.Status != imapwire.StatusBAD {
			t.Errorf("%q: got %+v, %v; want BAD", line, n, err)
		}
	}
}

func TestCheckNotify(t *testing.T) {
	cases := []struct {
		line   string
		status imapwire.Status
		code   string
	}{
		{"a NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) (personal (MailboxName SubscriptionChange))\r\n", "", ""},
		{"a NOTIFY SET (selected (MessageNew))\r\n", imapwire.StatusBAD, ""},
		{"a NOTIFY SET (selected (MessageExpunge))\r\n", imapwire.StatusBAD, ""},
		{"a NOTIFY SET (selected (FlagChange))\r\n", imapwire.StatusBAD, ""},
		{"a NOTIFY SET (inboxes (MessageNew (UID) MessageExpunge))\r\n", imapwire.StatusBAD, ""},
		{"a NOTIFY SET (mailboxes nosuch (MessageNew MessageExpunge))\r\n", "", ""},
		{"a NOTIFY SET (personal (MessageNew MessageExpunge AnnotationChange))\r\n", imapwire.StatusNO,
			"BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange)"},
		{"a NOTIFY SET (personal (ServerMetadataChange MailboxMetadataChange))\r\n", "", ""},
	}
	for _, c := range cases {
		n, err := readNotify(c.line)
		if err != nil {
			t.Fatalf("%q: %v", c.line, err)
		}
		st, code, _ := checkNotify(n)
		if st != c.status || string(code) != c.code {
			t.Errorf("%q: got %q [%s], want %q [%s]", c.line, st, code, c.status, c.code)
		}
	}
}

// FuzzParseNotify: any input parses or fails with an imapwire error,
// and what parses passes checkNotify without a panic.
func FuzzParseNotify(f *testing.F) {
	for _, s := range []string{
		"a NOTIFY NONE\r\n",
		"a NOTIFY SET STATUS (selected (MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge)) (subtree Lists (MessageNew MessageExpunge))\r\n",
		"a NOTIFY SET (mailboxes (\"a b\" {1}\r\nc) NONE)\r\n",
		"a NOTIFY SET (personal (MailboxName SubscriptionChange))\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		n, err := readNotify(line)
		if err != nil {
			return
		}
		if !n.None && len(n.Groups) == 0 {
			t.Fatalf("%q: SET without groups", line)
		}
		checkNotify(n)
	})
}
