package mboxname

import (
	"path/filepath"
	"strconv"
	"strings"
)

// DirHash returns the one-letter hash directory of name (Cyrus
// dir_hash_c, spec/formats.md §2.2). Without full: the first byte in
// lower case if it is a letter, else 'q'. With full (fulldirhash): a
// rolling hash of the bytes before the first '.', as 'A'+n%23.
func DirHash(name string, full bool) byte {
	if full {
		var n uint32
		for i := 0; i < len(name) && name[i] != '.'; i++ {
			n = ((n << 3) ^ (n >> 5)) ^ uint32(name[i])
		}
		return 'A' + byte(n%23)
	}
	if name == "" {
		return 'q'
	}
	c := name[0]
	if 'A' <= c && c <= 'Z' {
		c += 'a' - 'A'
	}
	if c < 'a' || c > 'z' {
		return 'q'
	}
	return c
}

// Layout holds the settings that turn names into paths.
type Layout struct {
	NS            Namespace
	HashIMAPSpool bool   // hashimapspool
	FullDirHash   bool   // fulldirhash
	ConfigDir     string // configdirectory
	LockDir       string // mboxname_lockpath; "" means <ConfigDir>/lock
	SieveDir      string // sievedir
}

// HashPath is Cyrus's mboxname_hash: the by-name ("legacy") directory of
// internal name intname below root (spec/formats.md §3.1):
// [/domain/<h>/<domain>][/<h>]/<component>/... with components in their
// internal spelling.
func (l *Layout) HashPath(root, intname string) string {
	n := l.NS.ParseInternal(intname)
	var b strings.Builder
	b.WriteString(root)
	if n.Domain != "" {
		b.WriteString("/domain/")
		if l.HashIMAPSpool {
			b.WriteByte(DirHash(n.Domain, l.FullDirHash))
			b.WriteByte('/')
		}
		b.WriteString(n.Domain)
	}
	var comps []string
	if n.Deleted != 0 {
		comps = append(comps, l.NS.DeletedPrefix)
	}
	if n.LocalPart != "" {
		comps = append(comps, "user", n.LocalPart)
	}
	comps = append(comps, n.Boxes...)
	if n.Deleted != 0 {
		comps = append(comps, hexTime(n.Deleted))
	}
	if l.HashIMAPSpool && len(comps) > 0 {
		idx := comps[0]
		if len(comps) > 1 {
			idx = comps[1]
		}
		b.WriteByte('/')
		b.WriteByte(DirHash(idx, l.FullDirHash))
	}
	for _, c := range comps {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(c, ".", "^"))
	}
	return b.String()
}

// UUIDPath is Cyrus's mboxname_id_hash: <root>/uuid/<c0>/<c1>/<id>, or
// without root "uuid/<c0>/<c1>/<id>". No hashimapspool, no domain level.
func UUIDPath(root, id string) string {
	var c0, c1 byte
	if len(id) > 0 {
		c0 = id[0]
	}
	if len(id) > 1 {
		c1 = id[1]
	}
	rel := "uuid/" + string(c0) + "/" + string(c1) + "/" + id
	if root == "" {
		return rel
	}
	return root + "/" + rel
}

// MailboxDir returns the directory of a mailbox on a partition whose root
// is partRoot: by uniqueid unless legacy (the mbtype 'l' flag), by name
// otherwise (Cyrus mboxname_datapath without a UID).
func (l *Layout) MailboxDir(partRoot, intname, uniqueid string, legacy bool) string {
	if !legacy && uniqueid != "" {
		return UUIDPath(partRoot, uniqueid)
	}
	return l.HashPath(partRoot, intname)
}

// MessagePath returns the file of message uid in dir ("<dir>/<uid>.").
func MessagePath(dir string, uid uint32) string {
	return dir + "/" + strconv.FormatUint(uint64(uid), 10) + "."
}

func (l *Layout) lockRoot() string {
	if l.LockDir != "" {
		return l.LockDir
	}
	return l.ConfigDir + "/lock"
}

