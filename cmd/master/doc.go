// Command master is Gyrus's process supervisor: it reads cyrus.conf,
// binds every listening socket, runs the START commands, starts the
// services and daemons, runs the EVENTS on time, and keeps them all alive
// (master(8); spec/tools.md §1.2, spec/config.md §A; Cyrus 3.6.1
// master/master.c).
//
// # Structure
//
//   - start.go: command line to main loop: pid file, configuration,
//     sockets, privileges, START, wait=y daemons, ready file.
//   - supervise.go: the main loop, spawning (prefork, babysit, fork-rate
//     limit, on-demand spawns when a connection waits), child messages
//     and the slot accounting, reaping, ready failures.
//   - bind.go: listen= to sockets. spawn.go: fork/exec with fds 3 and 4.
//   - events.go: the EVENTS schedule and its injectable clock.
//   - reload.go: SIGHUP and shutdown. daemon.go: -d, sd_notify.
//
// # Invariants
//
//   - All state (entries, listeners, children, events) belongs to the
//     main goroutine. Other goroutines only read a child's status socket
//     or wait for a connection on a listening socket, and report over
//     channels; the main goroutine alone writes to children.
//   - The main goroutine is locked to its OS thread and does every fork,
//     because Pdeathsig (children get SIGTERM when master dies) is tied
//     to the thread that forked.
//   - A child gets fds 0-2, and 3 (status) and 4 (listener) for services;
//     every other descriptor is close-on-exec (master marks what it
//     inherited so at start). Each child runs in its own process group.
//   - A child is accounted for once, when it has been reaped and its
//     status socket has reached EOF (so its last messages are counted
//     first); after a second without EOF, at reaping alone.
//   - listener.used = one per one-connection child (and per child that
//     has not yet said which kind it is) + the slots granted to
//     many-connection children. Slots are granted only from maxchild -
//     used, so the connections in use never exceed maxchild.
package main
