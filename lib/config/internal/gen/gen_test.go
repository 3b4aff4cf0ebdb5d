package main

import (
	"bytes"
	"os"
	"testing"

	"gyrus/lib/config/internal/table"
)

// TestUpToDate fails when the table changed without `go generate`.
func TestUpToDate(t *testing.T) {
	want, err := generate(table.Options)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../accessors_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("lib/config/accessors_gen.go is stale: run go generate ./lib/config")
	}
}

// TestCollision: two keys that spell the same Go name are refused.
func TestCollision(t *testing.T) {
	opts := []table.Option{
		{Key: "sync_log", Type: table.Switch, Doc: "a."},
		{Key: "sync-log", Type: table.Switch, Doc: "b."},
	}
	if _, err := generate(opts); err == nil {
		t.Fatal("collision not detected")
	}
	if _, err := generate([]table.Option{{Key: "overflow", Type: table.String, Doc: "c."}}); err == nil {
		t.Fatal("clash with a hand-written method not detected")
	}
}
