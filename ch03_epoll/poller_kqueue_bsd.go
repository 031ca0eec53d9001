//go:build darwin || freebsd || netbsd || openbsd || dragonfly

// The kqueue backend, the monitor of macOS and the BSDs. Mirrors tornado/platform/kqueue.py
// (3.2): one read filter and one write filter per fd, EV_EOF on the write filter and EV_ERROR
// reported as ERROR, and the two filters' events for one fd merged into one event.

package ioloop

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// KqueuePoller watches descriptors with one kqueue. Where epoll keeps one entry per fd with an
// event mask, kqueue keeps one entry (a "filter") per fd and kind of readiness, so READ|WRITE is
// two kernel entries, added and deleted separately.
type KqueuePoller struct {
	kq     int
	active map[int]*kqueueEntry
	buf    []unix.Kevent_t
	pass   uint64 // counts Waits, to merge the filters of one fd within one Wait
}

type kqueueEntry struct {
	events uint32 // as registered
	pass   uint64 // the last Wait that reported this fd
	slot   int    // its index in that Wait's events
}

// NewKqueue creates a kqueue, close-on-exec. There is no kqueue1 with a close-on-exec flag on
// every BSD, so the flag is set right after, under syscall.ForkLock as Go's net package does.
func NewKqueue() (*KqueuePoller, error) {
	syscall.ForkLock.RLock()
	kq, err := unix.Kqueue()
	if err == nil {
		unix.CloseOnExec(kq)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, os.NewSyscallError("kqueue", err)
	}
	return &KqueuePoller{kq: kq, active: make(map[int]*kqueueEntry)}, nil
}

// newDefaultPoller is the loop's backend when none is given: kqueue.
func newDefaultPoller() (Poller, error) { return NewKqueue() }

// filters says which kernel filters events needs. kqueue has no filter for errors alone, so with
// neither READ nor WRITE it watches reads, as Tornado does: a failed or closed socket is readable.
func filters(events uint32) (read, write bool) {
	write = events&WRITE != 0
	read = events&READ != 0 || !write
	return read, write
}

// Register adds fd's filters.
func (p *KqueuePoller) Register(fd int, events uint32) error {
	if _, ok := p.active[fd]; ok {
		return fmt.Errorf("kqueue fd %d: %w", fd, ErrRegistered)
	}
	read, write := filters(events)
	if err := p.change(fd, false, false, read, write); err != nil {
		return err
	}
	p.active[fd] = &kqueueEntry{events: events}
	return nil
}

// Modify adds the filters newly needed and deletes those no longer needed, leaving the others
// alone (Tornado 3.2's modify deletes the fd's old filters and adds the new ones, which costs
// more system calls).
func (p *KqueuePoller) Modify(fd int, events uint32) error {
	e, ok := p.active[fd]
	if !ok {
		return fmt.Errorf("kqueue fd %d: %w", fd, ErrNotRegistered)
	}
	oldRead, oldWrite := filters(e.events)
	read, write := filters(events)
	if err := p.change(fd, oldRead, oldWrite, read, write); err != nil {
		return err
	}
	e.events = events
	return nil
}

// Unregister deletes fd's filters. Closing an fd deletes them too, so a kernel error here (the fd
// was closed first) is reported, but fd is forgotten all the same.
func (p *KqueuePoller) Unregister(fd int) error {
	e, ok := p.active[fd]
	if !ok {
		return fmt.Errorf("kqueue fd %d: %w", fd, ErrNotRegistered)
	}
	delete(p.active, fd)
	oldRead, oldWrite := filters(e.events)
	return p.change(fd, oldRead, oldWrite, false, false)
}

// change submits the filter additions and deletions that take fd from one state to the other, in
// one kevent call with no room for events (so it does not wait).
func (p *KqueuePoller) change(fd int, oldRead, oldWrite, read, write bool) error {
	var changes [2]unix.Kevent_t
	n := 0
	for _, f := range []struct {
		filter   int
		was, now bool
	}{{unix.EVFILT_READ, oldRead, read}, {unix.EVFILT_WRITE, oldWrite, write}} {
		if f.was == f.now {
			continue
		}
		flags := unix.EV_DELETE
		if f.now {
			flags = unix.EV_ADD // level-triggered: no EV_CLEAR
		}
		unix.SetKevent(&changes[n], fd, f.filter, flags)
		n++
	}
	if n == 0 {
		return nil
	}
	if _, err := unix.Kevent(p.kq, changes[:n], nil, nil); err != nil {
		return fmt.Errorf("kevent fd %d: %w", fd, err)
	}
	return nil
}

// Wait sleeps in kevent and folds the filters that fired into one Event per fd. At most
// len(events) kernel events are taken, so the merged events always fit.
func (p *KqueuePoller) Wait(events []Event, timeout time.Duration) (int, error) {
	if len(events) == 0 {
		return 0, errNoRoom
	}
	if cap(p.buf) < len(events) {
		p.buf = make([]unix.Kevent_t, len(events))
	}
	buf := p.buf[:len(events)]
	var ts *unix.Timespec
	if timeout >= 0 {
		t := unix.NsecToTimespec(int64(timeout))
		ts = &t
	}
	got, err := unix.Kevent(p.kq, nil, buf, ts)
	if errors.Is(err, unix.EINTR) {
		return 0, nil
	}
	if err != nil {
		return 0, os.NewSyscallError("kevent", err)
	}
	p.pass++
	n := 0
	for i := range buf[:got] {
		fd := int(buf[i].Ident)
		e, ok := p.active[fd]
		if !ok {
			continue
		}
		if e.pass != p.pass {
			e.pass, e.slot = p.pass, n
			events[n] = Event{FD: fd}
			n++
		}
		events[e.slot].Events |= kqueueEvents(&buf[i])
	}
	return n, nil
}

// kqueueEvents translates one fired filter. EV_EOF on a read filter is not an error: the peer
// may only have stopped sending and data may still be buffered (Tornado makes the same choice);
// it is an error when the kernel also reports a socket error in fflags (a reset). EV_EOF on a
// write filter means nothing more can be written: a refused connect, a reader gone.
func kqueueEvents(ev *unix.Kevent_t) uint32 {
	var e uint32
	eof := ev.Flags&unix.EV_EOF != 0
	switch int(ev.Filter) {
	case unix.EVFILT_READ:
		e = READ
		if eof && ev.Fflags != 0 {
			e |= ERROR
		}
	case unix.EVFILT_WRITE:
		if eof {
			e = ERROR
		} else {
			e = WRITE
		}
	}
	if ev.Flags&unix.EV_ERROR != 0 {
		e |= ERROR
	}
	return e
}

// Close closes the kqueue; the kernel drops every filter with it.
func (p *KqueuePoller) Close() error {
	if p.kq < 0 {
		return nil
	}
	err := unix.Close(p.kq)
	p.kq = -1
	clear(p.active)
	return os.NewSyscallError("close", err)
}
