package mboxlist

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"gyrus/lib/cyrusdb"
	"gyrus/lib/mailbox/index"
)

// NeedsUpgrade tells whether the mailboxes.db at s.Path is in a pre-3.6
// form (Cyrus mboxlist_upgrade's check): the first record that tells
// decides — a "$RACL"/"$RUNQ" key or an I record without a name means
// yes, a parsable N record or the reverse-ACL marker means no; a database
// where nothing tells (keys are plain mailbox names) needs it.
func NeedsUpgrade(s Settings) (bool, error) {
	l, err := openRaw(s)
	if err != nil {
		return false, err
	}
	defer l.Close()
	return l.needsUpgrade()
}

func openRaw(s Settings) (*List, error) {
	if _, err := os.Stat(s.Path); err != nil {
		return nil, err
	}
	return Open(s)
}

var errDecided = errors.New("decided")

func (l *List) needsUpgrade() (bool, error) {
	need := true
	err := l.db.Foreach(nil, func(k, v []byte) error {
		if len(k) == 0 {
			return nil
		}
		switch k[0] {
		case '$':
			if len(k) >= 6 && (bytes.HasPrefix(k, []byte("$RACL")) || bytes.HasPrefix(k, []byte("$RUNQ"))) {
				need = true
				return errDecided
			}
		case KeyACL:
			if bytes.HasPrefix(k, []byte("AS\x1e")) {
				need = false
				return errDecided
			}
		case KeyID:
			if e, err := l.codec.Decode("", v); err == nil {
				need = e.Name == ""
				return errDecided
			}
		case KeyName:
			if _, err := l.codec.Decode("", v); err == nil {
				need = false
				return errDecided
			}
		}
		return nil
	})
	if errors.Is(err, errDecided) {
		err = nil
	}
	return need, err
}

// Upgrade rewrites a pre-3.6 mailboxes.db (keys are internal names) into
// the 3.6 form, as Cyrus 3.6.1's mboxlist_upgrade does: every entry gets
// the 'l' flag (its files stay in by-name directories), a missing uniqueid
// is read from the mailbox's cyrus.header, entries sharing a uniqueid
// become one I record with the deleted ones as history (ordered by
// foldermodseq), and the result replaces the file by rename. It does
// nothing when the database is already 3.6 (upgraded false).
func Upgrade(s Settings) (upgraded bool, err error) {
	upgraded, _, err = upgrade(s)
	return upgraded, err
}

// upgrade is Upgrade; it also returns the pre-3.x specialuse values by
// name, which the 3.6 records cannot hold (Recover moves them to
// annotations).
func upgrade(s Settings) (upgraded bool, special map[string]string, err error) {
	l, err := openRaw(s)
	if err != nil {
		return false, nil, err
	}
	need, err := l.needsUpgrade()
	if err != nil || !need {
		l.Close()
		return false, nil, err
	}
	special = map[string]string{}
	type group struct{ entries []*Entry }
	groups := map[string]*group{}
	var order []string
	err = l.db.Foreach(nil, func(k, v []byte) error {
		if bytes.HasPrefix(k, []byte("$RACL")) || bytes.HasPrefix(k, []byte("$RUNQ")) {
			return nil
		}
		e, err := l.codec.Decode("", v)
		if err != nil {
			return nil // Cyrus logs and skips it
		}
		e.Name = string(k)
		e.Type |= LegacyDirs
		if e.LegacySpecialUse != "" {
			special[e.Name] = e.LegacySpecialUse
		}
		if e.UniqueID == "" {
			e.UniqueID = l.headerUniqueID(e)
			if e.UniqueID == "" {
				return nil
			}
		}
		g := groups[e.UniqueID]
		if g == nil {
			g = &group{}
			groups[e.UniqueID] = g
			order = append(order, e.UniqueID)
		}
		if e.Type&Deleted == 0 {
			g.entries = append(g.entries, e)
		} else {
			i := sort.Search(len(g.entries), func(i int) bool { return e.FolderModSeq <= g.entries[i].FolderModSeq })
			g.entries = append(g.entries, nil)
			copy(g.entries[i+1:], g.entries[i:])
			g.entries[i] = e
		}
		return nil
	})
	l.Close()
	if err != nil {
		return false, nil, err
	}
	ns := s
	ns.Path = s.Path + ".NEW"
	os.Remove(ns.Path)
	nl, err := Open(ns)
	if err != nil {
		return false, nil, err
	}
	err = nl.update(func(t *Tx) error {
		for _, id := range order {
			for _, e := range groups[id].entries {
				if err := t.Put(e.Name, e); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if cerr := nl.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(ns.Path)
		return false, nil, fmt.Errorf("mboxlist upgrade: %w", err)
	}
	if err := os.Rename(ns.Path, s.Path); err != nil {
		return false, nil, err
	}
	return true, special, cyrusdb.SyncDir(s.Path)
}

// headerUniqueID reads the uniqueid from a legacy mailbox's cyrus.header.
func (l *List) headerUniqueID(e *Entry) string {
	root, ok := l.s.Partitions[e.Partition]
	if !ok {
		return ""
	}
	dir := l.s.Layout.MailboxDir(root, e.Name, "", true)
	b, err := os.ReadFile(filepath.Join(dir, index.HeaderFile))
	if err != nil {
		return ""
	}
	mh, err := index.ParseMailboxHeader(b)
	if err != nil {
		return ""
	}
	return mh.UniqueID
}
