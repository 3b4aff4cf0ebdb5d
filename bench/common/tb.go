package common

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TB is a testing.TB for a program, enough for gyrus/test/harness:
// Fatal and FailNow unwind (panic) to the nearest Catch, Error records a
// problem, Cleanup functions run (last first) at RunCleanups, TempDir
// makes a world-searchable directory under the run's base directory.
type TB struct {
	testing.TB // nil: methods not overridden here are not for use

	name string
	base string

	mu       sync.Mutex
	problems []string
	ndir     int
	cleanups []func()
}

// fatal is what Fatal panics with; Catch recovers it.
type fatal struct{ msg string }

// NewTB returns a TB whose temporary directories go under base.
func NewTB(name, base string) *TB {
	tb := &TB{name: name, base: base}
	return tb
}

// Catch runs f and returns the message of a Fatal/FailNow inside it as
// an error (nil if f returned normally). Other panics propagate.
func (tb *TB) Catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if f, ok := r.(fatal); ok {
				err = fmt.Errorf("%s", f.msg)
				return
			}
			panic(r)
		}
	}()
	f()
	return nil
}

// Problems returns what Error/Errorf recorded (e.g. the harness's
// complaints about error lines in Gyrus's log at stop).
func (tb *TB) Problems() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.problems...)
}

func (tb *TB) Helper()      {}
func (tb *TB) Name() string { return tb.name }
func (tb *TB) Failed() bool { tb.mu.Lock(); defer tb.mu.Unlock(); return len(tb.problems) > 0 }
func (tb *TB) Skipped() bool {
	return false
}

// Cleanup registers f for RunCleanups.
func (tb *TB) Cleanup(f func()) {
	tb.mu.Lock()
	tb.cleanups = append(tb.cleanups, f)
	tb.mu.Unlock()
}

// RunCleanups runs the registered cleanups, last first, each once;
// a Fatal inside one is recorded as a problem.
func (tb *TB) RunCleanups() {
	for {
		tb.mu.Lock()
		if len(tb.cleanups) == 0 {
			tb.mu.Unlock()
			return
		}
		f := tb.cleanups[len(tb.cleanups)-1]
		tb.cleanups = tb.cleanups[:len(tb.cleanups)-1]
		tb.mu.Unlock()
		if err := tb.Catch(f); err != nil {
			tb.record(err.Error())
		}
	}
}

func (tb *TB) Log(args ...any) { fmt.Fprintln(os.Stderr, append([]any{tb.name + ":"}, args...)...) }
func (tb *TB) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, tb.name+": "+format+"\n", args...)
}
func (tb *TB) Error(args ...any) { tb.record(fmt.Sprint(args...)) }
func (tb *TB) Errorf(format string, args ...any) {
	tb.record(fmt.Sprintf(format, args...))
}
func (tb *TB) Fail()    { tb.record("failed") }
func (tb *TB) FailNow() { panic(fatal{"failed"}) }
func (tb *TB) Fatal(args ...any) {
	panic(fatal{fmt.Sprint(args...)})
}
func (tb *TB) Fatalf(format string, args ...any) {
	panic(fatal{fmt.Sprintf(format, args...)})
}
func (tb *TB) Skip(args ...any) { panic(fatal{"skip: " + fmt.Sprint(args...)}) }
func (tb *TB) Skipf(format string, args ...any) {
	panic(fatal{"skip: " + fmt.Sprintf(format, args...)})
}
func (tb *TB) SkipNow() { panic(fatal{"skip"}) }

// TempDir makes a new directory (mode 0755) under the base directory.
func (tb *TB) TempDir() string {
	tb.mu.Lock()
	tb.ndir++
	d := filepath.Join(tb.base, fmt.Sprintf("%s-%d", tb.name, tb.ndir))
	tb.mu.Unlock()
	if err := os.MkdirAll(d, 0o755); err != nil {
		tb.Fatalf("temp dir: %v", err)
	}
	os.Chmod(d, 0o755)
	return d
}

func (tb *TB) record(msg string) {
	tb.mu.Lock()
	tb.problems = append(tb.problems, msg)
	tb.mu.Unlock()
	fmt.Fprintf(os.Stderr, "%s: %s\n", tb.name, msg)
}
