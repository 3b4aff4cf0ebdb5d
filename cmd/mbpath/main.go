// Command mbpath prints the filesystem paths of mailboxes, as Cyrus
// 3.6.1's mbpath(8) does (spec/tools.md §3.4):
//
//	mbpath [-C file] [-l] [-m] [-q] [-s] [-7] [-j] [-u|-p] [-a|-A|-D|-M|-S|-U] name...
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"gyrus/lib/config"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

const usageText = "usage: mbpath [-C <alt_config>] [-l] [-m] [-q] [-s] [-u|p] [-a|A|D|M|S|U] <mailbox name>...\n" +
	"\n" +
	"\t-j\tprint all values as a JSON object\n" +
	"\t-a\tprint all values with prefixes\n" +
	"\t-l\tlocal only (exit with error for remote/nonexistent)\n" +
	"\t-m\toutput the path to the metadata files (if different from the message files)\n" +
	"\t-q\tquietly drop any error messages\n" +
	"\t-s\tstop on error\n" +
	"\t-7\tmailbox arguments are in modified UTF7 rather than UTF8\n" +
	"\t-u\targuments are user, not mailbox\n" +
	"\t-p\targuments are UNIX path, not mailbox\n" +
	"\t-A\tpartition archive directory\n" +
	"\t-D\tpartition data directory (*default*)\n" +
	"\t-M\tpartition metadata file directory (duplicate of -m)\n" +
	"\t-S\tsieve directory for the user\n" +
	"\t-U\tuser files directory (seen, sub, etc)\n"

const (
	doArchive = 1 << iota
	doData
	doMeta
	doSieve
	doUser
	doAll = doArchive | doData | doMeta | doSieve | doUser
)

func main() {
	tool.Main(program())
}

// program is the command line, separate from main for the tests.
func program() tool.Program {
	flags := []cli.Flag{}
	for _, f := range []struct{ n, u string }{
		{"7", "names are modified UTF-7"}, {"a", "print every path, prefixed"},
		{"j", "print everything as JSON"}, {"l", "local mailboxes only"},
		{"m", "metadata directory"}, {"q", "no error messages"}, {"s", "stop at the first error"},
		{"u", "arguments are userids"}, {"p", "arguments are paths"},
		{"A", "archive directory"}, {"D", "data directory (default)"}, {"M", "metadata directory"},
		{"S", "the user's sieve directory"}, {"U", "the user's files directory"},
	} {
		flags = append(flags, &cli.BoolFlag{Name: f.n, Usage: f.u})
	}
	return tool.Program{
		Name:      "mbpath",
		Usage:     "print the filesystem paths of mailboxes",
		ArgsUsage: "[-l] [-m] [-q] [-s] [-7] [-j] [-u|-p] [-a|-A|-D|-M|-S|-U] name...",
		UsageText: usageText,
		Flags:     flags,
		LazyInit:  true,
		Action:    run,
	}
}

type opts struct {
	quiet, stop, local, json, utf8 bool
	mode                           byte // 'u', 'p' or 0
	paths                          int
}

func usageErr(msg string) error {
	fmt.Fprint(os.Stderr, usageText)
	if msg != "" {
		fmt.Fprintf(os.Stderr, "\nERROR: %s", msg)
	}
	return tool.Exit(sysexits.Usage)
}

