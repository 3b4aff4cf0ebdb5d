package quota

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gyrus/lib/mailbox"
)

// Values written by the real Cyrus 3.6.1 (quota/a/user.alice and
// quota/s/shared of an oracle instance after SETQUOTA).
const (
	cyrusAlice  = "%(S (0 1000) M (0 50) AS (22) NF (4) MODSEQ 10)"
	cyrusShared = "%(S (0 500) M (0) AS (0) NF (2) MODSEQ 0)"
)

func TestCyrusValues(t *testing.T) {
	for _, v := range []string{cyrusAlice, cyrusShared} {
		q, err := Parse("r", []byte(v), true)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(q.Encode()); got != v {
			t.Fatalf("round trip\n%s\n%s", got, v)
		}
	}
	q, _ := Parse("user.alice", []byte(cyrusAlice), false)
	if q.Limit[Storage] != 1000 || q.Limit[Message] != 50 || q.Limit[AnnotStorage] != Unlimited || q.Used[AnnotStorage] != 22 || q.Used[NumFolders] != 4 || q.ModSeq != 10 {
		t.Fatalf("%+v", q)
	}
	if !q.Over(Message, 51) || q.Over(Message, 50) || q.Over(AnnotStorage, 1<<40) || q.Over(Storage, -5) {
		t.Fatal("Over")
	}
}

func TestOldText(t *testing.T) {
	q, err := Parse("user.a", []byte("1024 100"), false)
	if err != nil || q.Used[Storage] != 1024 || q.Limit[Storage] != 100 || q.Limit[Message] != Unlimited {
		t.Fatal(q, err)
	}
	q, err = Parse("user.a", []byte("1024 100 77 M 3 -1 AS 5 10"), false)
	if err != nil || q.Used[Message] != 3 || q.Limit[Message] != -1 || q.Limit[AnnotStorage] != 10 {
		t.Fatal(q, err)
	}
	for _, bad := range []string{"", "1", "x y", "1 2 ZZ 3 4"} {
		if _, err := Parse("r", []byte(bad), false); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDBChargeCheckFindRoot(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(Options{Path: filepath.Join(dir, "quotas.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.SetLimits("user.alice", map[Resource]int64{Storage: 1, Message: 2}); err != nil {
		t.Fatal(err)
	}
	// quotalegacy file where Cyrus puts it
	b, err := os.ReadFile(filepath.Join(dir, "quota", "a", "user.alice"))
	if err != nil || string(b) != "%(S (0 1) M (0 2) AS (0) NF (0) MODSEQ 1)\n" {
		t.Fatalf("%q %v", b, err)
	}
	if r, ok, _ := d.FindRoot("user.alice.Sent.x"); !ok || r != "user.alice" {
		t.Fatal(r, ok)
	}
	if _, ok, _ := d.FindRoot("user.bob"); ok {
		t.Fatal("bob has a root")
	}
	if err := d.Charge("user.alice", mailbox.Usage{Storage: 1000, Messages: 2, Folders: 1}); err != nil {
		t.Fatal(err)
	}
	if err := d.Check("user.alice", mailbox.Usage{Messages: 1}); !errors.Is(err, ErrOverQuota) {
		t.Fatalf("third message allowed: %v", err)
	}
	if err := d.Check("user.alice", mailbox.Usage{Storage: 24}); err != nil {
		t.Fatalf("1024 bytes refused: %v", err)
	}
	if err := d.Check("user.alice", mailbox.Usage{Storage: 25}); !errors.Is(err, ErrOverQuota) {
		t.Fatal("1025 bytes allowed")
	}
	d.Charge("user.alice", mailbox.Usage{Storage: -5000})
	q, _ := d.Read("user.alice")
	if q.Used[Storage] != 0 || q.Used[Message] != 2 || q.ModSeq != 3 {
		t.Fatalf("%+v", q)
	}
	// a missing root is neither checked nor an error to charge
	if d.Check("user.bob", mailbox.Usage{Messages: 1e9}) != nil || d.Charge("user.bob", mailbox.Usage{Messages: 1}) != nil {
		t.Fatal("missing root")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(cyrusAlice))
	f.Add([]byte(cyrusShared))
	f.Add([]byte("1024 100 M 3 -1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := Parse("r", b, true)
		if err != nil {
			return
		}
		for r := Resource(0); r < NumResources; r++ {
			if q.Used[r] < 0 || q.Limit[r] < -1 {
				return // negative numbers in old text: not re-encodable
			}
		}
		q2, err := Parse("r", q.Encode(), true)
		if err != nil || q2.Used != q.Used || q2.Limit != q.Limit || q2.ModSeq != q.ModSeq {
			t.Fatalf("round trip %+v -> %+v %v", q, q2, err)
		}
	})
}
