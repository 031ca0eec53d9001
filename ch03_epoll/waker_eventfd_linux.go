// The Linux waker: an eventfd, one descriptor holding a 64-bit counter, where Tornado 3.2 uses a
// pipe (two descriptors and a kernel buffer). Go's runtime wakes its own epoll the same way.

package ioloop

import (
	"encoding/binary"
	"os"

	"golang.org/x/sys/unix"
)

type eventfdWaker struct{ efd int }

// newWaker is the loop's waker on Linux.
func newWaker() (waker, error) {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	return &eventfdWaker{efd: efd}, nil
}

func (w *eventfdWaker) fd() int { return w.efd }

// wake adds one to the counter, making the eventfd readable. The only possible failure is EAGAIN
// at a counter of 2^64-2, and a counter that high is already readable.
func (w *eventfdWaker) wake() {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	unix.Write(w.efd, one[:])
}

// consume reads the counter, which resets it to zero in one call, however many wakes it holds.
func (w *eventfdWaker) consume() {
	var buf [8]byte
	unix.Read(w.efd, buf[:])
}

func (w *eventfdWaker) close() error { return os.NewSyscallError("close", unix.Close(w.efd)) }
