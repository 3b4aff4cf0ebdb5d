// Command quota reports the quota roots with their limits and usage, and
// with -f recounts the usage from the mailboxes, as Cyrus 3.6.1's
// quota(8) does (spec/tools.md §3.2):
//
//	quota [-C file] [-d domain] [-f] [-n] [-q] [-J] [-u] [mailbox-spec...]
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"gyrus/lib/lockfile"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/quota"
	"gyrus/lib/reconstruct"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

const usageText = "usage: quota [-C <alt_config>] [-d <domain>] [-f] [-q] [-J] [-n] [-u] [mailbox-spec]...\n"

func main() {
	tool.Main(program(os.Stdout, os.Stderr))
}

// program is the command line, separate from main for the tests.
func program(stdout, stderr io.Writer) tool.Program {
	return tool.Program{
		Name:      "quota",
		Usage:     "report and fix quota usage",
		ArgsUsage: "[-d domain] [-f] [-n] [-q] [-J] [-u] [mailbox-spec...]",
		UsageText: usageText,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "d", Usage: "only quota roots of this domain"},
			&cli.BoolFlag{Name: "f", Usage: "recount the usage from the mailboxes and fix it"},
			&cli.BoolFlag{Name: "n", Usage: "with -f: report what would change, change nothing"},
			&cli.BoolFlag{Name: "q", Usage: "with -f: print no report"},
			&cli.BoolFlag{Name: "J", Usage: "report as JSON"},
			&cli.BoolFlag{Name: "u", Usage: "arguments are userids"},
			&cli.BoolFlag{Name: "Z", Usage: "test hook: wait for <configdirectory>/quota-sync/<mailbox> before each mailbox"},
		},
		NeedPartitions: true,
		Action:         func(ctx *tool.Context) error { return run(ctx, stdout, stderr) },
	}
}

// root is one quota root of the run.
type root struct {
	name     string
	refcount int
	deleted  bool
}

type quotaRun struct {
	env        *reconstruct.Env
	ns         *mboxname.Namespace
	stderr     io.Writer
	roots      []*root
	reportOnly bool
	syncDir    string // -Z
	domain     string
	args       []string
	users      bool
}

func run(ctx *tool.Context, stdout, stderr io.Writer) error {
	env, err := reconstruct.OpenEnv(ctx.Config)
	if err != nil {
		return tool.Fatal(sysexits.Config, "%v", err)
	}
	defer env.Close()
	q := &quotaRun{env: env, ns: env.List.NS(), stderr: stderr, reportOnly: ctx.Bool("n"),
		domain: ctx.String("d"), args: ctx.Args().Slice(), users: ctx.Bool("u")}
	if ctx.Bool("Z") {
		q.syncDir = filepath.Join(ctx.Config.Configdirectory(), "quota-sync")
	}
	report := !ctx.Bool("f") || !ctx.Bool("q")
	// Cyrus's quota_changelock: one quota -f or SETQUOTA at a time
	s := env.List.Settings()
	lockPath := s.Layout.LockPath("$QUOTACHANGE")
	os.MkdirAll(filepath.Dir(lockPath), 0o755)
	lk, err := lockfile.OpenLocked(lockPath, os.O_RDWR|os.O_CREATE, 0o666, lockfile.Exclusive)
	if err != nil {
		return tool.Fatal(sysexits.TempFail, "quota change lock: %v", err)
	}
	err = q.buildList()
	if err == nil && ctx.Bool("f") {
		err = q.fix()
	}
	lk.Close()
	if err != nil {
		return tool.Exit(sysexits.TempFail)
	}
	if report {
		if ctx.Bool("J") {
			return q.reportJSON(stdout)
		}
		q.report(stdout)
	}
	return nil
}

// errmsg prints an error the way Cyrus's quota does (stderr and syslog).
func (q *quotaRun) errmsg(err error, format string, a ...any) {
	msg := fmt.Sprintf(format, a...) + ": " + err.Error()
	log.Error("quota", "error", msg)
	fmt.Fprintln(q.stderr, msg)
}

// prefixes are the quota root prefixes the arguments select.
func (q *quotaRun) prefixes() (out []string, owners []string) {
	dom := ""
	if q.domain != "" {
		dom = q.domain + "!"
	}
	if len(q.args) == 0 {
		return []string{dom}, []string{""}
	}
	admin := mboxname.Viewer{IsAdmin: true}
	for _, a := range q.args {
		if q.users {
			out = append(out, q.ns.Internal(q.ns.FromUserID(a)))
			owners = append(owners, a)
			continue
		}
		name := a
		if n, err := q.ns.ParseExternal(a, admin); err == nil {
			name = q.ns.Internal(n)
		}
		out = append(out, dom+name)
		owners = append(owners, "")
	}
	return out, owners
}