func run(ctx *tool.Context) error {
	o := opts{quiet: ctx.Bool("q"), stop: ctx.Bool("s"), local: ctx.Bool("l"), json: ctx.Bool("j"), utf8: !ctx.Bool("7")}
	sel := map[string]int{"a": doAll, "m": doMeta, "A": doArchive, "D": doData, "M": doMeta, "S": doSieve, "U": doUser}
	for _, f := range []string{"a", "m", "A", "D", "M", "S", "U"} {
		if ctx.Bool(f) {
			if o.paths != 0 {
				return usageErr("Duplicate selectors given")
			}
			o.paths = sel[f]
		}
	}
	if ctx.Bool("u") && ctx.Bool("p") {
		return usageErr("Multiple modes given")
	}
	if ctx.Bool("u") {
		o.mode = 'u'
	} else if ctx.Bool("p") {
		o.mode = 'p'
	}
	if o.paths == 0 {
		o.paths = doData
	}
	if err := ctx.Init(); err != nil {
		return err
	}
	s, err := mboxlist.SettingsFromConfig(ctx.Config)
	if err != nil {
		return tool.Fatal(sysexits.Config, "%v", err)
	}
	l, err := mboxlist.Open(s)
	if err != nil {
		return tool.Fatal(sysexits.TempFail, "can't open mailboxes file: %v", err)
	}
	defer l.Close()
	p := &printer{l: l, c: ctx.Config, o: o}
	code := 0
	for _, arg := range ctx.Args().Slice() {
		code, err = p.one(arg)
		if err != nil {
			return err
		}
	}
	return tool.Exit(code)
}

type printer struct {
	l *mboxlist.List
	c *config.Config
	o opts
}

var (
	errNonexistent = errors.New("nonexistent")
	errReserved    = errors.New("reserved")
	errBadFormat   = errors.New("badformat")
)

func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errNonexistent), errors.Is(err, errReserved), errors.Is(err, errBadFormat),
		errors.Is(err, mboxlist.ErrNotFound), errors.Is(err, mboxlist.ErrReserved):
		return sysexits.DataErr
	}
	return sysexits.Software
}

var admin = mboxname.Viewer{UserID: "cyrus", IsAdmin: true}

func (p *printer) parse(arg string) (mboxname.Name, bool) {
	ns := p.l.NS()
	switch p.o.mode {
	case 'u':
		return ns.FromUserID(arg), true
	case 'p':
		return p.fromPath(arg)
	}
	ext := arg
	if p.o.utf8 {
		e, err := mboxname.EncodeUTF7(arg)
		if err != nil {
			return mboxname.Name{}, false
		}
		ext = e
	}
	n, err := ns.ParseExternal(ext, admin)
	if err != nil {
		return mboxname.Name{}, false
	}
	return n, true
}

// fromPath is Cyrus mbname_from_path: the last component of an absolute
// path (or of the working directory, with the relative path's components
// then applied) is a mailbox uniqueid.
func (p *printer) fromPath(path string) (mboxname.Name, bool) {
	ns := p.l.NS()
	abs := strings.HasPrefix(path, "/")
	base := path
	if !abs {
		wd, _ := os.Getwd()
		base = wd
	}
	id := filepath.Base(base)
	e, err := p.l.LookupID(id)
	if err != nil {
		return mboxname.Name{}, false
	}
	n := ns.ParseInternal(e.Name)
	if !abs {
		for _, c := range strings.Split(path, "/") {
			switch c {
			case ".", "":
			case "..":
				if len(n.Boxes) == 0 {
					return mboxname.Name{}, false
				}
				n.Boxes = n.Boxes[:len(n.Boxes)-1]
			default:
				n.Boxes = append(n.Boxes, c)
			}
		}
		if n.LocalPart != "" && len(n.Boxes) == 1 && n.Boxes[0] == "INBOX" {
			n.Boxes = nil
		}
	}
	return n, true
}

