package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The test binary runs as the tool itself when GYRUS_RUN_TOOL is set.
func TestMain(m *testing.M) {
	if os.Getenv("GYRUS_RUN_TOOL") != "" {
		os.Args[0] = "cyr_dbtool"
		main()
		return
	}
	os.Exit(m.Run())
}

// The tool is compared with the real Cyrus 3.6.1 cyr_dbtool on the same
// inputs (skipped when that is not installed or we are not root).
func TestAgainstRealCyrus(t *testing.T) {
	const real = "/usr/lib/cyrus/bin/cyr_dbtool"
	if _, err := os.Stat(real); err != nil || os.Getuid() != 0 {
		t.Skip("needs the real cyr_dbtool and root")
	}
	dir, _ := os.MkdirTemp("", "gyrus-dbtool-")
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	conf := filepath.Join(dir, "imapd.conf")
	os.WriteFile(conf, []byte("configdirectory: "+dir+"\npartition-default: "+dir+"/spool\n"), 0o644)
	bin := os.Args[0]
	run := func(gyrus bool, stdin string, args ...string) (string, string, int) {
		exec.Command("chown", "-R", "cyrus:mail", dir).Run()
		var cmd *exec.Cmd
		if gyrus {
			cmd = exec.Command(bin, append([]string{"-C", conf}, args...)...)
			cmd.Env = append(os.Environ(), "GYRUS_RUN_TOOL=1")
		} else {
			cmd = exec.Command("setpriv", append([]string{"--reuid=cyrus", "--regid=mail", "--init-groups", real, "-C", conf}, args...)...)
		}
		cmd.Stdin = bytes.NewReader([]byte(stdin))
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		cmd.Run()
		return o.String(), e.String(), cmd.ProcessState.ExitCode()
	}
	steps := []struct {
		stdin string
		args  []string
	}{
		{"", []string{"-n", "DB", "twoskip", "set", "foo", "bar"}},
		{"k1\tv1\nk2\tv 2\nk3\n", []string{"DB", "twoskip", "set"}},
		{"SET \"a b\" {3+}\r\nx\x00y\nGET \"a b\"\nSHOW\nBEGIN\nSET n NIL\nSET \"q%\" \"\"\nSHOW k\nCOMMIT\nSHOW\nBOGUS\n", []string{"DB", "twoskip", "batch"}},
		{"COMMIT\n", []string{"DB", "twoskip", "batch"}},
		{"SET a b c\n", []string{"DB", "twoskip", "batch"}},
		{"", []string{"DB", "twoskip", "show"}},
		{"", []string{"-T", "DB", "twoskip", "show", "k"}},
		{"k2\nnone\n", []string{"DB", "twoskip", "get"}},
		{"", []string{"DB", "twoskip", "delete", "k1"}},
		{"", []string{"DB", "twoskip", "consistent"}},
		{"", []string{"DB", "twoskip", "consistency"}},
		{"", []string{"DB", "twoskip", "frob"}},
		{"", []string{"relative.db", "twoskip", "show"}},
		{"", []string{"DB", "nosuch", "show"}},
		{"", []string{"MISSING", "twoskip", "show"}},
		{"", []string{"-n", "FLAT", "flat", "set", "user.a", "x"}},
		{"", []string{"FLAT", "flat", "set", "user.a b", "y"}},
		{"", []string{"FLAT", "flat", "show"}},
		{"", []string{"FLAT", "flat", "consistent"}},
	}
	for i, s := range steps {
		var outs [2][3]any
		for j, gyrus := range []bool{false, true} {
			name := "real"
			if gyrus {
				name = "gyrus"
			}
			args := make([]string, len(s.args))
			for k, a := range s.args {
				switch a {
				case "DB", "MISSING", "FLAT":
					a = filepath.Join(dir, name+"-"+a)
				}
				args[k] = a
			}
			o, e, rc := run(gyrus, s.stdin, args...)
			outs[j] = [3]any{o, e, rc}
		}
		if outs[0] != outs[1] {
			t.Errorf("step %d %v:\nreal  %q\ngyrus %q", i, s.args, outs[0], outs[1])
		}
	}
}