// buildList finds the quota roots (Cyrus buildquotalist), clearing the
// state a crashed quota -f may have left in them.
func (q *quotaRun) buildList() error {
	db := q.env.Quota
	prefixes, owners := q.prefixes()
	for i, p := range prefixes {
		var names []string
		err := db.Foreach(p, func(qr *quota.Quota) error {
			if owners[i] != "" && q.ns.UserOf(qr.Root) != owners[i] {
				return nil
			}
			names = append(names, qr.Root)
			return nil
		})
		if err != nil {
			q.errmsg(err, "failed building quota list for '%s'", p)
			return err
		}
		for _, n := range names {
			err := db.Modify(n, false, true, func(qr *quota.Quota) error {
				if qr.ScanMbox == "" {
					return errNoChange
				}
				qr.ScanMbox = ""
				qr.ScanUsed = [quota.NumResources]int64{}
				return nil
			})
			if err != nil && !errors.Is(err, errNoChange) {
				q.errmsg(err, "failed reading quota record for '%s'", n)
				continue
			}
			q.roots = append(q.roots, &root{name: n})
		}
	}
	return nil
}

var errNoChange = errors.New("no change")

// findRoot is the root of the run that governs mailbox name: the
// longest root that is name or an ancestor of it.
func (q *quotaRun) findRoot(name string) *root {
	var best *root
	for _, r := range q.roots {
		if r.name > name {
			break
		}
		if isPrefix(name, r.name) {
			best = r
		}
	}
	if best != nil {
		best.refcount++
	}
	return best
}

// isPrefix is Cyrus's mboxname_is_prefix: root is name or a parent of it
// (a domain root "example.com!" covers the domain).
func isPrefix(name, root string) bool {
	if !strings.HasPrefix(name, root) {
		return false
	}
	return len(name) == len(root) || name[len(root)] == '.' || strings.HasSuffix(root, "!")
}

// fix recounts the usage (Cyrus fixquotas): every mailbox adds its usage
// to the scan of its root, then each root's usage becomes its scan.
func (q *quotaRun) fix() error {
	l := q.env.List
	prefixes, owners := q.prefixes()
	for i, p := range prefixes {
		var err error
		if owners[i] != "" {
			err = l.Tree(p, mboxlist.WithDeleted, func(e *mboxlist.Entry) error {
				if e.IsActive() {
					return q.doMailbox(e, p)
				}
				return nil
			})
		} else {
			err = l.Foreach(p, 0, func(e *mboxlist.Entry) error {
				if e.IsActive() {
					return q.doMailbox(e, p)
				}
				return nil
			})
		}
		if err != nil {
			q.errmsg(err, "processing mbox list for '%s'", p)
			return err
		}
	}
	for _, r := range q.roots {
		if err := q.finish(r); err != nil {
			return err
		}
	}
	return nil
}

