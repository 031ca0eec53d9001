// The poll(2) server: the same loop as select's, with a list instead of a bitmap. Tornado has no
// poll backend (tornado/ioloop.py 3.2 goes from select straight to epoll and kqueue); it is here
// because it is the step between them: it removes select's wall and keeps select's cost.

package nonblocking

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// NewPoll listens on hostport and returns a server whose loop sleeps in poll(2). poll takes an
// array of (descriptor, events wanted) pairs, so any descriptor number will do: no 1024 wall.
// What it keeps from select is the cost: the whole array is copied to the kernel and checked
// entry by entry on every call, however few sockets are ready.
func NewPoll(hostport string) (*Server, error) {
	s, err := newServer(hostport, "poll", true)
	if err != nil {
		return nil, err
	}
	s.run = (*loop).pollLoop
	return s, nil
}

// pollLoop rebuilds the array each pass from the connections' wishes: conns[i] is the
// connection of fds[first+i].
func (l *loop) pollLoop() error {
	var fds []unix.PollFd
	var conns []*EchoConn
	wake, listener := l.s.waker.FD(), l.s.listener
	for !l.stopping() {
		now := time.Now()
		wait, timed := l.tick(now)
		accepting := l.accepting(now)

		fds = append(fds[:0], unix.PollFd{Fd: int32(wake), Events: unix.POLLIN})
		if accepting {
			fds = append(fds, unix.PollFd{Fd: int32(listener), Events: unix.POLLIN})
		}
		first := len(fds)
		conns = conns[:0]
		for fd, c := range l.conns {
			var events int16
			if c.WantRead() {
				events |= unix.POLLIN
			}
			if c.WantWrite() {
				events |= unix.POLLOUT
			}
			fds = append(fds, unix.PollFd{Fd: int32(fd), Events: events})
			conns = append(conns, c)
		}
		timeout := -1 // milliseconds; -1 sleeps until a descriptor is ready
		if timed {
			timeout = int((wait + time.Millisecond - 1) / time.Millisecond)
		}

		_, err := unix.Poll(fds, timeout)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return os.NewSyscallError("poll", err)
		}

		if fds[0].Revents != 0 {
			l.s.waker.Drain()
		}
		// A hang-up or an error is reported whether asked for or not; the read or write that
		// follows returns the error, which closes the connection.
		for i, c := range conns {
			ready := fds[first+i].Revents
			if ready&(unix.POLLIN|unix.POLLHUP|unix.POLLERR) != 0 && c.WantRead() && !l.read(c) {
				continue
			}
			if ready&(unix.POLLOUT|unix.POLLHUP|unix.POLLERR) != 0 && c.WantWrite() {
				l.write(c)
			}
		}
		if accepting && fds[1].Revents != 0 {
			if err := l.accept(); err != nil {
				return err
			}
		}
	}
	return nil
}
