// The epoll backend, Linux's monitor. Mirrors tornado/platform/epoll.py (3.2), where Python's
// select.epoll is handed to the loop as is: IOLoop's READ, WRITE and ERROR are epoll's own bits.

package ioloop

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// EpollPoller watches descriptors with one epoll instance. The interest list lives in the kernel,
// so unlike poll(2) nothing is copied per Wait: the cost of a wait is the number of ready fds,
// not the number of watched ones. That is why one thread can hold ten thousand idle connections.
type EpollPoller struct {
	epfd  int
	flags uint32 // added to every registration: EPOLLET or nothing
	buf   []unix.EpollEvent
}

// NewEpoll creates an epoll instance, close-on-exec. With edgeTriggered false (what Tornado and
// this book use) an fd that still has unread data is reported by every Wait; with it true only a
// change is reported (new data arriving), so a reader that stops before EAGAIN is never woken
// for the rest. Go's runtime registers every socket edge-triggered, and its readers read until
// EAGAIN before they park.
func NewEpoll(edgeTriggered bool) (*EpollPoller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	p := &EpollPoller{epfd: epfd}
	if edgeTriggered {
		p.flags = unix.EPOLLET
	}
	return p, nil
}

// newDefaultPoller is the loop's backend when none is given: level-triggered epoll.
func newDefaultPoller() (Poller, error) { return NewEpoll(false) }

// Register adds fd to the interest list.
func (p *EpollPoller) Register(fd int, events uint32) error {
	return p.ctl(unix.EPOLL_CTL_ADD, fd, events)
}

// Modify changes what fd is watched for.
func (p *EpollPoller) Modify(fd int, events uint32) error {
	return p.ctl(unix.EPOLL_CTL_MOD, fd, events)
}

// Unregister removes fd from the interest list. (Closing an fd removes it too, when no other
// descriptor shares its open file; a dup keeps it registered, which is why Unregister comes first.)
func (p *EpollPoller) Unregister(fd int) error {
	return p.ctl(unix.EPOLL_CTL_DEL, fd, 0)
}

func (p *EpollPoller) ctl(op, fd int, events uint32) error {
	ev := unix.EpollEvent{Events: events&(READ|WRITE|ERROR) | p.flags, Fd: int32(fd)}
	err := unix.EpollCtl(p.epfd, op, fd, &ev)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return fmt.Errorf("epoll_ctl fd %d: %w (%w)", fd, ErrRegistered, err)
	case errors.Is(err, unix.ENOENT):
		return fmt.Errorf("epoll_ctl fd %d: %w (%w)", fd, ErrNotRegistered, err)
	}
	return fmt.Errorf("epoll_ctl fd %d: %w", fd, err)
}

// Wait sleeps in epoll_wait. Level-triggered epoll moves an fd that it reports, and that is still
// ready, to the back of its ready list, so a short events slice does not starve anyone.
//
// unix.EpollWait is an ordinary system call, announced to the Go scheduler, and it must be: the
// wait may last an hour, and a goroutine in a raw system call keeps its P, so a garbage
// collection that stops the world, or any goroutine queued on that P, would wait for it. While
// the loop sleeps here the runtime may hand its P to another thread; the loop's yield keeps that
// from happening on every wait (loop.go). A raw epoll_wait with a zero timeout, tried first,
// would save the scheduler's bookkeeping when events are already waiting, but measured no
// difference at one connection, so the wait stays one plain call.
func (p *EpollPoller) Wait(events []Event, timeout time.Duration) (int, error) {
	if len(events) == 0 {
		return 0, errNoRoom
	}
	if cap(p.buf) < len(events) {
		p.buf = make([]unix.EpollEvent, len(events))
	}
	buf := p.buf[:len(events)]
	n, err := unix.EpollWait(p.epfd, buf, waitMillis(timeout))
	if errors.Is(err, unix.EINTR) {
		return 0, nil
	}
	if err != nil {
		return 0, os.NewSyscallError("epoll_wait", err)
	}
	for i, ev := range buf[:n] {
		events[i] = Event{FD: int(ev.Fd), Events: ev.Events & (READ | WRITE | ERROR)}
	}
	return n, nil
}

// Close closes the epoll descriptor.
func (p *EpollPoller) Close() error {
	if p.epfd < 0 {
		return nil
	}
	err := unix.Close(p.epfd)
	p.epfd = -1
	return os.NewSyscallError("close", err)
}
