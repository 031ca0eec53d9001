// The select(2) server: the kernel says which sockets are ready, for at most FD_SETSIZE
// descriptors. Mirrors tornado/platform/select.py _Select (3.2), the backend Tornado falls back
// to when it has neither epoll nor kqueue, with the loop written inline.

package nonblocking

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// FDSetSize is how many descriptors a select(2) set can name: 1024 on Linux, macOS and the BSDs
// (C's FD_SETSIZE). A set is a fixed bitmap, one bit per descriptor number, so its size in bits
// is the limit: descriptor 1024 has no bit. In C, FD_SET(1024, &set) writes past the end of the
// set and corrupts memory; in Go, FdSet.Set(1024) panics on the array bound. Either way the
// server must never ask.
const FDSetSize = int(unsafe.Sizeof(unix.FdSet{})) * 8

// NewSelect listens on hostport and returns a server whose loop sleeps in select(2) until a
// socket is readable (or, with output owed, writable), then serves the ready ones.
//
// A connection whose descriptor is FDSetSize or more cannot be watched: it is closed as soon as
// it is accepted, with an explanation in the log (one line per burst), and the server carries on
// with the others. The limit counts descriptor numbers, not connections: the listener, the
// self-pipe and every other file the process has open use numbers below 1024 too.
func NewSelect(hostport string) (*Server, error) {
	s, err := newServer(hostport, "select", true)
	if err != nil {
		return nil, err
	}
	for _, fd := range []int{s.listener, s.waker.FD()} {
		if err := admitForSelect(fd); err != nil {
			s.Stop()
			return nil, fmt.Errorf("select server: %w", err)
		}
	}
	s.run = (*loop).selectLoop
	s.admit = admitForSelect
	return s, nil
}

func admitForSelect(fd int) error {
	if fd >= FDSetSize {
		return fmt.Errorf("fd %d: %w; ch02/poll and chapter 3's epoll have no such limit",
			fd, ErrDescriptorTooLarge)
	}
	return nil
}

// selectLoop builds the two sets afresh each pass (select overwrites them with its answer), asks
// the kernel, and serves what it reports. The kernel scans every bit up to the highest
// descriptor, and so does the loop: the cost of a pass grows with the number of connections,
// busy or idle.
func (l *loop) selectLoop() error {
	var rset, wset unix.FdSet
	wake, listener := l.s.waker.FD(), l.s.listener
	for !l.stopping() {
		now := time.Now()
		wait, timed := l.tick(now)
		accepting := l.accepting(now)

		rset.Zero()
		wset.Zero()
		rset.Set(wake)
		maxfd := wake
		if accepting {
			rset.Set(listener)
			maxfd = max(maxfd, listener)
		}
		for fd, c := range l.conns {
			if c.WantRead() {
				rset.Set(fd)
			}
			if c.WantWrite() {
				wset.Set(fd)
			}
			maxfd = max(maxfd, fd)
		}
		var timeout *unix.Timeval
		if timed {
			tv := unix.NsecToTimeval(wait.Nanoseconds())
			timeout = &tv
		}

		_, err := unix.Select(maxfd+1, &rset, &wset, nil, timeout)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return os.NewSyscallError("select", err)
		}

		if rset.IsSet(wake) {
			l.s.waker.Drain()
		}
		for fd, c := range l.conns {
			if rset.IsSet(fd) && !l.read(c) {
				continue
			}
			if wset.IsSet(fd) {
				l.write(c)
			}
		}
		// New connections are accepted last, so that none is looked up in sets built before
		// it existed.
		if accepting && rset.IsSet(listener) {
			if err := l.accept(); err != nil {
				return err
			}
		}
	}
	return nil
}
