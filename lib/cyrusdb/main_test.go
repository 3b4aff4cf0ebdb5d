package cyrusdb_test

import (
	"io"
	"os"
	"testing"

	"gyrus/lib/log"
)

func TestMain(m *testing.M) {
	if os.Getenv("GYRUS_TEST_LOG") == "" {
		log.Setup(log.Options{Ident: "cyrusdb.test", Socket: "/nonexistent", Stderr: io.Discard})
	}
	os.Exit(m.Run())
}
