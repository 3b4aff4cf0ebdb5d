// Command saslpasswd2 sets, changes or deletes a user's SASL password,
// with the options of Cyrus SASL's saslpasswd2(8). New and changed
// passwords go to Gyrus's hashed store beside the sasldb file
// (<file>.gyrus, see gyrus/lib/sasl/store); deletions leave a tombstone
// there, so the user cannot fall back to an entry of an old Berkeley DB
// sasldb2, which is never written.
//
// Exit status is Cyrus SASL's: 0 on success, else the negated SASL
// result code (1 generic failure and usage errors, 7 bad parameter such
// as an empty password or a mismatch at the verification prompt).
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"gyrus/lib/sasl"
	"gyrus/lib/sasl/store"
	"gyrus/lib/version"
)

const (
	exitFail     = 1 // -SASL_FAIL
	exitBadParam = 7 // -SASL_BADPARAM
	pwBufSize    = 2048
)

// confDirs are where libsasl looks for <appname>.conf on Debian.
var confDirs = []string{"/etc/sasl2", "/usr/lib/sasl2", "/usr/lib/x86_64-linux-gnu/sasl2"}

type exitErr struct {
	code int
	msg  string
}

func (e *exitErr) Error() string { return e.msg }

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

func usage(prog string, w io.Writer) {
	fmt.Fprintf(w, "%s: usage: %s [-v] [-c [-p] [-n]] [-d] [-a appname] [-f sasldb] [-u DOM] userid\n"+
		"\t-p\tpipe mode: read the password from standard input, no prompt\n"+
		"\t-c\tcreate the entry (entries are created in any case)\n"+
		"\t-d\tdelete the entry\n"+
		"\t-n\tno clear-text userPassword (Gyrus never stores one)\n"+
		"\t-f sasldb\tthe sasldb file; Gyrus's store is sasldb.gyrus\n"+
		"\t-a appname\tread sasldb_path from appname.conf\n"+
		"\t-u DOM\tuse DOM as the user's realm\n"+
		"\t-v\tprint the version and exit\n", prog, prog)
}

func run(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	prog := filepath.Base(args[0])
	var opErr error
	app := &cli.App{
		Name:                   prog,
		HideHelp:               true,
		HideVersion:            true,
		UseShortOptionHandling: true,
		Writer:                 stdout,
		ErrWriter:              stderr,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "p"},
			&cli.BoolFlag{Name: "c"},
			&cli.BoolFlag{Name: "d"},
			&cli.BoolFlag{Name: "n"},
			&cli.BoolFlag{Name: "v"},
			&cli.BoolFlag{Name: "h"},
			&cli.StringFlag{Name: "f"},
			&cli.StringFlag{Name: "u"},
			&cli.StringFlag{Name: "a"},
		},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return &exitErr{exitFail, err.Error()}
		},
		Action: func(c *cli.Context) error {
			opErr = action(c, prog, stdin, stdout, stderr)
			return nil
		},
	}
	if err := app.Run(args); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		usage(prog, stderr)
		return exitFail
	}
	if opErr != nil {
		var e *exitErr
		if errors.As(opErr, &e) {
			if e.msg != "" {
				fmt.Fprintln(stderr, e.msg)
			}
			return e.code
		}
		fmt.Fprintf(stderr, "%s: generic failure: %v\n", prog, opErr)
		return exitFail
	}
	return 0
}

func action(c *cli.Context, prog string, stdin *os.File, stdout, stderr io.Writer) error {
	if c.Bool("v") {
		fmt.Fprintf(stderr, "%s (%s)\nSecrets: salted PBKDF2 SCRAM-SHA-1 and SCRAM-SHA-256 verifiers in <sasldb>%s\n",
			prog, version.String(), store.Suffix)
		return nil
	}
	if c.Bool("h") || (c.Bool("c") && c.Bool("d")) || c.NArg() != 1 {
		usage(prog, stderr)
		return &exitErr{code: exitFail}
	}
	app := c.String("a")
	if strings.Contains(app, "/") {
		return &exitErr{exitFail, "appname must not contain /"}
	}
	path := c.String("f")
	iter := 0
	if app != "" {
		conf, err := readAppConf(app)
		if err != nil {
			return err
		}
		if path == "" {
			path = conf["sasldb_path"]
		}
		if v := conf["scram_iteration_counter"]; v != "" {
			if iter, err = strconv.Atoi(v); err != nil || iter < 1 {
				return fmt.Errorf("%s.conf: bad scram_iteration_counter %q", app, v)
			}
		}
	}
	if path == "" {
		path = sasl.DefaultSasldbPath
	}
	user, realm := c.Args().First(), c.String("u")
	// libsasl: an '@' in the id names the realm (first '@'); else -u;
	// else this host's name.
	if u, r, ok := strings.Cut(user, "@"); ok {
		user, realm = u, r
	} else if realm == "" {
		h, err := os.Hostname()
		if err != nil {
			return err
		}
		realm = h
	}
	st := store.Open(store.PathFor(path), iter)
	if c.Bool("d") {
		return st.Delete(user, realm)
	}
	pipe := c.Bool("p") || !isTerminal(stdin)
	pw, err := readPassword(stdin, stdout, "Password: ", pipe)
	if err != nil {
		return err
	}
	if !pipe {
		again, err := readPassword(stdin, stdout, "Again (for verification): ", pipe)
		if err != nil {
			return err
		}
		if string(again) != string(pw) {
			return &exitErr{exitBadParam, prog + ": passwords don't match; aborting"}
		}
	}
	if len(pw) == 0 {
		return &exitErr{exitBadParam, prog + ": invalid parameter supplied"}
	}
	return st.SetPassword(user, realm, pw)
}

// readAppConf reads "key: value" lines of the first <app>.conf found.
func readAppConf(app string) (map[string]string, error) {
	conf := map[string]string{}
	for _, d := range confDirs {
		f, err := os.Open(filepath.Join(d, app+".conf"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if ok && !strings.HasPrefix(strings.TrimSpace(k), "#") {
				conf[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		return conf, sc.Err()
	}
	return conf, nil
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// readPassword reads one password. In pipe mode it takes what one read
// returns (up to 2048 bytes, as saslpasswd2 does) less one final
// newline; on a terminal it prompts with echo off.
func readPassword(in *os.File, out io.Writer, prompt string, pipe bool) ([]byte, error) {
	fd := int(in.Fd())
	if !pipe {
		fmt.Fprint(out, prompt)
		old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
		if err == nil {
			t := *old
			t.Lflag &^= unix.ECHO | unix.ECHOE | unix.ECHOK | unix.ECHOCTL | unix.ECHOKE
			t.Lflag |= unix.ICANON | unix.ECHONL
			unix.IoctlSetTermios(fd, unix.TCSETSF, &t)
			defer unix.IoctlSetTermios(fd, unix.TCSETS, old)
		}
	}
	buf := make([]byte, pwBufSize)
	n, err := in.Read(buf)
	if err != nil && err != io.EOF {
		return nil, err
	}
	buf = buf[:n]
	if !pipe && (n == 0 || buf[n-1] != '\n') {
		fmt.Fprintln(out)
	}
	if n > 0 && buf[n-1] == '\n' {
		buf = buf[:n-1]
	}
	return buf, nil
}
