// The Poller: the "monitor" the tutorial describes, one small interface in front of epoll, kqueue
// and poll. Mirrors the adapter that tornado/ioloop.py (3.2) expects of its backends (register,
// modify, unregister, poll; see tornado/platform/epoll.py and kqueue.py).

package ioloop

import (
	"errors"
	"math"
	"time"
)

// The contract every backend meets (after runtime/netpoll.go, which writes its contract the same
// way, above the code that relies on it).
//
// Register(fd, events)
//
//	Starts watching fd for events, a mix of READ, WRITE and ERROR. Registering an fd that is
//	already registered fails with an error matching ErrRegistered; the first registration stays.
//
// Modify(fd, events)
//
//	Replaces the events watched for fd. An fd that is not registered fails with ErrNotRegistered.
//
// Unregister(fd)
//
//	Stops watching fd. An fd that is not registered fails with ErrNotRegistered. The backend's
//	own records of fd are dropped even when the kernel call fails (for example because the fd was
//	closed first), so the number can be registered again when the kernel hands it out anew.
//
// Wait(events, timeout)
//
//	Sleeps until at least one watched fd is ready or timeout passes, then fills events[:n] and
//	returns n. A negative timeout waits for ever, zero only looks. The caller owns the slice and
//	its length bounds n; len(events) must be at least 1. Each fd appears at most once per call,
//	with all its ready events in one Event (kqueue's separate read and write filters are merged).
//	A signal that interrupts the wait (EINTR, frequent in Go: the runtime preempts goroutines
//	with SIGURG) returns 0 and a nil error, so the caller recomputes its timeout and waits again.
//	When more fds are ready than events can hold, the rest are reported by later calls; no fd
//	that stays ready is starved by the others.
//
// Close()
//
//	Releases the kernel object. Calling it twice is harmless; other calls after it fail.
//
// What is reported:
//   - Level-triggered by default: an fd that is still ready is reported again by the next Wait,
//     whether or not the caller read anything. Only NewEpoll(true) is edge-triggered, and then an
//     fd is reported once per change, so its reader must drain it until EAGAIN.
//   - Only the READ and WRITE events that were asked for, plus ERROR, which is always reported,
//     asked or not (epoll and poll(2) work that way). ERROR means the fd has a pending error
//     (a reset connection, a pipe whose reader is gone) or is hung up in both directions.
//   - A peer that only stopped sending (a TCP FIN) is READ, and read then returns 0 bytes: that is
//     not an error, the other direction may still work.
//   - kqueue cannot watch for errors alone. Like Tornado, it watches reads when neither READ nor
//     WRITE is asked for, so an fd registered for ERROR only may see READ. It also cannot tell a
//     pipe or socketpair whose peer has gone from one whose peer only stopped sending: both are
//     READ with EOF there, where epoll and poll say ERROR.
//
// A Poller is not safe for concurrent use: the IOLoop calls it from its own goroutine only.
type Poller interface {
	Register(fd int, events uint32) error
	Modify(fd int, events uint32) error
	Unregister(fd int) error
	Wait(events []Event, timeout time.Duration) (n int, err error)
	Close() error
}

// Event is one ready descriptor and what it is ready for.
type Event struct {
	FD     int
	Events uint32
}

// The events, with epoll's own values as in Tornado, so the epoll backend passes them through.
const (
	NONE  uint32 = 0
	READ  uint32 = 0x001         // EPOLLIN
	WRITE uint32 = 0x004         // EPOLLOUT
	ERROR uint32 = 0x008 | 0x010 // EPOLLERR | EPOLLHUP
)

// Errors every backend reports in the same way.
var (
	ErrRegistered    = errors.New("fd already registered")
	ErrNotRegistered = errors.New("fd not registered")
	errNoRoom        = errors.New("wait: the events slice is empty")
)

// waitMillis turns a Wait timeout into the milliseconds epoll_wait and poll take: -1 for ever,
// and a positive duration rounded up, so that a timer due in 0.3 ms is not polled for in a busy
// loop of zero-timeout waits until it is due. Beyond the int32 range (24 days) it is capped.
func waitMillis(timeout time.Duration) int {
	switch {
	case timeout < 0:
		return -1
	case timeout >= math.MaxInt32*time.Millisecond:
		return math.MaxInt32
	}
	return int((timeout + time.Millisecond - 1) / time.Millisecond)
}
