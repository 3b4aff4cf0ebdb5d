package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gyrus/lib/config"
	"gyrus/lib/log"
	"gyrus/lib/proc"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

// doProc prints one line per session, in directory order:
// "<pid> <service> <host>[ <user>[ <mailbox>[ <command>]]]".
//
// A Cyrus process keeps one file named by its pid, holding one line
// "service\thost\tuser\tmailbox\tcommand"; those are read exactly as Cyrus
// 3.6.1's proc_foreach reads them (imap/proc.c), so the output is Cyrus's.
// A Gyrus process keeps a directory named by its pid with one such file
// per session (package proc); Cyrus skips directories, we list their
// sessions in session order.
func doProc(w *bufio.Writer, c *config.Config) error {
	dir, err := proc.Dir(c)
	if err != nil {
		return tool.Fatal(sysexits.Config, "%v", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil // no directory: no processes
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1) // directory order, as readdir(3)
	var sessions map[int][]proc.Entry
	for _, name := range names {
		if strings.HasPrefix(name, ".") || (len(name) > 4 && strings.HasSuffix(name, ".new")) {
			continue
		}
		pid, err := strconv.ParseUint(name, 10, 31)
		if err != nil || pid == 0 {
			log.Printf(log.LevelErr, "IOERROR: bogus filename \"%s/%s\" in proc_foreach", dir, name)
			continue
		}
		// Cyrus reopens the file by its pid, not by the name it listed.
		path := filepath.Join(dir, strconv.FormatUint(pid, 10))
		fi, err := os.Stat(path)
		switch {
		case err != nil:
		case fi.Mode().IsRegular():
			if fields, ok := readProcFile(path); ok {
				fmt.Fprintf(w, "%d %s\n", pid, strings.Join(fields, " "))
			}
		case fi.IsDir():
			if sessions == nil {
				sessions = map[int][]proc.Entry{}
				all, _ := proc.List(dir)
				for _, e := range all {
					if e.Session > 0 {
						sessions[e.PID] = append(sessions[e.PID], e)
					}
				}
			}
			for _, e := range sessions[int(pid)] {
				fmt.Fprintf(w, "%d %s %s %s %s %s\n", pid, e.Service, e.Host, e.User, e.Mailbox, e.Command)
			}
			delete(sessions, int(pid)) // listed once, like a file read once
		}
	}
	return nil
}

// readProcFile returns service, host and whichever of user, mailbox and
// command the file has (C string functions stop at NUL, line at CR/LF).
func readProcFile(path string) ([]string, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	s := string(data)
	if i := strings.IndexByte(s, '\r'); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	fields := strings.SplitN(s, "\t", 5)
	if len(fields) < 2 {
		return nil, false
	}
	return fields, true
}
