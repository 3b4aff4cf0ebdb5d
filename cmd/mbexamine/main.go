// Command mbexamine prints what a mailbox's cyrus.header, cyrus.index and
// cyrus.cache hold, as Cyrus 3.6.1's mbexamine(8) does (spec/tools.md
// §3.5), for debugging:
//
//	mbexamine [-C file] [-u uid | -s seqnum] mailbox...
//	mbexamine [-C file] -q mailbox...
//	mbexamine [-C file] -c mailbox...
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/message"
	"gyrus/lib/reconstruct"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

const usageText = "usage: mbexamine [-C <alt_config>] [-s seqnum] mailbox...\n" +
	"       mbexamine [-C <alt_config>] [-u uid] mailbox...\n" +
	"       mbexamine [-C <alt_config>] -q mailbox...\n" +
	"       mbexamine [-C <alt_config>] -c mailbox...\n"

func main() {
	tool.Main(program(os.Stdout))
}

// program is the command line, separate from main for the tests.
func program(stdout io.Writer) tool.Program {
	return tool.Program{
		Name:      "mbexamine",
		Usage:     "print the contents of mailbox files",
		ArgsUsage: "[-u uid | -s seqnum | -q | -c] mailbox...",
		UsageText: usageText,
		LazyInit:  true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "u", Usage: "only the message of this UID"},
			&cli.StringFlag{Name: "s", Usage: "only the message of this sequence number"},
			&cli.BoolFlag{Name: "q", Usage: "compare the quota usage with the message files"},
			&cli.BoolFlag{Name: "c", Usage: "compare the index records with the message files"},
		},
		Action: func(ctx *tool.Context) error { return run(ctx, stdout) },
	}
}

type examiner struct {
	w         io.Writer
	env       *reconstruct.Env
	wantUID   bool
	wantValue uint32
}

func run(ctx *tool.Context, stdout io.Writer) error {
	if ctx.IsSet("u") && ctx.IsSet("s") {
		return tool.Usage("")
	}
	x := &examiner{w: stdout}
	if ctx.IsSet("u") {
		x.wantUID, x.wantValue = true, uint32(atoi(ctx.String("u")))
	} else if ctx.IsSet("s") {
		x.wantValue = uint32(atoi(ctx.String("s")))
	}
	if err := ctx.Init(); err != nil {
		return err
	}
	env, err := reconstruct.OpenEnvAnyPartition(ctx.Config)
	if err != nil {
		return tool.Fatal(sysexits.Config, "%v", err)
	}
	defer env.Close()
	x.env = env
	do := x.examine
	switch {
	case ctx.Bool("q"):
		do = x.quota
	case ctx.Bool("c"):
		do = x.compare
	}
	patterns := ctx.Args().Slice()
	if len(patterns) == 0 {
		patterns = []string{"*"}
	}
	admin := mboxname.Viewer{IsAdmin: true}
	for _, p := range patterns {
		err := env.List.FindAll([]string{p}, admin, 0, func(f mboxlist.Found) error {
			if !f.Entry.IsActive() {
				return nil
			}
			return do(f.Entry, f.External)
		})
		if err != nil {
			break // Cyrus stops the pattern at a mailbox it cannot open
		}
	}
	return nil
}

// atoi is C's atoi.
func atoi(s string) int {
	n, i, neg := 0, 0, false
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
		if n > 1<<32 {
			n = 1 << 32
		}
	}
	if neg {
		return -n
	}
	return n
}

func (x *examiner) open(e *mboxlist.Entry) (*mailbox.Mailbox, error) {
	loc, err := x.env.List.Settings().Locate(e)
	if err != nil {
		return nil, err
	}
	return mailbox.Open(loc, x.env.Mailbox, mailbox.ReadOnly)
}

// ctime is C's ctime(3) in local time.
func ctime(t uint32) string {
	return time.Unix(int64(t), 0).Format("Mon Jan _2 15:04:05 2006") + "\n"
}

// examine is the default dump (Cyrus do_examine).
func (x *examiner) examine(e *mboxlist.Entry, ext string) error {
	w := x.w
	fmt.Fprintf(w, "Examining %s...", ext)
	mb, err := x.open(e)
	if err != nil {
		return err
	}
	defer mb.Close()
	mh := mb.MailboxHeader()
	h := mb.Header()
	loc := mb.Location()
	fmt.Fprintf(w, " Mailbox Header Info:\n")
	fmt.Fprintf(w, "  Path to mailbox: %s\n", loc.Dir)
	fmt.Fprintf(w, "  Mailbox ACL: %s\n", e.ACL)
	fmt.Fprintf(w, "  Unique ID: %s\n", e.UniqueID)
	fmt.Fprintf(w, "  User Flags: ")
	i := 0
	for ; i < index.MaxUserFlags && mh.Flags[i] != ""; i++ {
		fmt.Fprintf(w, "%s ", mh.Flags[i])
	}
	if i == 0 {
		fmt.Fprintf(w, "[none]")
	}
	fmt.Fprintf(w, "\n")
	fmt.Fprintf(w, "\n Index Header Info:\n")
	fmt.Fprintf(w, "  Generation Number: %d\n", h.Generation)
	fmt.Fprintf(w, "  Minor Version: %d\n", h.MinorVersion)
	fmt.Fprintf(w, "  Header Size: %d bytes  Record Size: %d bytes\n", h.StartOffset, h.RecordSize)
	fmt.Fprintf(w, "  Number of Messages: %d  Mailbox Size: %d bytes  Annotations Size: %d bytes\n",
		h.Exists, h.QuotaMailboxUsed, h.QuotaAnnotUsed)
	fmt.Fprintf(w, "  Last Append Date: (%d) %s", h.LastAppendDate, ctime(h.LastAppendDate))
	fmt.Fprintf(w, "  UIDValidity: %d  Last UID: %d\n", h.UIDValidity, h.LastUID)
	fmt.Fprintf(w, "  Deleted: %d  Answered: %d  Flagged: %d\n", h.Deleted, h.Answered, h.Flagged)
	fmt.Fprintf(w, "  Mailbox Options:")
	if h.Options&index.OptionsValid == 0 {
		fmt.Fprintf(w, " NONE")
	} else {
		for _, o := range []struct {
			bit  uint32
			name string
		}{{index.OptPOP3NewUIDL, "POP3_NEW_UIDL"}, {index.OptSharedSeen, "IMAP_SHAREDSEEN"},
			{index.OptDupDeliver, "IMAP_DUPDELIVER"}, {index.OptHasAlarms, "IMAP_HAS_ALARMS"}} {
			if h.Options&o.bit != 0 {
				fmt.Fprintf(w, " %s", o.name)
			}
		}
	}
	fmt.Fprintf(w, "\n")
	fmt.Fprintf(w, "  Last POP3 Login: (%d) %s", h.POP3LastLogin, ctime(h.POP3LastLogin))
	fmt.Fprintf(w, "  Highest Mod Sequence: %d\n", h.HighestModSeq)
	fmt.Fprintf(w, "\n Message Info:\n")
	// sic: Cyrus 3.6.1 never advances its message number, so every
	// message is numbered 1 and -s finds only the first one
	const msgno = 1
	found := false
	err = mb.ForEachRecord(func(_ uint32, r *index.Record) error {
		if r.Expunged() {
			return nil
		}
		if x.wantValue != 0 {
			if x.wantUID {
				if r.UID != x.wantValue {
					return nil
				}
			} else if msgno != x.wantValue {
				return nil
			}
			found = true
		}
		x.record(mb, &h, r, msgno)
		if found {
			return mboxlist.ErrStop
		}
		return nil
	})
	if x.wantValue != 0 && !found {
		fmt.Fprintf(w, "Desired message not found\n")
	}
	return nil
}

func (x *examiner) record(mb *mailbox.Mailbox, h *index.Header, r *index.Record, msgno uint32) {
	w := x.w
	fmt.Fprintf(w, "%06d> UID:%08d   INT_DATE:%d SENTDATE:%d SAVEDATE:%d SIZE:%-6d\n",
		msgno, r.UID, r.InternalDate, r.SentDate, r.SaveDate, r.Size)
	fmt.Fprintf(w, "      > HDRSIZE:%-6d LASTUPD :%d SYSFLAGS:%08X", r.HeaderSize, r.LastUpdated, r.SystemFlags)
	if h.MinorVersion >= 6 {
		fmt.Fprintf(w, "      > CACHEVER:%-2d", r.CacheVersion)
	}
	if h.MinorVersion >= 7 {
		fmt.Fprintf(w, " GUID:%s", r.GUIDHex())
	}
	if h.MinorVersion >= 8 {
		fmt.Fprintf(w, " MODSEQ:%d", r.ModSeq)
	}
	if h.MinorVersion >= 13 {
		fmt.Fprintf(w, "  THRID: %x", r.CID)
	}
	fmt.Fprintf(w, "\n")
	fmt.Fprintf(w, "      > INTERNALFLAGS:")
	for _, f := range []struct {
		bit  uint32
		name string
	}{{index.InternalExpunged, "FLAG_INTERNAL_EXPUNGED"}, {index.InternalUnlinked, "FLAG_INTERNAL_UNLINKED"},
		{index.InternalArchived, "FLAG_INTERNAL_ARCHIVED"}, {index.InternalNeedsCleanup, "FLAG_INTERNAL_NEEDS_CLEANUP"},
		{index.InternalSnoozed, "FLAG_INTERNAL_SNOOZED"}} {
		if r.InternalFlags&f.bit != 0 {
			fmt.Fprintf(w, " %s", f.name)
		}
	}
	fmt.Fprintf(w, "      > SYSTEMFLAGS:")
	for _, f := range []struct {
		bit  uint32
		name string
	}{{index.FlagSeen, "FLAG_SEEN"}, {index.FlagDraft, "FLAG_DRAFT"}, {index.FlagDeleted, "FLAG_DELETED"},
		{index.FlagFlagged, "FLAG_FLAGGED"}, {index.FlagAnswered, "FLAG_ANSWERED"}} {
		if r.SystemFlags&f.bit != 0 {
			fmt.Fprintf(w, " %s", f.name)
		}
	}
	fmt.Fprintf(w, "\n")
	fmt.Fprintf(w, "      > USERFLAGS:")
	for j := 3; j >= 0; j-- {
		fmt.Fprintf(w, " %08X", r.UserFlags[j])
	}
	fmt.Fprintf(w, "\n")
	ce, err := mb.CacheEntry(r)
	if err != nil {
		return
	}
	for _, it := range []struct {
		name string
		item int
	}{{"Envel", index.CacheEnvelope}, {"BdyStr", index.CacheBodyStructure}, {"Body", index.CacheBody},
		{"CacHdr", index.CacheHeaders}, {"From", index.CacheFrom}, {"To", index.CacheTo},
		{"Cc", index.CacheCc}, {"Bcc", index.CacheBcc}, {"Subjct", index.CacheSubject}} {
		v := ce.Item(it.item)
		fmt.Fprintf(w, " %s>{%d}%s\n", it.name, len(v), v)
	}
}

// quota compares the index's usage with the message files (Cyrus
// do_quota).
func (x *examiner) quota(e *mboxlist.Entry, ext string) error {
	w := x.w
	fmt.Fprintf(w, "Examining %s...", ext)
	mb, err := x.open(e)
	if err != nil {
		return err
	}
	defer mb.Close()
	loc := mb.Location()
	var total uint64
	bad := false
	mb.ForEachRecord(func(_ uint32, r *index.Record) error {
		if r.Expunged() {
			return nil
		}
		// an archived message's file is in the archive partition
		// (Cyrus mailbox_record_fname)
		st, err := os.Stat(loc.RecordPath(r))
		if err != nil {
			return nil // Cyrus logs it and goes on
		}
		if int64(r.Size) != st.Size() {
			fmt.Fprintf(w, "  Message %d has INCORRECT size in index record\n", r.UID)
			bad = true
			return mboxlist.ErrStop
		}
		total += uint64(st.Size())
		return nil
	})
	if bad {
		return nil
	}
	if mb.Header().QuotaMailboxUsed != total {
		fmt.Fprintf(w, "  Mailbox has INCORRECT total quota usage\n")
	} else {
		fmt.Fprintf(w, "  Mailbox has CORRECT total quota usage\n")
	}
	return nil
}

// rfc5322 is Cyrus's time_to_rfc5322: "Tue, 02 Jan 2024 00:00:00 +0000"
// in local time.
func rfc5322(t uint32) string {
	return time.Unix(int64(t), 0).Format("Mon, 02 Jan 2006 15:04:05 -0700")
}

// fileInfo is a message file parsed for -c.
type fileInfo struct {
	uid     uint32
	ok      bool
	guid    string
	size    uint32
	sent    uint32
	from    []byte
	subject []byte
}

