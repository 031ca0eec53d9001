// Package ioloop is chapter 3: the "monitor" of the tutorial and the event loop built on it.
//
// It mirrors tornado/ioloop.py and tornado/platform/{epoll,kqueue,posix}.py from Tornado 3.2.
// The tutorial's paragraph on the monitor (监视器), in its TCPServer section, says that a server
// hands its sockets to a monitor, sleeps until the monitor says which are ready, and handles only
// those; this package is that sentence in code.
//
// Two layers:
//   - Poller (poller.go) is the monitor: register an fd with the events wanted, wait for the
//     ready ones. Three backends meet one written contract: epoll on Linux (level-triggered, or
//     edge-triggered on request), kqueue on macOS and the BSDs, and poll(2) everywhere, which
//     Linux can select too so that the tests run the loop on two monitors.
//   - IOLoop is Tornado's PollIOLoop: handlers per fd (READ, WRITE, ERROR with epoll's values),
//     callbacks that any goroutine may add (waking the loop through an eventfd or a pipe),
//     timeouts on a heap whose earliest deadline decides how long the monitor may sleep,
//     PeriodicCallback, Start/Stop, RunSync, Instance and Current. One pass of the loop runs the
//     queued callbacks, then the due timeouts, then waits, then calls the handlers of the ready
//     fds one at a time.
//
// The loop runs on one goroutine locked to one OS thread. Everything but AddCallback and Stop
// belongs to that goroutine while it runs; handlers and callbacks must not block, since while
// one runs, nothing else does.
//
// EchoServer (echo_server.go, echo_accept.go, echo_conn.go) is the echo protocol on raw loop
// handlers, run by `go run ./chapters run ch03/epoll` and, on the poll(2) monitor, `ch03/poll`.
// The listener's handler accepts; each connection gets a handler of its own that drives chapter
// 2's EchoConn. It is registered once for READ, and what it is watched for changes only when
// what it wants does (WRITE while output is owed; no READ after EOF, or past chapter 2's
// MaxPendingOutput), so an idle connection costs no pass anything. Chapter 4 puts IOStream
// between the loop and the protocol instead.
package ioloop
