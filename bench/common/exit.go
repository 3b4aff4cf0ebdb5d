package common

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

var (
	exitMu  sync.Mutex
	exitFns []func()
)

// OnExit registers f to run at Exit (last registered runs first).
func OnExit(f func()) {
	exitMu.Lock()
	defer exitMu.Unlock()
	exitFns = append(exitFns, f)
}

// RunExit runs and forgets every registered function, last first; a
// panic in one is reported and the others still run. It may be called
// more than once (later registrations run at the next call).
func RunExit() {
	for {
		exitMu.Lock()
		if len(exitFns) == 0 {
			exitMu.Unlock()
			return
		}
		f := exitFns[len(exitFns)-1]
		exitFns = exitFns[:len(exitFns)-1]
		exitMu.Unlock()
		func() {
			defer func() {
				if r := recover(); r != nil {
					fmt.Fprintf(os.Stderr, "cleanup: %v\n", r)
				}
			}()
			f()
		}()
	}
}

// Exit runs the registered functions and exits with code.
func Exit(code int) {
	RunExit()
	os.Exit(code)
}

// HandleSignals makes SIGINT, SIGTERM and SIGHUP stop every server
// (RunExit) and exit 130; a second signal during that exits at once.
func HandleSignals() {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-ch
		fmt.Fprintf(os.Stderr, "\n%v: stopping the servers\n", s)
		go func() {
			<-ch
			os.Exit(130)
		}()
		Exit(130)
	}()
}
