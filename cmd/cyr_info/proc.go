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
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

// procDir is where services keep one file per process: proc_path, or
// {configdirectory}/proc (Cyrus 3.6.1 imap/proc.c).
func procDir(c *config.Config) (string, error) {
	p := c.ProcPath()
	if p == "" {
		return c.Configdirectory() + "/proc/", nil
	}
	if !strings.HasPrefix(p, "/") {
		return "", tool.Fatal(sysexits.Config, "proc path must be fully qualified")
	}
	if len(p) < 2 {
		return "", tool.Fatal(sysexits.Config, "proc path must not be '/'")
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p, nil
}

// doProc prints one line per proc file, in directory order:
// "<pid> <service> <host>[ <user>[ <mailbox>[ <command>]]]". A proc file
// holds one line "service\thost\tuser\tmailbox\tcommand".
func doProc(w *bufio.Writer, c *config.Config) error {
	dir, err := procDir(c)
	if err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil // no directory: no processes
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	for _, name := range names {
		if strings.HasPrefix(name, ".") || (len(name) > 4 && strings.HasSuffix(name, ".new")) {
			continue
		}
		pid, err := strconv.ParseUint(name, 10, 32)
		if err != nil || pid == 0 {
			log.Printf(log.LevelErr, "IOERROR: bogus filename \"%s%s\" in proc_foreach", dir, name)
			continue
		}
		// Cyrus reopens the file by its pid, not by the name it listed.
		fields, ok := readProcFile(filepath.Join(dir, strconv.FormatUint(pid, 10)))
		if !ok {
			continue
		}
		fmt.Fprintf(w, "%d %s", pid, strings.Join(fields, " "))
		w.WriteString("\n")
	}
	return nil
}

// readProcFile returns service, host and whichever of user, mailbox and
// command the file has.
func readProcFile(path string) ([]string, bool) {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return nil, false
	}
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
