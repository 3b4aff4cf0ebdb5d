package acl

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLiveOracleACL re-collects a third of the golden table from the
// real Cyrus (test/names/collect_acl.py --quick) and replays it. It
// starts a Cyrus instance, which takes 20 s to a minute or more on a
// loaded machine, so it runs only with GYRUS_ORACLE=1.
func TestLiveOracleACL(t *testing.T) {
	if os.Getenv("GYRUS_ORACLE") == "" {
		t.Skip("live oracle run is long; set GYRUS_ORACLE=1 (the committed golden file is checked by TestOracle*)")
	}
	if _, err := os.Stat("/work/shared/oracle/cyrus-ref"); err != nil {
		t.Skipf("oracle script absent: %v", err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "cyrus_acl.json")
	cmd := exec.Command("python3", "../../test/names/collect_acl.py", "--quick", "-o", out)
	res, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 77 {
		t.Skipf("oracle cannot run here: %s", res)
	}
	if err != nil {
		t.Fatalf("collect_acl.py: %v\n%s", err, res)
	}
	o := loadOraclePath(t, out)
	replaySetACL(t, o)
	replayEvaluation(t, o)
}
