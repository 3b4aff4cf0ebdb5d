package tool

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"

	"gyrus/lib/config"
)

// DefaultUser is the Cyrus user when neither $CYRUS_USER nor cyrus_user
// names one (Cyrus's compile-time default).
const DefaultUser = "cyrus"

// becomeCyrus switches a root process to the Cyrus user, as Cyrus's
// become_cyrus(): groups of that user (or $CYRUS_GROUP / cyrus_group as
// the primary group), then gid, then uid. Go applies set*id to every
// thread of the process.
func becomeCyrus(c *config.Config) error {
	if os.Geteuid() != 0 {
		return nil
	}
	name := os.Getenv("CYRUS_USER")
	if name == "" {
		name = c.CyrusUser()
	}
	if name == "" {
		name = DefaultUser
	}
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("no entry in /etc/passwd for user %s", name)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("user %s: bad uid/gid %s/%s", name, u.Uid, u.Gid)
	}
	if uid == 0 {
		return nil
	}
	group := os.Getenv("CYRUS_GROUP")
	if group == "" {
		group = c.CyrusGroup()
	}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return fmt.Errorf("no entry in /etc/group for group %s", group)
		}
		if gid, err = strconv.Atoi(g.Gid); err != nil {
			return fmt.Errorf("group %s: bad gid %s", group, g.Gid)
		}
	}
	groups := []int{gid}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if n, err := strconv.Atoi(s); err == nil && n != gid {
				groups = append(groups, n)
			}
		}
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("unable to initialize groups for user %s: %v", name, err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("unable to set group id to %d for user %s: %v", gid, name, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("unable to set user id to %d for user %s: %v", uid, name, err)
	}
	return nil
}
