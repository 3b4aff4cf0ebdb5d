package timsieved

import (
	"testing"

	"gyrus/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }
