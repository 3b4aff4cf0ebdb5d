// Command cyr_expire does the periodic cleanup of a Cyrus spool, as Cyrus
// 3.6.1's cyr_expire(8) does (spec/tools.md §6.1): expiry of messages by
// the /vendor/cmu/cyrus-imapd/expire annotation, removal of expunged
// messages (-X), of delayed-deleted mailboxes (-D), of old duplicate
// delivery records (-E), of unused user flags (-t), and archiving of old
// messages to the archive partitions (-A, archive.go).
//
//	cyr_expire [-C file] [-A dur] [-D dur] [-E dur] [-X dur] [-p prefix | -u user] [-t] [-v] [-a] [-c] [-x]
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"gyrus/lib/annotate"
	"gyrus/lib/duplicate"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/reconstruct"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

const usageText = `Usage: cyr_expire [OPTIONS] {mailbox|users}
Expires messages, expunged messages, deleted mailboxes and duplicate
delivery records.

-a                       do not look at the expire/delete/archive annotations
-c                       do not expire conversations
-h                       print this help and exit
-p <mailbox-prefix>      only mailboxes starting with this prefix
-t                       remove user flags that no message uses
-u <user-id>             only this user's mailboxes
-v                       say what is done (on stderr)
-x                       do not remove expunged messages
-C <config-file>         use <config-file> instead of imapd.conf
-A <archive-duration>    archive messages older than this
-D <delete-duration>     remove mailboxes deleted longer ago than this
-E <expire-duration>     expire duplicate delivery records older than this
-X <expunge-duration>    remove messages expunged longer ago than this

Durations are a number (fractions allowed) with an optional unit:
d (days, the default), h, m or s.
`

const day = 24 * 60 * 60

func main() {
	tool.Main(program(os.Stderr))
}

// program is the command line, separate from main for the tests.
func program(stderr io.Writer) tool.Program {
	return tool.Program{
		Name:      "cyr_expire",
		Usage:     "expire messages, expunged messages, deleted mailboxes and duplicate records",
		ArgsUsage: "[-A dur] [-D dur] [-E dur] [-X dur] [-p prefix | -u user] [-t] [-v] [-a] [-c] [-x]",
		UsageText: usageText,
		LazyInit:  true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "A", Usage: "archive messages older than dur"},
			&cli.StringFlag{Name: "D", Usage: "remove mailboxes deleted longer than dur ago"},
			&cli.StringFlag{Name: "E", Usage: "expire duplicate delivery records older than dur"},
			&cli.StringFlag{Name: "X", Usage: "remove messages expunged longer than dur ago"},
			&cli.StringFlag{Name: "p", Usage: "only mailboxes starting with this prefix"},
			&cli.StringFlag{Name: "u", Usage: "only this user's mailboxes"},
			&cli.BoolFlag{Name: "t", Usage: "remove unused user flags"},
			&cli.BoolFlag{Name: "v", Usage: "verbose"},
			&cli.BoolFlag{Name: "a", Usage: "ignore the expire, delete and archive annotations"},
			&cli.BoolFlag{Name: "c", Usage: "do not expire conversations"},
			&cli.BoolFlag{Name: "x", Usage: "do not remove expunged messages"},
			&cli.BoolFlag{Name: "h", Usage: "help"},
		},
		Action: func(ctx *tool.Context) error { return run(ctx, stderr) },
	}
}

// args are the parsed options; a duration of -1 is "not given".
type args struct {
	archive, del, expire, expunge int64
	doExpunge, userflags, noAnnot bool
	prefix, user                  string
}

type expirer struct {
	args
	env     *reconstruct.Env
	ns      *mboxname.Namespace
	verbose bool
	stderr  io.Writer
	now     int64

	// expire pass
	expireMarks                        map[string]int64 // per mailbox uniqueid, for -E
	seenBoxes, seenMsgs, expired, gone uint64
	userflagsRemoved                   uint64
	deleteList                         []string
}

