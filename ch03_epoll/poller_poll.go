//go:build unix

// The poll(2) backend: portable to every Unix, and selectable on Linux so that the IOLoop's tests
// run on two different monitors. Tornado 3.2's portable fallback is select (platform/select.py);
// poll has no FD_SETSIZE wall, so it stands in for it here.

package ioloop

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// PollPoller keeps the pollfd array that poll(2) takes, ready to pass as it is, and an index from
// fd to its slot, so register, modify and unregister cost O(1). The kernel still walks the whole
// array on every call: that O(n) is what chapter 2 measured and epoll removes.
type PollPoller struct {
	fds    []unix.PollFd
	slot   map[int]int // fd -> index in fds
	start  int         // where the next Wait starts reporting, so no fd is starved
	closed bool
}

// NewPoll returns an empty poll(2) set. There is no kernel object to create.
func NewPoll() *PollPoller {
	return &PollPoller{slot: make(map[int]int)}
}

// Register adds a slot for fd at the end of the array.
func (p *PollPoller) Register(fd int, events uint32) error {
	if p.closed {
		return errPollClosed
	}
	if _, ok := p.slot[fd]; ok {
		return fmt.Errorf("poll fd %d: %w", fd, ErrRegistered)
	}
	p.slot[fd] = len(p.fds)
	p.fds = append(p.fds, unix.PollFd{Fd: int32(fd), Events: toPoll(events)})
	return nil
}

// Modify rewrites fd's slot in place.
func (p *PollPoller) Modify(fd int, events uint32) error {
	i, ok := p.slot[fd]
	if !ok {
		return fmt.Errorf("poll fd %d: %w", fd, ErrNotRegistered)
	}
	p.fds[i].Events = toPoll(events)
	return nil
}

// Unregister moves the last slot into fd's place, so the array never has holes.
func (p *PollPoller) Unregister(fd int) error {
	i, ok := p.slot[fd]
	if !ok {
		return fmt.Errorf("poll fd %d: %w", fd, ErrNotRegistered)
	}
	last := len(p.fds) - 1
	if i != last {
		p.fds[i] = p.fds[last]
		p.slot[int(p.fds[i].Fd)] = i
	}
	p.fds = p.fds[:last]
	delete(p.slot, fd)
	return nil
}

// Wait calls poll(2) on the whole array, then collects the slots the kernel marked. Each Wait
// starts looking after the last fd the previous one reported, so when more fds are ready than
// events can hold, those at the end of the array get their turn.
func (p *PollPoller) Wait(events []Event, timeout time.Duration) (int, error) {
	if p.closed {
		return 0, errPollClosed
	}
	if len(events) == 0 {
		return 0, errNoRoom
	}
	ready, err := unix.Poll(p.fds, waitMillis(timeout))
	if errors.Is(err, unix.EINTR) {
		return 0, nil
	}
	if err != nil {
		return 0, os.NewSyscallError("poll", err)
	}
	n, total, first := 0, len(p.fds), p.start
	for k := 0; k < total && n < ready && n < len(events); k++ {
		i := (first + k) % total
		if revents := p.fds[i].Revents; revents != 0 {
			events[n] = Event{FD: int(p.fds[i].Fd), Events: fromPoll(revents)}
			n++
			p.start = (i + 1) % total
		}
	}
	return n, nil
}

// Close forgets every fd; poll(2) holds nothing in the kernel between calls.
func (p *PollPoller) Close() error {
	p.closed = true
	p.fds, p.slot = nil, nil
	return nil
}

var errPollClosed = errors.New("poll: poller closed")

func toPoll(events uint32) int16 {
	var e int16
	if events&READ != 0 {
		e |= unix.POLLIN
	}
	if events&WRITE != 0 {
		e |= unix.POLLOUT
	}
	return e // POLLERR, POLLHUP and POLLNVAL are always reported; they cannot be asked for
}

func fromPoll(revents int16) uint32 {
	var e uint32
	if revents&unix.POLLIN != 0 {
		e |= READ
	}
	if revents&unix.POLLOUT != 0 {
		e |= WRITE
	}
	if revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
		e |= ERROR
	}
	return e
}
