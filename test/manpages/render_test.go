package manpages

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var pageName = regexp.MustCompile(`^[A-Za-z0-9_.+-]+\.[1-8]$`)

func TestRenderAll(t *testing.T) {
	man, err := exec.LookPath("man")
	if err != nil {
		t.Skip("man(1) is not installed (apt-get install man-db groff-base)")
	}
	entries, err := os.ReadDir("../../man")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() || !pageName.MatchString(e.Name()) {
			continue
		}
		n++
		path := filepath.Join("../../man", e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			cmd := exec.Command(man, "--warnings", "-l", path)
			cmd.Env = append(os.Environ(), "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat", "LC_ALL=C.UTF-8")
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Run(); err != nil {
				t.Fatalf("man -l %s: %v\n%s", path, err, errb.String())
			}
			if errb.Len() > 0 {
				t.Errorf("warnings rendering %s:\n%s", path, errb.String())
			}
			// A page must say what it is: NAME with "name \- summary".
			text := out.String()
			if !strings.Contains(text, "NAME") || out.Len() < 200 {
				t.Errorf("%s renders to almost nothing (%d bytes)", path, out.Len())
			}
			base := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
			if !strings.Contains(text, base) {
				t.Errorf("%s does not mention %s", path, base)
			}
		})
	}
	if n == 0 {
		t.Fatal("no man pages found under man/")
	}
}
