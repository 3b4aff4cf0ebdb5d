package fileio

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Raw syncs: the group commit's long system calls hidden from the Go
// scheduler.
//
// A goroutine in a system call keeps its P (the right to run Go code)
// until the runtime's sysmon thread takes it away, which it does once
// it has seen the call in progress on two of its ticks while no other
// P is idle (or work waits on that P). Its tick is 20 µs for as long
// as it keeps taking Ps, and it restarts at 20 µs whenever a thread
// that lost its P comes back from its call to an idle process. The
// syncs of a delivery batch take 0.2-2 ms, so in lmtpd every one of
// them lost its P: a P handed to a new thread, sysmon never backing
// off, the returning thread parked; ~6 of lmtpd's ~17 context switches
// per message were sysmon's own, and the slower the machine's moment,
// the more of them (bench/lmtp/RESULTS.md, session 9).
//
// A raw system call (RawSyscall) is not announced to the scheduler: the
// goroutine keeps its P, sysmon has nothing to take and backs off to
// 10 ms. The price is that P: a process that makes raw calls adds as
// many Ps as it may have raw calls in flight, so that the others still
// run Go code on every CPU, and SetRawSyncs bounds the calls in flight
// to that number (the next callers make ordinary calls). A raw call
// also delays a stop of the world (at the start and end of each
// garbage collection) until it returns: with a disk that takes seconds
// per sync the whole process waits with it, where the deliveries
// waiting for that sync wait anyway.
var (
	rawSlots  atomic.Int32 // raw calls allowed in flight (0: none)
	rawFlight atomic.Int32
)

// SetRawSyncs lets up to n of the process's group syncs (SyncFS and
// SyncOverwrite) be in flight as raw system calls at once; the caller
// has made n more Ps than CPUs (runtime.GOMAXPROCS). 0 turns them off.
func SetRawSyncs(n int) { rawSlots.Store(int32(n)) }

// syncCall makes the blocking system call trap with its arguments,
// raw if a slot is free, and retries it when a signal interrupts it.
func syncCall(trap, a1, a2, a3, a4 uintptr) error {
	for {
		var e unix.Errno
		if rawFlight.Add(1) <= rawSlots.Load() {
			_, _, e = unix.RawSyscall6(trap, a1, a2, a3, a4, 0, 0)
			rawFlight.Add(-1)
		} else {
			rawFlight.Add(-1)
			_, _, e = unix.Syscall6(trap, a1, a2, a3, a4, 0, 0)
		}
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return e
	}
}