func run(ctx *tool.Context, stderr io.Writer) error {
	a := args{archive: -1, del: -1, expire: -1, expunge: -1, doExpunge: !ctx.Bool("x"),
		userflags: ctx.Bool("t"), noAnnot: ctx.Bool("a"), prefix: ctx.String("p"), user: ctx.String("u")}
	if ctx.Bool("h") || (ctx.IsSet("p") && ctx.IsSet("u")) {
		return tool.Usage("")
	}
	for _, d := range []struct {
		flag string
		dst  *int64
	}{{"A", &a.archive}, {"D", &a.del}, {"E", &a.expire}, {"X", &a.expunge}} {
		if !ctx.IsSet(d.flag) {
			continue
		}
		secs, ok := ParseDuration(ctx.String(d.flag))
		if !ok {
			return tool.Usage("")
		}
		*d.dst = secs
	}
	if a.archive < 0 && a.del < 0 && a.expire < 0 && a.expunge < 0 && !a.userflags {
		fmt.Fprintln(stderr, "Missing arguments.")
		return tool.Usage("")
	}
	if err := ctx.Init(); err != nil {
		return err
	}
	c := ctx.Config
	env, err := reconstruct.OpenEnvAnyPartition(c)
	if err != nil {
		return tool.Fatal(sysexits.Config, "%v", err)
	}
	defer env.Close()
	dpath, dbackend := duplicate.PathFromConfig(c)
	dup, err := duplicate.Open(dpath, dbackend)
	if err != nil {
		fmt.Fprintln(stderr, "cyr_expire: unable to init duplicate delivery database")
		return tool.Exit(1)
	}
	defer dup.Close()
	e := &expirer{args: a, env: env, ns: env.List.NS(), verbose: ctx.Bool("v"), stderr: stderr,
		now: time.Now().Unix(), expireMarks: map[string]int64{}}
	if e.prefix != "" {
		if n, err := e.ns.ParseExternal(e.prefix, mboxname.Viewer{IsAdmin: true}); err == nil {
			e.prefix = e.ns.Internal(n)
		}
	}
	e.doArchive(archivePolicy{enabled: c.ArchiveEnabled(), maxSize: int64(c.ArchiveMaxsize()) * 1024,
		keepFlagged: c.ArchiveKeepflagged()})
	e.doExpunge()
	if c.Conversations() && !ctx.Bool("c") {
		e.verbosef("conversations are not supported by Gyrus: no conversations to expire")
	}
	e.doDelete(c.DeleteMode() == "delayed" && c.Deletedprefix() != "")
	if a.expire > 0 {
		res, err := dup.Prune(e.now-a.expire, e.expireMarks)
		if err != nil {
			log.Error("duplicate_prune", "error", err.Error())
		} else {
			log.Info("duplicate_prune: purged", "deleted", res.Deleted, "total", res.Total)
		}
	}
	return nil
}

// verbosef prints a line on stderr with -v (Cyrus's verbosep, whose
// callers all end their format with a newline, to which it adds one: so
// every line is followed by an empty one).
func (e *expirer) verbosef(format string, a ...any) {
	if e.verbose {
		fmt.Fprintf(e.stderr, format+"\n\n", a...)
	}
}

// walk calls fn for the mailboxes of the run: the user's (-u, deleted
// ones included) or those starting with the prefix.
func (e *expirer) walk(flags mboxlist.IterFlags, fn func(*mboxlist.Entry) error) error {
	l := e.env.List
	if e.user != "" {
		inbox := e.ns.Internal(e.ns.FromUserID(e.user))
		return l.Tree(inbox, flags|mboxlist.WithDeleted, fn)
	}
	return l.Foreach(e.prefix, flags, fn)
}

// annotation reads a duration annotation of a mailbox itself (Cyrus
// get_annotation_value). Cyrus 3.6.1's loop means to climb to the parents
// and the server but asks the same mailbox each time: an annotation on a
// parent or on the server is not looked at. Gyrus does the same, so that a
// server-wide expire annotation that Cyrus ignores does not expire every
// message of the spool here.
func (e *expirer) annotation(m *mboxlist.Entry, entry string) (int64, bool) {
	db := e.env.Annot
	if db == nil || e.noAnnot {
		return 0, false
	}
	v, ok, err := db.Get(annotate.Target{UniqueID: m.UniqueID, Owner: e.ns.UserOf(m.Name)}, entry, "")
	if err != nil || !ok {
		return 0, false
	}
	return ParseDuration(string(v))
}

// doExpunge is the expire pass (Cyrus do_expunge): stale tombstones,
// messages past their mailbox's expire annotation, unused user flags,
// and expunged messages older than -X.
func (e *expirer) doExpunge() {
	if !e.args.doExpunge {
		return
	}
	mark := int64(0)
	if e.expunge >= 0 {
		mark = e.now - e.expunge
		e.verbosef("Expunging deleted messages in mailboxes older than %0.2f days", float64(e.expunge)/day)
	}
	tombstoneMark := e.now - 7*day
	err := e.walk(mboxlist.WithTombstones, func(m *mboxlist.Entry) error {
		switch {
		case m.Type.Has(mboxlist.Remote):
		case m.Type.Has(mboxlist.Deleted):
			if m.MTime < tombstoneMark {
				e.verbosef("Removing stale tombstone for %s", m.Name)
				log.Info("Removing stale tombstone", "mailbox", m.Name)
				e.env.List.Update(func(tx *mboxlist.Tx) error { return tx.Put(m.Name, nil) })
			}
		case m.IsActive():
			e.expireMailbox(m, mark)
		}
		return nil
	})
	if err != nil {
		log.Error("cyr_expire", "error", err.Error())
	}
	log.Info("expire", "expired", e.expired, "expunged", e.gone, "messages", e.seenMsgs, "mailboxes", e.seenBoxes)
	e.verbosef("\nExpired %d and expunged %d out of %d messages from %d mailboxes", e.expired, e.gone, e.seenMsgs, e.seenBoxes)
	if e.userflags {
		e.verbosef("Expunged %d user flags", e.userflagsRemoved)
	}
}

