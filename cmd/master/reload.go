package main

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gyrus/lib/config/cyrusconf"
)

// reload re-reads imapd.conf and cyrus.conf on SIGHUP (master.c
// reread_conf). Entries with the same name, listen= and proto= keep their
// sockets and are updated in place; others get new sockets; entries no
// longer in the file stop accepting (their sockets are shut down) and
// are forgotten once their children are gone. Every child is sent SIGHUP:
// it stops taking connections and exits when its sessions are over, so
// open connections are not cut, and prefork brings up replacements with
// the new settings. EVENTS are read again; START is not re-run.
//
// Unlike Cyrus, a file that does not parse leaves the running
// configuration untouched (Cyrus exits), and a program that cannot be
// found disables only its entry.
func (m *master) reload() {
	if set, err := loadSettings(m.o.imapdConf); err != nil {
		errorf("reload_imapd_conf_failed", "error", err)
	} else {
		set.pidFile, set.readyFile = m.set.pidFile, m.set.readyFile
		m.set = set
		setupLog(set, m.o.verbose)
	}
	cfg, err := cyrusconf.Load(m.o.cyrusConf)
	if err != nil {
		errorf("reload_cyrus_conf_failed", "error", err)
		return
	}
	for _, p := range cfg.Problems {
		warnf(p.Error() + " -- ignored")
	}
	m.conf = cfg

	for _, e := range m.entries {
		e.enabled = false
	}
	for i := range cfg.Services {
		s := &cfg.Services[i]
		path := m.res.path(s.Cmd)
		if !executable(path) {
			warnf("cannot_find_executable_for_service_ignored", "service", s.Name, "path", path)
			continue
		}
		if e := m.findService(s); e != nil {
			e.updateFromService(s, path)
		} else {
			m.entries = append(m.entries, newEntryFromService(s, path))
		}
	}
	for i := range cfg.Daemons {
		d := &cfg.Daemons[i]
		path := m.res.path(d.Cmd)
		if !executable(path) {
			warnf("cannot_find_executable_for_daemon_ignored", "service", d.Name, "path", path)
			continue
		}
		if e := m.findDaemon(d.Name); e != nil {
			e.updateFromDaemon(d, path)
		} else {
			m.entries = append(m.entries, newEntryFromDaemon(d, path))
		}
	}

	now := time.Now()
	for _, e := range m.entries {
		for _, l := range e.listeners {
			l.failed = false
			l.nreadyfails = 0
			for pid, c := range l.children {
				if c.state != stDead {
					signalOnly(pid, syscall.SIGHUP)
					c.hupAt = now
				}
			}
			if !e.enabled && l.sock != nil {
				// Shut the socket down before closing it: children
				// still blocked in accept() on their copies fail
				// and notice.
				unix.Shutdown(l.sock.fd, unix.SHUT_RDWR)
				l.sock.close()
				l.sock = nil
			}
		}
		if e.enabled && !e.daemon {
			m.rebind(e)
		}
	}
	m.loadEvents(cfg)
	noticef("services_reconfigured", "entries", len(m.entries))
	sdNotify("READY=1")
}

// rebind gives a service entry its sockets back: a new entry (or one
// that never got any) is bound afresh; a listener whose socket was
// closed after too many failures binds its address again.
func (m *master) rebind(e *entry) {
	if len(e.listeners) == 0 {
		m.bindEntry(e, false)
		return
	}
	for _, l := range e.listeners {
		if l.sock != nil || l.rebind == nil {
			continue
		}
		s, err := l.rebind()
		if err != nil {
			errorf("rebind_failed", "service", l.String(), "error", err)
			continue
		}
		l.sock = s
		l.armed = false
		m.startWatcher(l)
	}
}

// findService is the entry a SERVICES line updates in place: same name,
// listen= and proto=, and not already taken by an earlier line.
func (m *master) findService(s *cyrusconf.Service) *entry {
	for _, e := range m.entries {
		if !e.daemon && !e.enabled && e.name == s.Name && e.listen == s.Listen && e.proto == s.Proto {
			return e
		}
	}
	return nil
}

func (m *master) findDaemon(name string) *entry {
	for _, e := range m.entries {
		if e.daemon && !e.enabled && e.name == name {
			return e
		}
	}
	return nil
}

// beginShutdown starts a clean shutdown on SIGTERM, SIGINT or SIGQUIT:
// no more spawning, SIGTERM to every child but the wait=y daemons, then
// the main loop waits for the services and daemons to be gone. A second
// signal, a second or more later, kills what is left.
func (m *master) beginShutdown() {
	if m.inShutdown {
		if !m.killed && time.Since(m.shutdownAt) >= time.Second {
			m.killed = true
			warnf("second_shutdown_signal_killing_children")
			for pid, c := range m.children {
				if c.kind != ckWaitDaemon {
					signalGroup(pid, syscall.SIGKILL)
				}
			}
		}
		return
	}
	m.inShutdown = true
	m.shutdownAt = time.Now()
	infof("attempting_clean_shutdown_on_signal")
	sdNotify("STOPPING=1")
	for _, e := range m.entries {
		for _, l := range e.listeners {
			if l.sock != nil {
				l.sock.close()
				l.sock = nil
			}
		}
	}
	for pid, c := range m.children {
		if c.kind != ckWaitDaemon {
			signalGroup(pid, syscall.SIGTERM)
		}
	}
}

// finish ends master once the services are gone.
func (m *master) finish() int {
	m.stopWaitDaemons()
	m.ready(false)
	noticef("all_children_exited")
	if m.pidFile != nil {
		m.pidFile.Close()
	}
	_ = os.Stderr.Sync()
	return 0
}