// compare sets the index records beside the message files (Cyrus
// do_compare); matching pairs are not printed.
func (x *examiner) compare(e *mboxlist.Entry, ext string) error {
	w := x.w
	fmt.Fprintf(w, "Examining %s...", ext)
	mb, err := x.open(e)
	if err != nil {
		return err
	}
	defer mb.Close()
	loc := mb.Location()
	d, err := os.Open(loc.Dir)
	if err != nil {
		return err
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	var uids []uint32
	for _, n := range names {
		// sscanf("%u.") accepts any name that starts with digits and a dot
		i := 0
		for i < len(n) && n[i] >= '0' && n[i] <= '9' {
			i++
		}
		if i == 0 || i >= len(n) || n[i] != '.' {
			continue
		}
		u, err := strconv.ParseUint(n[:i], 10, 32)
		if err != nil {
			continue
		}
		uids = append(uids, uint32(u))
	}
	sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
	fmt.Fprintf(w, "\n Mailbox Header Info:\n")
	fmt.Fprintf(w, "  Path to mailbox: %s\n", loc.Dir)
	fmt.Fprintf(w, "\n%-56s\t%s\n", " Index Record Info:", "Message File Info:")
	var recs []index.Record
	mb.ForEachRecord(func(_ uint32, r *index.Record) error {
		recs = append(recs, *r)
		return nil
	})
	parse := func(uid uint32) fileInfo {
		fi := fileInfo{uid: uid}
		f, err := os.Open(loc.MessagePath(uid))
		if err != nil {
			return fi
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return fi
		}
		m, err := message.Parse(f, st.Size(), x.env.Message)
		if err != nil {
			return fi
		}
		fi.ok = true
		fi.guid = fmt.Sprintf("%x", m.GUID)
		fi.size = m.Size
		fi.sent = m.SentDate
		fi.from, fi.subject = m.Items[message.ItemFrom], m.Items[message.ItemSubject]
		return fi
	}
	// C's "%-50.*s": at most 50 bytes, padded with spaces to 50 bytes
	// (Go's width counts runes)
	trunc := func(b []byte) string {
		if len(b) > 50 {
			b = b[:50]
		}
		return string(b) + strings.Repeat(" ", 50-len(b))
	}
	msgno, ri := 0, 0
	for ri < len(recs) || msgno < len(uids) {
		var r *index.Record
		if ri < len(recs) {
			r = &recs[ri]
			ri++
		}
		for {
			var fs fileInfo
			if msgno < len(uids) && (r == nil || uids[msgno] <= r.UID) {
				fs = parse(uids[msgno])
				msgno++
				if r != nil && r.UID == fs.uid && fs.ok && fs.guid == r.GUIDHex() {
					goto next // a match: not printed
				}
			}
			{
				uid := fs.uid
				if r != nil {
					uid = r.UID
				}
				fmt.Fprintf(w, "  UID: %08d\n", uid)
				g := ""
				if r != nil {
					g = r.GUIDHex()
				}
				fmt.Fprintf(w, "   GUID: %-50s", g)
				if fs.uid != 0 {
					if fs.ok {
						fmt.Fprintf(w, "\t%-50s", fs.guid)
					} else {
						fmt.Fprintf(w, "\t%-50s", "Failed to parse file")
					}
				}
				fmt.Fprintf(w, "\n   Size: ")
				if r != nil {
					fmt.Fprintf(w, "%-50d", r.Size)
				} else {
					fmt.Fprintf(w, "%-50s", "")
				}
				if fs.uid != 0 && fs.ok {
					fmt.Fprintf(w, "\t%-50d", fs.size)
				}
				sent := ""
				if r != nil {
					sent = rfc5322(r.SentDate)
				}
				fmt.Fprintf(w, "\n   Date: %-50s", sent)
				if fs.uid != 0 && fs.ok {
					fmt.Fprintf(w, "\t%-50s", rfc5322(fs.sent))
				}
				var from, subj []byte
				if r != nil {
					if ce, err := mb.CacheEntry(r); err == nil {
						from, subj = ce.Item(index.CacheFrom), ce.Item(index.CacheSubject)
					}
				}
				fmt.Fprintf(w, "\n   From: %s", trunc(from))
				if fs.uid != 0 && fs.ok {
					fmt.Fprintf(w, "\t%s", trunc(fs.from))
				}
				fmt.Fprintf(w, "\n   Subj: %s", trunc(subj))
				if fs.uid != 0 && fs.ok {
					fmt.Fprintf(w, "\t%s", trunc(fs.subject))
				}
				fmt.Fprintf(w, "\n\n")
			}
		next:
			if !(msgno < len(uids) && (r == nil || uids[msgno] <= r.UID)) {
				break
			}
		}
	}
	return nil
}
