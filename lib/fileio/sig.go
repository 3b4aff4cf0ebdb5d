package fileio

import (
	"os"
	"syscall"
)

// Sig identifies one committed state of a database or data file: its
// device and inode, its size and its modification and change times.
// Every commit of a twoskip or skiplist database appends to the file
// (its size grows, its ctime and mtime move), an abort or a crash
// recovery truncates it back to the last committed size, and a repack
// or a flat-file rewrite renames a new file in (another inode). So two
// equal signatures taken with no change in between name the same
// content, and a cache keyed on one is checked with a stat(2).
type Sig struct {
	Dev, Ino     uint64
	Size         int64
	Mtime, Ctime int64 // nanoseconds
}

// StatSig is the signature of the file at path; false when it cannot be
// stat'ed.
func StatSig(path string) (Sig, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return Sig{}, false
	}
	return SigOf(fi), true
}

// SigOf is the signature of a file already stat'ed.
func SigOf(fi os.FileInfo) Sig {
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st == nil {
		return Sig{Size: fi.Size(), Mtime: fi.ModTime().UnixNano()}
	}
	return Sig{Dev: uint64(st.Dev), Ino: st.Ino, Size: st.Size,
		Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano()}
}
