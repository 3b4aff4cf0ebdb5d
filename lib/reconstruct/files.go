package reconstruct

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gyrus/lib/log"
)

// ParseMessageFileName reads the UID out of a message file name "<uid>."
// (Cyrus mailbox_parse_datafilename): at least one digit, then exactly
// one dot, and the number must fit in 32 bits.
func ParseMessageFileName(name string) (uint32, bool) {
	i := 0
	for i < len(name) && name[i] >= '0' && name[i] <= '9' {
		i++
	}
	if i == 0 || i != len(name)-1 || name[i] != '.' {
		return 0, false
	}
	n, err := strconv.ParseUint(name[:i], 10, 32)
	if err != nil {
		return 0, false
	}
	return uint32(n), true
}

// foundFile is a message file found on disk: its UID, and whether it is
// in the archive partition's directory (Cyrus found_uid.isarchive).
type foundFile struct {
	uid     uint32
	archive bool
}

// findFiles lists the message files of the mailbox directory and, when
// the mailbox has an archive partition, of its archive directory, in UID
// order (a UID's data file before its archive file), and reports (or
// removes, with -O) what else is there (Cyrus find_files). Dot files,
// cyrus.* files and directories are left alone.
func (b *box) findFiles() ([]foundFile, error) {
	dirs := []string{b.loc.Dir}
	if b.separateArchive() {
		dirs = append(dirs, b.loc.ArchiveDir)
	}
	var found []foundFile
	for i, dir := range dirs {
		var err error
		if found, err = b.listDir(dir, i > 0, found); err != nil {
			return nil, err
		}
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].uid != found[j].uid {
			return found[i].uid < found[j].uid
		}
		return !found[i].archive && found[j].archive
	})
	return found, nil
}

// listDir adds the message files of one directory to found.
func (b *box) listDir(dir string, archive bool, found []foundFile) ([]foundFile, error) {
	r := b.r
	o := &r.opt
	d, err := os.Open(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return found, nil
		}
		return nil, err
	}
	// directory order, as readdir(3) gives it: the odd files are
	// reported in the order Cyrus reports them
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if strings.HasPrefix(n, ".") || strings.HasPrefix(n, "cyrus.") {
			continue
		}
		if uid, ok := ParseMessageFileName(n); ok {
			found = append(found, foundFile{uid: uid, archive: archive})
			continue
		}
		path := dir + "/" + n
		st, err := os.Stat(path)
		if err != nil || st.IsDir() || o.IgnoreOddFiles {
			continue
		}
		r.printf("%s odd file %s\n", b.e.Name, path)
		log.Error("odd file", "mailbox", b.e.Name, "path", path)
		if o.RemoveOddFiles {
			if o.MakeChanges {
				os.Remove(path)
			}
		} else {
			r.printf("run reconstruct with -O to remove odd files\n")
		}
	}
	return found, nil
}

// cleanupStaleExpunged handles a cyrus.expunge left by Cyrus 2.3 (Cyrus
// cleanup_stale_expunged): the messages it lists are gone for good, so
// their files are removed, and then the file itself. A UID that the
// index still has as a live message keeps its file (Cyrus would remove
// it; losing a live message is worse than keeping a dead one).
func (b *box) cleanupStaleExpunged() error {
	path := filepath.Join(b.loc.MetaDir, "cyrus.expunge")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	if !b.r.opt.MakeChanges {
		return nil
	}
	live := map[uint32]bool{}
	for _, rc := range b.recs {
		if !rc.bad && !rc.Expunged() {
			live[rc.UID] = true
		}
	}
	be := binary.BigEndian
	if len(data) >= 24 {
		start := be.Uint32(data[12:])
		size := be.Uint32(data[16:])
		num := be.Uint32(data[20:])
		if start != 0 && size != 0 && int64(start) <= int64(len(data)) {
			if n := uint32((int64(len(data)) - int64(start)) / int64(size)); n < num {
				num = n
			}
			for i := uint32(0); i < num; i++ {
				off := int64(start) + int64(i)*int64(size)
				uid := be.Uint32(data[off:])
				// (Cyrus 2.3's cyrus.expunge predates archive
				// partitions: its files are in the data directory)
				if uid != 0 && !live[uid] {
					os.Remove(b.loc.MessagePath(uid))
				}
			}
		}
	}
	log.Info("removed stale cyrus.expunge", "mailbox", b.e.Name)
	return os.Remove(path)
}