// openTx opens m and begins a transaction on it; ok is false (the
// reason logged, the mailbox closed) when it cannot. An open failure is
// logged only with logOpen (archiving skips such a mailbox silently).
func (e *expirer) openTx(m *mboxlist.Entry, logOpen bool) (mb *mailbox.Mailbox, tx *mailbox.Tx, ok bool) {
	loc, err := e.env.List.Settings().Locate(m)
	if err != nil {
		return nil, nil, false
	}
	mb, err = mailbox.Open(loc, e.env.Mailbox, mailbox.ReadWrite)
	if err != nil {
		if logOpen {
			log.Warn("unable to open mailbox", "mailbox", m.Name, "error", err.Error())
		}
		return nil, nil, false
	}
	tx, err = mb.Begin()
	if err != nil {
		log.Warn("unable to lock mailbox", "mailbox", m.Name, "error", err.Error())
		mb.Close()
		return nil, nil, false
	}
	return mb, tx, true
}

func (e *expirer) expireMailbox(m *mboxlist.Entry, expungeMark int64) {
	mb, tx, ok := e.openTx(m, true)
	if !ok {
		return
	}
	defer mb.Close()
	var used [4]uint32
	didExpunge := false
	if secs, ok := e.annotation(m, index.AnnotNS+"expire"); ok {
		expireMark := int64(0)
		if secs != 0 {
			expireMark = e.now - secs
		}
		e.expireMarks[m.UniqueID] = expireMark
		if secs != 0 {
			e.verbosef("expiring messages in %s older than %0.2f days", m.Name, float64(secs)/day)
			_, err := tx.Expunge(func(r *index.Record) bool {
				if int64(r.GMTime) < expireMark {
					e.expired++
					return true
				}
				for i := range used {
					used[i] |= r.UserFlags[i]
				}
				return false
			})
			if err != nil {
				log.Error("failed to expire old messages", "mailbox", m.Name, "error", err.Error())
			}
			didExpunge = true
		}
	}
	if !didExpunge && e.userflags {
		tx.ForEach(func(r index.Record) error {
			if !r.Expunged() {
				for i := range used {
					used[i] |= r.UserFlags[i]
				}
			}
			return nil
		})
	}
	e.seenMsgs += uint64(tx.Header().NumRecords)
	if e.userflags {
		names := tx.UserFlags()
		for slot, n := range names {
			if n == "" || used[slot/32]&(1<<(slot%32)) != 0 {
				continue
			}
			e.verbosef("Expunging userflag %d (%s) from %s", slot, n, m.Name)
			if err := tx.RemoveUserFlag(slot); err == nil {
				e.userflagsRemoved++
			}
		}
	}
	e.verbosef("cleaning up expunged messages in %s", m.Name)
	n, err := tx.ExpungeCleanup(time.Unix(expungeMark, 0))
	e.gone += uint64(n)
	e.seenBoxes++
	if err != nil {
		log.Warn("failure expiring", "mailbox", m.Name, "error", err.Error())
		tx.Abort()
		return
	}
	if err := tx.Commit(); err != nil {
		log.Warn("failure expiring", "mailbox", m.Name, "error", err.Error())
	}
}

// doDelete removes the mailboxes of the DELETED hierarchy that were
// deleted before the mark (Cyrus do_delete).
func (e *expirer) doDelete(delayed bool) {
	if e.del < 0 || !delayed {
		return
	}
	e.verbosef("Removing deleted mailboxes older than %0.2f days", float64(e.del)/day)
	mark := e.now - e.del
	var list []string
	e.walk(mboxlist.WithIntermediates, func(m *mboxlist.Entry) error {
		if m.Type.Has(mboxlist.Deleted) || m.Type.Has(mboxlist.Remote) {
			return nil
		}
		ts := int64(e.ns.ParseInternal(m.Name).Deleted)
		if ts == 0 || !strings.HasPrefix(strings.TrimPrefix(m.Name, domainOf(m.Name)), e.ns.DeletedPrefix+".") {
			return nil
		}
		dm := mark
		if secs, ok := e.annotation(m, index.AnnotNS+"delete"); ok {
			dm = 0
			if secs != 0 {
				dm = e.now - secs
			}
		}
		if ts > dm {
			return nil
		}
		e.verbosef("Cleaning up %s", m.Name)
		list = append(list, m.Name)
		return nil
	})
	count := 0
	for _, name := range list {
		e.verbosef("Removing: %s", name)
		_, err := e.env.List.Delete(mboxlist.DeleteRequest{Name: name, IsAdmin: true, Immediate: true,
			KeepIntermediaries: true, Force: true})
		if err != nil && !errors.Is(err, mboxlist.ErrNotFound) {
			log.Error("failed to delete", "mailbox", name, "error", err.Error())
		}
		count++
	}
	e.verbosef("Removed %d deleted mailboxes", count)
	log.Info("Removed deleted mailboxes", "count", count)
}

func domainOf(name string) string {
	if i := strings.IndexByte(name, '!'); i >= 0 {
		return name[:i+1]
	}
	return ""
}