func (p *printer) one(arg string) (int, error) {
	ns := p.l.NS()
	n, ok := p.parse(arg)
	var err error
	var e *mboxlist.Entry
	if !ok || n.IsZero() {
		err = errNonexistent
	} else {
		e, err = p.l.LookupAll(ns.Internal(n))
		if errors.Is(err, mboxlist.ErrNotFound) {
			err = errNonexistent
		}
	}
	if err == nil {
		err = p.paths(n, e)
	}
	if err != nil {
		if !p.o.quiet && errors.Is(err, errNonexistent) {
			fmt.Fprintf(os.Stderr, "Invalid mailbox name: '%s'", arg)
			if ext, ok := ns.External(n, admin); ok && ext != arg && !n.IsZero() {
				if p.o.utf8 {
					if u, err := mboxname.DecodeUTF7(ext); err == nil {
						ext = u
					}
				}
				if ext != arg {
					fmt.Fprintf(os.Stderr, " ('%s')\n", ext)
				}
			}
			fmt.Fprint(os.Stderr, "\n")
		}
		if p.o.stop {
			if p.o.quiet {
				return 0, tool.Exit(exitCode(err))
			}
			return 0, tool.Fatal(exitCode(err), "Error in processing mailbox. Stopping\n")
		}
	}
	return exitCode(err), nil
}

func (p *printer) paths(n mboxname.Name, e *mboxlist.Entry) error {
	switch {
	case e.Type&mboxlist.Reserved != 0:
		return errReserved
	case e.Type&mboxlist.Deleted != 0:
		return errNonexistent
	case e.Type&mboxlist.Remote != 0:
		if p.o.local {
			if p.o.stop {
				if p.o.quiet {
					return tool.Exit(255)
				}
				return tool.Fatal(255, "Non-local mailbox. Stopping\n")
			}
			return nil
		}
		if !p.o.json {
			fmt.Printf("%s!%s\n", e.Server, e.Partition)
		}
		return nil
	case e.UniqueID == "" && !e.IsLegacy():
		if !p.o.quiet {
			ext, _ := p.l.NS().External(n, admin)
			fmt.Fprintf(os.Stderr, "Mailbox has no uniqueid, needs reconstruct: %s\n", ext)
		}
		return errBadFormat
	}
	data, meta, archive := p.mailboxPaths(e)
	if p.o.json {
		return p.printJSON(n, e.Partition, data, meta, archive)
	}
	all := p.o.paths == doAll
	line := func(prefix, path string) {
		if all {
			fmt.Print(prefix)
		}
		fmt.Println(path)
	}
	if p.o.paths&doArchive != 0 {
		line("Archive: ", archive)
	}
	if p.o.paths&doData != 0 {
		line("Data: ", data)
	}
	if p.o.paths&doMeta != 0 {
		line("Meta: ", meta)
	}
	if p.o.paths&doSieve != 0 {
		line("Sieve: ", p.sievePath(n.UserID()))
	}
	if p.o.paths&doUser != 0 {
		line("User: ", p.l.UserFile(n, ""))
	}
	return nil
}

func (p *printer) mailboxPaths(e *mboxlist.Entry) (data, meta, archive string) {
	s := p.l.Settings()
	lay := &s.Layout
	root := s.Partitions[e.Partition]
	data = lay.MailboxDir(root, e.Name, e.UniqueID, e.IsLegacy())
	meta = data
	if mr, ok := p.c.Overflow("metapartition-" + e.Partition); ok && mr != "" {
		meta = lay.MailboxDir(mr, e.Name, e.UniqueID, e.IsLegacy())
	}
	archive = data
	if ar, ok := p.c.Overflow("archivepartition-" + e.Partition); ok && ar != "" {
		archive = lay.MailboxDir(ar, e.Name, e.UniqueID, e.IsLegacy())
	}
	return
}

