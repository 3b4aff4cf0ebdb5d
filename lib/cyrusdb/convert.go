package cyrusdb

import (
	"errors"
	"fmt"
	"os"
)

// ConvertFile copies every record of the database from (backend fromBackend)
// into a new database to (backend toBackend), as Cyrus's cyrusdb_convert
// does. The source is read inside one read transaction, so the copy is a
// consistent snapshot. When from and to are the same path, the copy is
// built at to+".NEW" and renamed over the original. Any file already at
// the destination is removed first. o supplies flags and backend options
// for both sides (Create is added for the destination, Convert removed).
func ConvertFile(from, fromBackend, to, toBackend string, o Options) error {
	o.Flags &^= Convert | Create
	src, err := OpenWith(from, fromBackend, o)
	if err != nil {
		return err
	}
	defer src.Close()
	stx, err := src.BeginRead()
	if err != nil {
		return err
	}
	defer stx.Abort()

	dst := to
	if dst == from {
		dst = from + ".NEW"
	}
	if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	do := o
	do.Flags |= Create
	out, err := OpenWith(dst, toBackend, do)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		out.Close()
		os.Remove(dst)
		return err
	}
	dtx, err := out.Begin()
	if err != nil {
		return fail(err)
	}
	err = stx.Foreach(nil, func(k, v []byte) error { return dtx.Store(k, v) })
	if err != nil {
		dtx.Abort()
		return fail(fmt.Errorf("convert %s: %w", from, err))
	}
	if err := dtx.Commit(); err != nil {
		return fail(err)
	}
	if err := out.Close(); err != nil {
		os.Remove(dst)
		return err
	}
	if dst != to {
		if err := os.Rename(dst, to); err != nil {
			os.Remove(dst)
			return err
		}
		return SyncDir(to)
	}
	return nil
}

// SyncDir fsyncs the directory holding path, making a rename in it durable.
func SyncDir(path string) error {
	dir := "."
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			dir = path[:i]
			if dir == "" {
				dir = "/"
			}
			break
		}
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
