package main

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// realDBTool is the real Cyrus 3.6.1 cyr_dbtool installed with the oracle
// (/work/shared/oracle); it must run as the cyrus user.
const realDBTool = "/usr/lib/cyrus/bin/cyr_dbtool"

// raceCyrus times the same cyr_dbtool runs with real Cyrus and with the
// Gyrus binary at gyrusTool, each on its own twoskip file:
//
//	batch (random order)  BEGIN, n SETs, COMMIT into a new file
//	batch (sorted)        the same keys in key order, into a new file
//	batch GET             BEGIN, n GETs of random keys, COMMIT
//	batch GET, no txn     the same GETs, each under its own read lock
//	show                  the whole file
//
// and checks that both tools show the same contents, also for the file
// the other one wrote. Wall time and the child's CPU time (user+sys from
// wait4) are printed for each, and per key: keys/s of wall time and CPU
// microseconds (every step touches n keys; show is a foreach of all).
func raceCyrus(n int, gyrusTool string) error {
	if gyrusTool == "" {
		return errors.New("-cyrus needs -gyrus-tool (go build -o /tmp/gyrus-cyr_dbtool ./cmd/cyr_dbtool)")
	}
	if _, err := os.Stat(realDBTool); err != nil {
		return fmt.Errorf("real Cyrus not installed: %w", err)
	}
	if os.Getuid() != 0 {
		return errors.New("-cyrus must run as root (the tools run as user cyrus)")
	}
	gyrusTool, _ = filepath.Abs(gyrusTool)
	dir, err := os.MkdirTemp("", "cyrusdb-vs-cyrus-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	conf := filepath.Join(dir, "imapd.conf")
	os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
	os.WriteFile(conf, []byte("configdirectory: "+dir+"/conf\npartition-default: "+dir+"/spool\n"), 0o644)

	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("user.u%07d.folder%d", i/10, i%10)
	}
	val := strings.Repeat("v", 100)
	r := rand.New(rand.NewPCG(1, 2))
	perm := r.Perm(n)
	lit := func(b *bytes.Buffer, s string) { fmt.Fprintf(b, "{%d+}\r\n%s", len(s), s) }
	var random, sorted, gets, getsNoTxn bytes.Buffer
	for _, b := range []*bytes.Buffer{&random, &sorted, &gets} {
		b.WriteString("BEGIN\n")
	}
	for i := 0; i < n; i++ {
		for _, x := range []struct {
			b *bytes.Buffer
			k string
		}{{&random, keys[perm[i]]}, {&sorted, keys[i]}} {
			x.b.WriteString("SET ")
			lit(x.b, x.k)
			x.b.WriteString(" ")
			lit(x.b, val)
			x.b.WriteString("\n")
		}
		k := keys[r.IntN(n)]
		for _, b := range []*bytes.Buffer{&gets, &getsNoTxn} {
			b.WriteString("GET ")
			lit(b, k)
			b.WriteString("\n")
		}
	}
	for _, b := range []*bytes.Buffer{&random, &sorted, &gets} {
		b.WriteString("COMMIT\n")
	}
	exec.Command("chown", "-R", "cyrus:mail", dir).Run()

	tools := []struct{ name, bin string }{{"cyrus", realDBTool}, {"gyrus", gyrusTool}}
	fmt.Printf("%d keys of 21 bytes, values of 100 bytes, twoskip, one transaction per batch\n", n)
	fmt.Printf("%-22s %-6s %10s %10s %12s %11s\n", "step", "tool", "wall", "cpu", "keys/s", "cpu/key")
	shows := map[string][]byte{}
	for _, step := range []struct {
		name   string
		input  []byte
		create bool
		args   []string
	}{
		{"batch SET (random)", random.Bytes(), true, []string{"batch"}},
		{"batch SET (sorted)", sorted.Bytes(), true, []string{"batch"}},
		{"batch GET (random)", gets.Bytes(), false, []string{"batch"}},
		{"batch GET, no txn", getsNoTxn.Bytes(), false, []string{"batch"}},
		{"show", nil, false, []string{"show"}},
	} {
		for _, tool := range tools {
			db := filepath.Join(dir, "conf", tool.name+".db")
			args := []string{"--reuid=cyrus", "--regid=mail", "--init-groups", tool.bin, "-C", conf}
			if step.create {
				os.Remove(db)
				args = append(args, "-n")
			}
			args = append(append(args, db, "twoskip"), step.args...)
			out, wall, cpu, err := run(args, step.input)
			if err != nil {
				return fmt.Errorf("%s %s: %w", tool.name, step.name, err)
			}
			if step.name == "show" {
				shows[tool.name] = out
			}
			fmt.Printf("%-22s %-6s %9.3fs %9.3fs %12.0f %9.2fµs\n", step.name, tool.name, wall.Seconds(), cpu.Seconds(),
				float64(n)/wall.Seconds(), float64(cpu.Microseconds())/float64(n))
		}
	}
	if !bytes.Equal(shows["cyrus"], shows["gyrus"]) {
		return errors.New("cyrus and gyrus show different contents")
	}
	if c := bytes.Count(shows["gyrus"], []byte("\n")); c != n {
		return fmt.Errorf("show printed %d records, want %d", c, n)
	}
	// Each tool reads the file the other one wrote.
	for _, x := range [][2]string{{realDBTool, "gyrus"}, {gyrusTool, "cyrus"}} {
		out, _, _, err := run([]string{"--reuid=cyrus", "--regid=mail", "--init-groups", x[0], "-C", conf,
			filepath.Join(dir, "conf", x[1]+".db"), "twoskip", "show"}, nil)
		if err != nil {
			return err
		}
		if !bytes.Equal(out, shows["gyrus"]) {
			return fmt.Errorf("%s shows the file %s wrote differently", x[0], x[1])
		}
	}
	fmt.Println("contents: identical (each tool also read the other's file)")
	return nil
}

// run runs setpriv with args, stdin from input, and returns stdout, the
// wall time and the child's CPU time.
func run(args []string, input []byte) ([]byte, time.Duration, time.Duration, error) {
	cmd := exec.Command("setpriv", args...)
	if input != nil {
		cmd.Stdin = bytes.NewReader(input)
	}
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%v: %s", err, errb.String())
	}
	if bytes.Contains(errb.Bytes(), []byte("FAILED")) {
		return nil, 0, 0, errors.New(errb.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return out.Bytes(), wall, cpu, nil
}
