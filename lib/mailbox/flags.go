package mailbox

import (
	"fmt"
	"strings"

	"gyrus/lib/mailbox/index"
)

// FlagCreate says whether UserFlag may allocate a slot for a new name.
type FlagCreate int

const (
	// FlagLookup never allocates.
	FlagLookup FlagCreate = iota
	// FlagCreateClient allocates within the client limit (100 of the 128
	// slots, Options.MaxUserFlagsClient), like Cyrus for IMAP clients.
	FlagCreateClient
	// FlagCreateAny may use all 128 slots (tools, replication).
	FlagCreateAny
)

// UserFlag returns the slot of user flag name, allocating the first free
// slot if create allows it (the name is then written to cyrus.header at
// commit). Names compare ASCII case-insensitively. A name that is not an
// IMAP atom gives ErrBadFlag; no free slot gives ErrUserFlagsExhausted.
func (tx *Tx) UserFlag(name string, create FlagCreate) (int, error) {
	empty := -1
	for i, f := range tx.mh.Flags {
		if f == "" {
			if empty < 0 {
				empty = i
			}
			continue
		}
		if index.EqualFold(f, name) {
			return i, nil
		}
	}
	if create == FlagLookup {
		return -1, fmt.Errorf("user flag %q: %w", name, ErrNotFound)
	}
	if strings.HasPrefix(name, `\`) || !index.IsFlagAtom(name) {
		return -1, fmt.Errorf("%q: %w", name, ErrBadFlag)
	}
	if empty < 0 {
		return -1, ErrUserFlagsExhausted
	}
	limit := tx.mb.opts.MaxUserFlagsClient
	if limit <= 0 || limit > index.MaxUserFlags {
		limit = 100
	}
	if create == FlagCreateClient && empty >= limit {
		return -1, ErrUserFlagsExhausted
	}
	tx.mh.Flags[empty] = name
	tx.mhDirty = true
	return empty, nil
}

// RemoveUserFlag frees a slot (cyr_expire, once no record uses it). The
// caller makes sure no record carries the flag.
func (tx *Tx) RemoveUserFlag(slot int) error {
	if slot < 0 || slot >= index.MaxUserFlags {
		return fmt.Errorf("mailbox: user flag slot %d out of range", slot)
	}
	if tx.mh.Flags[slot] != "" {
		tx.mh.Flags[slot] = ""
		tx.mhDirty = true
	}
	return nil
}

// UserFlags returns the user flag names by slot as the transaction sees
// them.
func (tx *Tx) UserFlags() [index.MaxUserFlags]string { return tx.mh.Flags }

// UserFlagBits turns flag names into the record's user flag words,
// allocating slots as create allows.
func (tx *Tx) UserFlagBits(names []string, create FlagCreate) ([4]uint32, error) {
	var w [4]uint32
	for _, n := range names {
		slot, err := tx.UserFlag(n, create)
		if err != nil {
			return w, err
		}
		w[slot/32] |= 1 << (slot % 32)
	}
	return w, nil
}

// FlagNames returns the IMAP flag names of a record: system flags first
// (in Cyrus's order), then the user flags by slot. \Seen is the owner's
// bit in the record; other users' \Seen is the caller's (seen DB).
func FlagNames(r *index.Record, names *[index.MaxUserFlags]string) []string {
	var out []string
	for _, f := range index.SystemFlagNames {
		if r.SystemFlags&f.Bit != 0 {
			out = append(out, f.Name)
		}
	}
	for i := 0; i < index.MaxUserFlags; i++ {
		if names[i] != "" && r.HasUserFlag(i) {
			out = append(out, names[i])
		}
	}
	return out
}

// StoreMode is how SetFlags combines the given flags with the record's.
type StoreMode int

const (
	StoreReplace StoreMode = iota // FLAGS
	StoreAdd                      // +FLAGS
	StoreRemove                   // -FLAGS
)

// FlagChange is a STORE request for one or many messages.
type FlagChange struct {
	Mode   StoreMode
	System uint32    // index.Flag* bits (only the system ones are used)
	User   [4]uint32 // user flag bits (see UserFlagBits)
	// UnchangedSince, if not zero, skips records whose modseq is above it
	// (RFC 7162 3.1.3 UNCHANGEDSINCE); they are reported as Failed.
	UnchangedSince uint64
}

// FlagResult says what SetFlags did to one message.
type FlagResult struct {
	UID     uint32
	Changed bool // the flags changed and the record got a new modseq
	Failed  bool // UNCHANGEDSINCE test failed
	Missing bool // no such record, or expunged
	Record  index.Record
}

// SetFlags applies one flag change to the messages uids (in any order).
// Records whose flags end up the same are left alone (no new modseq),
// as Cyrus's index_storeflag does.
func (tx *Tx) SetFlags(uids []uint32, ch FlagChange) ([]FlagResult, error) {
	if err := tx.check(); err != nil {
		return nil, err
	}
	sys := ch.System & index.SystemFlagsMask
	out := make([]FlagResult, 0, len(uids))
	for _, uid := range uids {
		res := FlagResult{UID: uid}
		recno := tx.findUID(uid)
		if recno == 0 {
			res.Missing = true
			out = append(out, res)
			continue
		}
		r, err := tx.record(recno)
		if err != nil {
			return out, err
		}
		if r.Expunged() {
			res.Missing, res.Record = true, r
			out = append(out, res)
			continue
		}
		if ch.UnchangedSince != 0 && r.ModSeq > ch.UnchangedSince {
			res.Failed, res.Record = true, r
			out = append(out, res)
			continue
		}
		nr := r
		switch ch.Mode {
		case StoreReplace:
			nr.SystemFlags = sys
			nr.UserFlags = ch.User
		case StoreAdd:
			nr.SystemFlags |= sys
			for i := range nr.UserFlags {
				nr.UserFlags[i] |= ch.User[i]
			}
		case StoreRemove:
			nr.SystemFlags &^= sys
			for i := range nr.UserFlags {
				nr.UserFlags[i] &^= ch.User[i]
			}
		}
		if nr.SystemFlags == r.SystemFlags && nr.UserFlags == r.UserFlags {
			res.Record = r
			out = append(out, res)
			continue
		}
		if err := tx.rewrite(recno, nr, false); err != nil {
			return out, err
		}
		res.Changed = true
		res.Record, _ = tx.record(recno)
		out = append(out, res)
	}
	return out, nil
}