// sievePath is Cyrus user_sieve_path: by the INBOX's uniqueid, or by name
// for legacy users and global scripts; "" when the user has no INBOX.
func (p *printer) sievePath(userid string) string {
	s := p.l.Settings()
	lay := &s.Layout
	dir := p.c.Sievedir()
	ns := p.l.NS()
	userid = strings.ReplaceAll(userid, "^", ".")
	n := ns.FromUserID(userid)
	if userid != "" && n.LocalPart != "" {
		e, err := p.l.Lookup(ns.Internal(n))
		if err != nil {
			return ""
		}
		if !e.IsLegacy() {
			return mboxname.UUIDPath(dir, e.UniqueID)
		}
	} else {
		n = mboxname.Name{}
	}
	var b strings.Builder
	b.WriteString(dir)
	virt := ns.VirtDomains != mboxname.VirtDomainsOff
	if virt && n.Domain != "" {
		fmt.Fprintf(&b, "/domain/%c/%s", mboxname.DirHash(n.Domain, lay.FullDirHash), n.Domain)
	}
	if n.LocalPart != "" {
		u := n.UserID()
		if virt {
			u = n.LocalPart
		}
		fmt.Fprintf(&b, "/%c/%s", mboxname.DirHash(u, lay.FullDirHash), u)
	} else {
		b.WriteString("/global")
	}
	return b.String()
}

// printJSON prints what Cyrus's print_json does (jansson, 2-space indent,
// sorted keys). For a user's mailbox, "xapian" maps each search tier (the
// part before "searchpartition-" of any overflow key) to the owner's
// Xapian directory in that tier's search partition for the mailbox's
// partition (see xapianDirs).
func (p *printer) printJSON(n mboxname.Name, partition, data, meta, archive string) error {
	ns := p.l.NS()
	res := map[string]any{}
	mb := map[string]any{}
	userid := n.UserID()
	if userid != "" {
		mb["userid"] = userid
		mb["localpart"] = n.LocalPart
	}
	if n.Domain != "" {
		mb["domain"] = n.Domain
	}
	if n.Deleted != 0 {
		mb["isdeleted"] = n.Deleted
	}
	boxes := n.Boxes
	if boxes == nil {
		boxes = []string{}
	}
	mb["boxes"] = boxes
	mb["intname"] = ns.Internal(n)
	res["mbname"] = mb
	if userid != "" {
		u := map[string]any{}
		for _, sfx := range []string{"conversations", "counters", "dav", "seen", "sub", "xapianactive"} {
			u[sfx] = p.l.UserFile(n, sfx)
		}
		u["sieve"] = p.sievePath(userid)
		res["user"] = u
		res["xapian"] = p.xapianDirs(userid, partition)
	}
	res["archive"] = archive
	res["data"] = data
	res["meta"] = meta
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return err
	}
	os.Stdout.Write(buf.Bytes())
	return nil
}

// xapianDirs is the "xapian" object of mbpath -j (Cyrus 3.6.1
// xapian_basedir for every tier named by a "<tier>searchpartition-<part>"
// overflow key): for each tier whose search partition for this mailbox's
// partition is configured, the owner's directory under it, by the INBOX's
// uniqueid (<root>/user/uuid/<c0>/<c1>/<id>) or, for a legacy INBOX, by
// name (<root>[/domain/<h>/<domain>]/<h>/user/<localpart>). An owner
// without an INBOX has no directory, so no entry.
func (p *printer) xapianDirs(userid, partition string) map[string]any {
	out := map[string]any{}
	const marker = "searchpartition-"
	for _, ent := range p.c.OverflowEntries() {
		i := strings.Index(ent.Key, marker)
		if i < 0 {
			continue
		}
		tier := ent.Key[:i]
		root, ok := p.c.Overflow(tier + marker + partition)
		if !ok {
			continue
		}
		ns := p.l.NS()
		inbox, err := p.l.Lookup(ns.UserInbox(userid, ""))
		if err != nil {
			continue
		}
		if inbox.IsLegacy() {
			in := ns.ParseInternal(inbox.Name)
			full := p.c.Fulldirhash()
			dir := root
			if in.Domain != "" {
				dir += "/domain/" + string(mboxname.DirHash(in.Domain, full)) + "/" + in.Domain
			}
			out[tier] = dir + "/" + string(mboxname.DirHash(in.LocalPart, full)) + "/user/" + in.LocalPart
		} else {
			out[tier] = root + "/user/" + mboxname.UUIDPath("", inbox.UniqueID)
		}
	}
	return out
}
