// Command ctl_cyrusdb recovers or checkpoints the shared Cyrus databases
// of the configuration directory, as Cyrus 3.6.1's ctl_cyrusdb(8)
// (spec/tools.md §4.1):
//
//	ctl_cyrusdb [-C file] -r [-x]
//	ctl_cyrusdb [-C file] -c
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"gyrus/lib/annotate"
	"gyrus/lib/annotate/codec"
	"gyrus/lib/config"
	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/backends"
	"gyrus/lib/log"
	"gyrus/lib/mboxlist"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

const usageText = "ctl_cyrusdb [-C <altconfig>] -c\nctl_cyrusdb [-C <altconfig>] -r [-x]\n"

func main() {
	tool.Main(tool.Program{
		Name:      "ctl_cyrusdb",
		Usage:     "recover or checkpoint the Cyrus databases",
		ArgsUsage: "-r [-x] | -c",
		UsageText: usageText,
		UsageExit: sysexits.Minus1,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "r", Usage: "recover the databases after a crash"},
			&cli.BoolFlag{Name: "x", Usage: "with -r: databases only, no mailbox list cleanup"},
			&cli.BoolFlag{Name: "c", Usage: "checkpoint and archive the databases"},
		},
		Action: run,
	})
}

// database is one entry of Cyrus's dblist.
type database struct {
	name    string // file name under configdirectory
	backend string // from its *_db option
	path    string // *_db_path option or configdirectory/name
	archive bool   // copied into db.backup1 by -c
}

// databases lists, in Cyrus's order, the shared databases ctl_cyrusdb
// handles.
func databases(c *config.Config) []database {
	dir := c.Configdirectory()
	mk := func(name, backend, path string, archive bool) database {
		if path == "" {
			path = dir + name
		}
		return database{name: name, backend: backend, path: path, archive: archive}
	}
	return []database{
		mk("/mailboxes.db", c.MboxlistDb(), c.MboxlistDbPath(), true),
		mk("/quotas.db", c.QuotaDb(), c.QuotaDbPath(), true),
		mk("/annotations.db", c.AnnotationDb(), c.AnnotationDbPath(), true),
		mk("/backups.db", c.BackupDb(), c.BackupDbPath(), true),
		mk("/deliver.db", c.DuplicateDb(), c.DuplicateDbPath(), false),
		mk("/tls_sessions.db", c.TlsSessionsDb(), c.TlsSessionsDbPath(), false),
		mk("/ptclient/ptscache.db", c.PtscacheDb(), c.PtscacheDbPath(), false),
		mk("/statuscache.db", c.StatuscacheDb(), c.StatuscacheDbPath(), false),
	}
}

func backendName(b string) string { return strings.TrimSuffix(b, "-nosync") }

func run(ctx *tool.Context) error {
	r, c, x := ctx.Bool("r"), ctx.Bool("c"), ctx.Bool("x")
	if r == c || (x && !r) || ctx.NArg() > 0 {
		return tool.Usage("")
	}
	cfg := ctx.Config
	o := cyrusdb.Options{FullDirHash: cfg.Fulldirhash(), VirtDomains: cfg.Virtdomains() != config.VirtdomainsOff}
	msg := "checkpointing cyrus databases"
	if r {
		msg = "recovering cyrus databases"
	}
	log.Info(msg)
	failed := false
	if r {
		for _, db := range databases(cfg) {
			if err := recoverDB(db, o); err != nil {
				log.Error("DBERROR: recover", "db", db.path, "err", err)
				failed = true
			}
		}
	} else {
		if err := checkpoint(cfg, o); err != nil {
			fmt.Fprintln(os.Stderr, "ctl_cyrusdb: unable to archive environment")
			log.Error("DBERROR: archive", "dir", cfg.Configdirectory()+"/db", "err", err)
			failed = true
		}
	}
	if r && !x {
		if err := recoverMboxlist(cfg); err != nil {
			log.Error("DBERROR: mailboxes.db cleanup", "err", err)
			failed = true
		}
	}
	log.Info("done " + msg)
	if failed {
		return tool.Exit(1)
	}
	return nil
}

