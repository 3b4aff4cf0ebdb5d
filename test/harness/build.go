package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
	rootOnce  sync.Once
	root      string
)

// Main runs the tests of a package and removes what the harness built.
// Use it as the package's TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// ModuleRoot is the directory of Gyrus's go.mod.
func ModuleRoot() string {
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			return
		}
		for {
			if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module gyrus") {
				root = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return
			}
			dir = parent
		}
	})
	return root
}

// BinEnv names a directory of already built programs (make test sets it
// to bin/, which `make build` has just filled): the harness links them
// instead of building its own copies in every test package, and builds
// only what is not there (the test service).
const BinEnv = "GYRUS_BIN"

// linkPrebuilt fills dir with links to the programs in $GYRUS_BIN and
// records them as built; a cmd/ program missing there is an error, not a
// reason to build a different version of it.
func linkPrebuilt(dir string) {
	src := os.Getenv(BinEnv)
	if src == "" || os.Getenv(RaceEnv) == "1" {
		return
	}
	if st, err := os.Stat(filepath.Join(src, "master")); err != nil || !st.Mode().IsRegular() {
		return
	}
	src, _ = filepath.Abs(src)
	cmds, _ := os.ReadDir(filepath.Join(ModuleRoot(), "cmd"))
	for _, c := range cmds {
		name := c.Name()
		if _, err := os.Stat(filepath.Join(src, name)); err != nil {
			built[name] = fmt.Errorf("no program %s in $%s (%s)", name, BinEnv, src)
			continue
		}
		built[name] = os.Symlink(filepath.Join(src, name), filepath.Join(dir, name))
	}
}

// BinDir returns the directory the harness builds programs into (once
// per test binary, each program when first needed) with master in it.
func BinDir(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if ModuleRoot() == "" {
			buildErr = fmt.Errorf("cannot find the gyrus module root from the working directory")
			return
		}
		dir, err := os.MkdirTemp("", "gyrus-harness-bin-")
		if err != nil {
			buildErr = err
			return
		}
		os.Chmod(dir, 0o755)
		buildDir = dir
		linkPrebuilt(dir)
	})
	if buildErr != nil {
		t.Fatalf("harness: %v", buildErr)
	}
	ensureAll("master", "testservice")
	if err := ensure("master"); err != nil {
		t.Fatalf("harness: %v", err)
	}
	return buildDir
}

// Bin returns the path of a built program (cmd/<name>, or "testservice"),
// building it first if needed; the test fails if it does not build.
func Bin(t testing.TB, name string) string {
	t.Helper()
	BinDir(t)
	if err := ensure(name); err != nil {
		t.Fatalf("harness: %v", err)
	}
	return filepath.Join(buildDir, name)
}

// Have reports whether a program exists in the tree and builds.
func Have(t testing.TB, name string) bool {
	t.Helper()
	BinDir(t)
	return ensure(name) == nil
}

var (
	buildMu  sync.Mutex
	built    = map[string]error{}
	buildLck = map[string]*sync.Mutex{}
)

// ensureAll builds several programs with one go command (much faster
// than one each), then falls back to one by one if that fails.
func ensureAll(names ...string) {
	buildMu.Lock()
	var todo, pkgs []string
	for _, n := range names {
		if _, ok := built[n]; ok {
			continue
		}
		if st, err := os.Stat(filepath.Join(ModuleRoot(), pkgOf(n))); err != nil || !st.IsDir() {
			continue
		}
		todo = append(todo, n)
		pkgs = append(pkgs, pkgOf(n))
	}
	buildMu.Unlock()
	if len(todo) < 2 {
		return
	}
	if _, err := goBuild(ModuleRoot(), buildDir, pkgs...); err != nil {
		return // ensure builds each and records why
	}
	buildMu.Lock()
	for _, n := range todo {
		built[n] = nil
	}
	buildMu.Unlock()
}

func pkgOf(name string) string {
	if name == "testservice" {
		return "./test/testservice"
	}
	return "./cmd/" + name
}

// ensure builds one program into buildDir unless that was done (or
// failed) already.
func ensure(name string) error {
	buildMu.Lock()
	if err, ok := built[name]; ok {
		buildMu.Unlock()
		return err
	}
	l := buildLck[name]
	if l == nil {
		l = &sync.Mutex{}
		buildLck[name] = l
	}
	buildMu.Unlock()
	l.Lock()
	defer l.Unlock()
	buildMu.Lock()
	if err, ok := built[name]; ok {
		buildMu.Unlock()
		return err
	}
	buildMu.Unlock()

	pkg := pkgOf(name)
	var err error
	if st, e := os.Stat(filepath.Join(ModuleRoot(), pkg)); e != nil || !st.IsDir() {
		err = fmt.Errorf("no program %s in the tree", name)
	} else if out, e := goBuild(ModuleRoot(), buildDir, pkg); e != nil {
		err = fmt.Errorf("%s does not build:\n%s", name, out)
	}
	buildMu.Lock()
	built[name] = err
	buildMu.Unlock()
	return err
}

// RaceEnv, set to 1, builds the programs with the race detector; a race
// report in the log then fails the test (ErrorLine).
const RaceEnv = "GYRUS_TEST_RACE"

func goBuild(root, out string, pkgs ...string) ([]byte, error) {
	args := []string{"build", "-o", out + "/"}
	if os.Getenv(RaceEnv) == "1" {
		args = append(args, "-race")
	}
	args = append(args, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	return cmd.CombinedOutput()
}