// LockPath returns the lock file of lockname (an internal mailbox name
// for legacy mailboxes, the uniqueid for by-uuid ones, or a UserLockName)
// under mboxname_lockpath (spec/formats.md §3.4).
func (l *Layout) LockPath(lockname string) string {
	return l.HashPath(l.lockRoot(), lockname) + ".lock"
}

// MailboxLockName is the name a mailbox is locked under: its uniqueid
// when it lives by uuid, its internal name when legacy.
func MailboxLockName(intname, uniqueid string, legacy bool) string {
	if !legacy && uniqueid != "" {
		return uniqueid
	}
	return intname
}

// UserLockName is the name of userid's namespace lock ("*U*" + userid
// with '.' written '^'); "" gives the global "*U*".
func UserLockName(userid string) string {
	return "*U*" + strings.ReplaceAll(userid, ".", "^")
}

// UserFileUUID is the per-user file of a user whose INBOX lives by uuid:
// <configdir>/user/uuid/<c0>/<c1>/<inbox-uniqueid>/<suffix>.db (Cyrus
// mboxid_conf_getpath). An empty suffix gives the directory.
func (l *Layout) UserFileUUID(inboxID, suffix string) string {
	p := l.ConfigDir + "/user/" + UUIDPath("", inboxID)
	if suffix == "" {
		return p
	}
	return p + "/" + suffix + ".db"
}

// UserFileLegacy is the per-user file by name (Cyrus
// mboxname_conf_getpath_legacy): <configdir>[/domain/<h>/<domain>]/user/<h>/<localpart>.<suffix>
// for users, <configdir>[/domain/<h>/<domain>]/shared.<suffix> otherwise.
// The hash directories are always used here, whatever hashimapspool says.
// An empty suffix gives the directory.
func (l *Layout) UserFileLegacy(n Name, suffix string) string {
	var b strings.Builder
	b.WriteString(l.ConfigDir)
	if n.Domain != "" {
		b.WriteString("/domain/")
		b.WriteByte(DirHash(n.Domain, l.FullDirHash))
		b.WriteByte('/')
		b.WriteString(n.Domain)
	}
	if n.LocalPart != "" {
		b.WriteString("/user/")
		b.WriteByte(DirHash(n.LocalPart, l.FullDirHash))
		if suffix != "" {
			b.WriteByte('/')
			b.WriteString(n.LocalPart)
			b.WriteByte('.')
			b.WriteString(suffix)
		}
		return b.String()
	}
	if suffix != "" {
		b.WriteString("/shared.")
		b.WriteString(suffix)
	}
	return b.String()
}

// StagePath is the partition's staging directory for deliveries.
func StagePath(partRoot string) string { return filepath.Join(partRoot, "stage.") }

// SyncReservePath is where a replica stores a message received in a
// "%{partition guid size}" file literal: <partroot>/sync./<pid>/<guid>.
func SyncReservePath(partRoot string, pid int, guidHex string) string {
	return partRoot + "/sync./" + strconv.Itoa(pid) + "/" + guidHex
}

// SieveDirLegacy is a user's Sieve directory by name (Cyrus
// user_sieve_path_byname): <sievedir>[/domain/<h>/<domain>]/<h>/<user>,
// where <user> is the local part under virtdomains and the whole user id
// otherwise, or <sievedir>[/domain/...]/global for shared (global)
// scripts. The by-name form is used when the user's INBOX is legacy;
// otherwise the directory is UUIDPath(SieveDir, inbox uniqueid).
func (l *Layout) SieveDirLegacy(n Name) string {
	var b strings.Builder
	b.WriteString(l.SieveDir)
	if l.NS.VirtDomains != VirtDomainsOff && n.Domain != "" {
		b.WriteString("/domain/")
		b.WriteByte(DirHash(n.Domain, l.FullDirHash))
		b.WriteByte('/')
		b.WriteString(n.Domain)
	}
	if n.LocalPart == "" {
		b.WriteString("/global")
		return b.String()
	}
	user := n.UserID()
	if l.NS.VirtDomains != VirtDomainsOff {
		user = n.LocalPart
	}
	b.WriteByte('/')
	b.WriteByte(DirHash(user, l.FullDirHash))
	b.WriteByte('/')
	b.WriteString(user)
	return b.String()
}