func (q *quotaRun) doMailbox(e *mboxlist.Entry, prefix string) error {
	if e.Type.Has(mboxlist.Remote) || e.Type.Has(mboxlist.Intermediate) {
		return nil
	}
	q.syncWait(e.Name)
	defer q.syncDone(e.Name)
	r := q.findRoot(e.Name)
	loc, err := q.env.List.Settings().Locate(e)
	if err != nil {
		q.errmsg(err, "failed opening header for mailbox '%s'", e.Name)
		return nil
	}
	mode := mailbox.ReadWrite
	if q.reportOnly {
		mode = mailbox.ReadOnly
	}
	// the header's root changes without moving usage between roots (as
	// Cyrus's mailbox_set_quotaroot): the recount sets every root's usage
	opts := q.env.Mailbox
	opts.Quota = nil
	mb, err := mailbox.Open(loc, opts, mode)
	if err != nil {
		q.errmsg(err, "failed opening header for mailbox '%s'", e.Name)
		return nil
	}
	defer mb.Close()
	want := ""
	if r != nil {
		want = r.name
	}
	if have := mb.QuotaRoot(); have != want {
		if r == nil && len(have) < len(prefix) {
			// a root outside what this run looks at
			return nil
		}
		fmt.Fprintf(q.stderr, "%s: quota root %s --> %s\n", e.Name, orNone(have), orNone(want))
		if !q.reportOnly {
			tx, err := mb.Begin()
			if err != nil {
				q.errmsg(err, "failed opening header for mailbox '%s'", e.Name)
				return nil
			}
			if err := tx.SetQuotaRoot(want); err != nil {
				tx.Abort()
				return err
			}
			if err := tx.Commit(); err != nil {
				q.errmsg(err, "failed writing header for mailbox '%s'", e.Name)
				return nil
			}
		}
	}
	if r == nil {
		return nil
	}
	if err := mb.Refresh(); err != nil {
		return err
	}
	u := mb.Usage()
	return q.env.Quota.Modify(r.name, false, false, func(qr *quota.Quota) error {
		qr.ScanUsed[quota.Storage] += u.Storage
		qr.ScanUsed[quota.Message] += u.Messages
		qr.ScanUsed[quota.AnnotStorage] += u.AnnotStorage
		qr.ScanUsed[quota.NumFolders] += u.Folders
		qr.ScanMbox = e.Name
		return nil
	})
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// finish ends the scan of one root (Cyrus fixquota_finish).
func (q *quotaRun) finish(r *root) error {
	db := q.env.Quota
	if r.refcount == 0 {
		r.deleted = true
		fmt.Fprintf(q.stderr, "%s: removed\n", r.name)
		if !q.reportOnly {
			if err := db.Delete(r.name); err != nil {
				q.errmsg(err, "failed deleting quotaroot '%s'", r.name)
				return err
			}
		}
		return nil
	}
	err := db.Modify(r.name, false, false, func(qr *quota.Quota) error {
		for res := quota.Resource(0); res < quota.NumResources; res++ {
			if qr.ScanUsed[res] != qr.Used[res] {
				fmt.Fprintf(q.stderr, "%s: %s usage was %d, now %d\n", r.name, quota.Names[res], qr.Used[res], qr.ScanUsed[res])
				if !q.reportOnly {
					qr.Used[res] = qr.ScanUsed[res]
				}
			}
		}
		qr.ScanMbox = ""
		qr.ScanUsed = [quota.NumResources]int64{}
		return nil
	})
	if err != nil {
		q.errmsg(err, "failed writing quotaroot: '%s'", r.name)
	}
	return err
}

// syncWait and syncDone are the -Z test hook: before each mailbox wait
// (up to 30 s) for a file named after it, and remove it afterwards.
func (q *quotaRun) syncWait(name string) {
	if q.syncDir == "" {
		return
	}
	p := filepath.Join(q.syncDir, name)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(p); err == nil {
			log.Info("quota -Z waited", "mailbox", name)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	log.Error("quota -Z timed out", "mailbox", name)
}

func (q *quotaRun) syncDone(name string) {
	if q.syncDir != "" {
		os.Remove(filepath.Join(q.syncDir, name))
	}
}

func (q *quotaRun) extname(root string) string {
	ext, ok := q.ns.External(q.ns.ParseInternal(root), mboxname.Viewer{IsAdmin: true})
	if !ok {
		return root
	}
	return ext
}

// report prints the table, in Cyrus's exact columns.
func (q *quotaRun) report(w io.Writer) {
	fmt.Fprintf(w, "   Quota   %% Used     Used             Resource Root\n")
	for _, r := range q.roots {
		if r.deleted {
			continue
		}
		qr, err := q.env.Quota.Read(r.name)
		if err != nil {
			return
		}
		ext := q.extname(r.name)
		for res := quota.Resource(0); res < quota.NumResources; res++ {
			used := qr.Used[res] / quota.Units[res]
			switch lim := qr.Limit[res]; {
			case lim > 0:
				fmt.Fprintf(w, " %7d %8d", lim, used*100/lim)
			case lim == 0:
				fmt.Fprint(w, "       0         ")
			default:
				fmt.Fprint(w, "                 ")
			}
			fmt.Fprintf(w, " %8d %20s %s\n", used, quota.Names[res], ext)
		}
	}
}

// reportJSON prints the report as Cyrus's -J does (jansson, two-space
// indent, keys in insertion order).
func (q *quotaRun) reportJSON(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString("{")
	n := 0
	for _, r := range q.roots {
		if r.deleted {
			continue
		}
		qr, err := q.env.Quota.Read(r.name)
		if err != nil {
			break
		}
		if n > 0 {
			b.WriteString(",")
		}
		n++
		fmt.Fprintf(&b, "\n  %s: {", jsonString(q.extname(r.name)))
		for res := quota.Resource(0); res < quota.NumResources; res++ {
			if res > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\n    %s: {\n      \"used\": %d", jsonString(quota.Names[res]), qr.Used[res])
			if lim := qr.Limit[res]; lim > 0 {
				fmt.Fprintf(&b, ",\n      \"limit\": %d", lim*quota.Units[res])
			}
			b.WriteString("\n    }")
		}
		b.WriteString("\n  }")
	}
	if n > 0 {
		b.WriteString("\n}")
	} else {
		b.WriteString("}")
	}
	b.WriteString("\n")
	_, err := w.Write(b.Bytes())
	return err
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
