package mboxlist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gyrus/lib/subs"
)

// renameLegacyUserData is Cyrus 3.6.1's user_renamedata, which imapd runs
// after renaming a user whose INBOX has legacy by-name directories (the
// per-user files of such a user are found by name, so they must follow):
//
//   - the seen file is renamed (seen_rename_user);
//   - every subscription is added to the new user's subscriptions, with
//     names below the old INBOX moved below the new one (the old file
//     stays, as in Cyrus);
//   - the sieve directory is renamed, unless sieveusehomedir.
//
// A missing file or directory is not an error (the user had none).
func (l *List) renameLegacyUserData(oldUser, newUser string) error {
	lay := &l.s.Layout
	ns := &lay.NS
	on, nn := ns.FromUserID(oldUser), ns.FromUserID(newUser)
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	move := func(from, to string) error {
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if err := os.Rename(from, to); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rename user %s to %s: %w", oldUser, newUser, err)
		}
		return nil
	}
	keep(move(lay.UserFileLegacy(on, "seen"), lay.UserFileLegacy(nn, "seen")))

	oldSubs, err := subs.Open(subs.Options{Path: lay.UserFileLegacy(on, "sub"), Backend: l.s.SubsBackend,
		UserID: oldUser, NS: ns, NoSync: l.s.NoSync})
	switch {
	case errors.Is(err, subs.ErrNoSubs) || errors.Is(err, os.ErrNotExist):
	case err != nil:
		keep(err)
	default:
		names, err := oldSubs.List()
		oldSubs.Close()
		keep(err)
		if len(names) > 0 {
			keep(os.MkdirAll(filepath.Dir(lay.UserFileLegacy(nn, "sub")), 0o755))
			newSubs, err := subs.Open(subs.Options{Path: lay.UserFileLegacy(nn, "sub"), Backend: l.s.SubsBackend,
				UserID: newUser, NS: ns, Create: true, NoSync: l.s.NoSync})
			if err != nil {
				keep(err)
				break
			}
			oldInbox, newInbox := ns.UserInbox(oldUser, ""), ns.UserInbox(newUser, "")
			sep := "."
			for _, n := range names {
				if n == oldInbox || strings.HasPrefix(n, oldInbox+sep) {
					n = newInbox + n[len(oldInbox):]
				}
				keep(newSubs.Add(n))
			}
			keep(newSubs.Close())
		}
	}

	if !l.s.SieveUseHomeDir && lay.SieveDir != "" {
		keep(move(lay.SieveDirLegacy(on), lay.SieveDirLegacy(nn)))
	}
	return first
}