// recoverDB converts a database left in another backend's format (as
// Cyrus's check_convert) and opens it, which runs crash recovery.
func recoverDB(db database, o cyrusdb.Options) error {
	backend := backendName(db.backend)
	if real, err := cyrusdb.Detect(db.path); err == nil && real != "" && real != backend {
		log.Info("converting", "file", db.path, "from", real, "to", backend)
		if err := cyrusdb.ConvertFile(db.path, real, db.path, backend, o); err != nil {
			log.Info("conversion failed", "file", db.path, "err", err)
		}
	}
	h, err := cyrusdb.OpenWith(db.path, backend, o)
	if errors.Is(err, cyrusdb.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	defer h.Close()
	// A read transaction takes the lock, which finishes any recovery.
	tx, err := h.BeginRead()
	if err != nil {
		return err
	}
	return tx.Abort()
}

// checkpoint rotates <configdirectory>/db.backup1 to db.backup2 and
// copies the archived databases into a fresh db.backup1, each under its
// shared lock so the copy is a committed state.
func checkpoint(cfg *config.Config, o cyrusdb.Options) error {
	dir := cfg.Configdirectory() + "/db"
	b1, b2 := dir+".backup1", dir+".backup2"
	if ents, err := os.ReadDir(b2); err == nil {
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), ".") {
				os.Remove(filepath.Join(b2, e.Name()))
			}
		}
	}
	err := os.Remove(b2)
	if err == nil || errors.Is(err, os.ErrNotExist) {
		if err = os.Rename(b1, b2); err == nil || errors.Is(err, os.ErrNotExist) {
			err = os.Mkdir(b1, 0o755)
		}
	}
	if err != nil {
		return err
	}
	var first error
	for _, db := range databases(cfg) {
		backend := backendName(db.backend)
		b, err := cyrusdb.Lookup(backend)
		if !db.archive || err != nil || (b.Files != nil) || backend == "badger" {
			continue // quotalegacy and badger are not archived (Cyrus: noarchive)
		}
		if err := archive(db, backend, b1, o); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func archive(db database, backend, into string, o cyrusdb.Options) error {
	h, err := cyrusdb.OpenWith(db.path, backend, o)
	if errors.Is(err, cyrusdb.ErrNotFound) {
		log.Debug("not archiving database file", "file", db.path)
		return nil
	}
	if err != nil {
		return err
	}
	defer h.Close()
	tx, err := h.BeginRead()
	if err != nil {
		return err
	}
	defer tx.Abort()
	log.Debug("archiving database file", "file", db.path)
	return copyFile(db.path, filepath.Join(into, filepath.Base(db.path)))
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// recoverMboxlist is what -r does after the databases unless -x is given
// (Cyrus 3.6.1 process_mboxlist): upgrade a pre-3.6 mailboxes.db, remove
// reserved entries, move pre-3.x specialuse values into the owner's
// private /specialuse annotation, and give every local mailbox a
// uniqueid. Each change is logged as Cyrus logs it.
func recoverMboxlist(cfg *config.Config) error {
	s, err := mboxlist.SettingsFromConfig(cfg)
	if err != nil {
		return err
	}
	if _, err := os.Stat(s.Path); errors.Is(err, os.ErrNotExist) {
		return nil // nothing to clean (Cyrus creates an empty one; -r is not the place)
	}
	var adb *cyrusdb.DB
	defer func() {
		if adb != nil {
			adb.Close()
		}
	}()
	o := mboxlist.RecoverOptions{SpecialUse: func(e *mboxlist.Entry, userid, value string) error {
		if e.UniqueID == "" {
			return errors.New("no uniqueid to attach the annotation to")
		}
		if adb == nil {
			path, backend := annotate.PathFromConfig(cfg)
			h, err := cyrusdb.Open(path, backendName(backend), cyrusdb.Create)
			if err != nil {
				return err
			}
			adb = h
		}
		// the owner's private value: the owner is stored as a token
		return adb.Store(codec.Key(e.UniqueID, "/specialuse", codec.OwnerToken), codec.Encode([]byte(value), 0, 0))
	}}
	upgraded, acts, err := mboxlist.Recover(s, o)
	if upgraded {
		log.Info("mboxlist: upgraded mailboxes.db to the 3.6 records", "file", s.Path)
		path, _ := annotate.PathFromConfig(cfg)
		log.Warn("annotations.db keeps its pre-3.6 keys: Gyrus does not upgrade them", "file", path)
	}
	for _, a := range acts {
		if a.Err != nil {
			log.Error(a.What, "mboxname", a.Name, "error", a.Err)
		} else {
			log.Info(a.What, "mboxname", a.Name)
		}
	}
	return err
}
