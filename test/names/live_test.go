package names

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

const cyrusRef = "/work/shared/oracle/cyrus-ref"

// TestLiveOracleNames asks the real Cyrus again, now: a sample of the
// names in two namespace settings (collect_names.py --quick), checked
// like the committed table. Starting fresh Cyrus instances takes from
// 20 s to 2 minutes depending on the machine's load, so it runs only
// with GYRUS_ORACLE=1; GYRUS_NAMES_FULL=1 re-collects everything.
func TestLiveOracleNames(t *testing.T) {
	if os.Getenv("GYRUS_ORACLE") == "" && os.Getenv("GYRUS_NAMES_FULL") == "" {
		t.Skip("live oracle run is long; set GYRUS_ORACLE=1 (the committed table is checked by TestCollectedNames)")
	}
	if _, err := os.Stat(cyrusRef); err != nil {
		t.Skipf("oracle script absent: %v", err)
	}
	out := filepath.Join(t.TempDir(), "names.json")
	args := []string{"collect_names.py", "-o", out}
	if os.Getenv("GYRUS_NAMES_FULL") == "" {
		args = append(args, "--quick", "--only", "std-dot,vd-alt-slash")
	}
	cmd := exec.Command("python3", args...)
	res, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 77 {
		t.Skipf("oracle cannot run here: %s", res)
	}
	if err != nil {
		t.Fatalf("collect_names.py: %v\n%s", err, res)
	}
	if n := checkTable(t, loadTable(t, out)); n < 100 {
		t.Errorf("live run gave only %d rows", n)
	}
}
