package sievedir

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestStore(t *testing.T) {
	d := Open(filepath.Join(t.TempDir(), "u", "a", "alice"))
	if l, err := d.List(); err != nil || l != nil {
		t.Fatalf("List of a missing directory = %v, %v", l, err)
	}
	if err := d.Put("one", []byte("keep;\r\n"), []byte("BC1")); err != nil {
		t.Fatal(err)
	}
	if err := d.Put("two", []byte("discard;\r\n"), []byte("BC2")); err != nil {
		t.Fatal(err)
	}
	if b, err := d.Get("one"); err != nil || string(b) != "keep;\r\n" {
		t.Fatalf("Get = %q, %v", b, err)
	}
	if b, err := d.Bytecode("two"); err != nil || string(b) != "BC2" {
		t.Fatalf("Bytecode = %q, %v", b, err)
	}
	if err := d.SetActive("two"); err != nil {
		t.Fatal(err)
	}
	if tgt, _ := os.Readlink(filepath.Join(d.Path, "defaultbc")); tgt != "two.bc" {
		t.Fatalf("defaultbc -> %q", tgt)
	}
	if p, ok := d.ActiveBytecodePath(); !ok || filepath.Base(p) != "defaultbc" {
		t.Fatalf("ActiveBytecodePath = %q %v", p, ok)
	}
	want := []Script{{"one", false}, {"two", true}}
	if l, _ := d.List(); !reflect.DeepEqual(l, want) {
		t.Fatalf("List = %v", l)
	}
	if err := d.Delete("two"); !errors.Is(err, ErrActive) {
		t.Fatalf("Delete active = %v", err)
	}
	if err := d.Rename("two", "one"); !errors.Is(err, ErrExists) {
		t.Fatalf("Rename onto existing = %v", err)
	}
	if err := d.Rename("nope", "three"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Rename missing = %v", err)
	}
	if err := d.Rename("two", "three"); err != nil {
		t.Fatal(err)
	}
	if a, _ := d.Active(); a != "three" {
		t.Fatalf("Active after rename = %q", a)
	}
	if b, err := os.ReadFile(filepath.Join(d.Path, "defaultbc")); err != nil || string(b) != "BC2" {
		t.Fatalf("defaultbc content = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(d.Path, "two.bc")); !os.IsNotExist(err) {
		t.Fatalf("two.bc left: %v", err)
	}
	if err := d.SetActive(""); err != nil {
		t.Fatal(err)
	}
	if a, _ := d.Active(); a != "" {
		t.Fatalf("Active after deactivate = %q", a)
	}
	if err := d.SetActive("zzz"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetActive missing = %v", err)
	}
	if err := d.Delete("three"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Get("three"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get deleted = %v", err)
	}
	ents, _ := os.ReadDir(d.Path)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "one.bc one.script" {
		t.Fatalf("directory holds %v", names)
	}
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{
		"": false, "a": true, "a/b": false, "a\x00": false, "é ü": true,
		strings.Repeat("x", MaxNameLen-1): true, strings.Repeat("x", MaxNameLen): false,
	} {
		if ValidName(name) != ok {
			t.Errorf("ValidName(%q) = %v", name, !ok)
		}
	}
	d := Open(t.TempDir())
	if err := d.Put("a/b", nil, nil); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("Put a/b = %v", err)
	}
}

// A temporary file left by a crash is not a script.
func TestLeftoverTemp(t *testing.T) {
	d := Open(t.TempDir())
	os.WriteFile(filepath.Join(d.Path, tempName()), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(d.Path, ".script"), []byte("x"), 0o600)
	if n, err := d.Count(); err != nil || n != 0 {
		t.Fatalf("Count = %d, %v", n, err)
	}
}

// List gives the creation order; replacing or renaming a script keeps
// its place.
func TestListOrder(t *testing.T) {
	d := Open(t.TempDir())
	for _, n := range []string{"z", "a", "m"} {
		if err := d.Put(n, []byte(n), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Put("z", []byte("again"), nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Rename("a", "b"); err != nil {
		t.Fatal(err)
	}
	l, _ := d.List()
	var names []string
	for _, s := range l {
		names = append(names, s.Name)
	}
	if strings.Join(names, " ") != "z b m" {
		t.Errorf("order %v, want z b m", names)
	}
}
