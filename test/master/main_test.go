// Package master_test checks cmd/master end to end with the small line
// service test/testservice: process management, the child protocol,
// signals, the pid file and `make run`.
package master_test

import (
	"testing"

	"gyrus/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }
