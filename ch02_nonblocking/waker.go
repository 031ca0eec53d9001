// The self-pipe: how another goroutine wakes a loop that sleeps in select, poll or epoll.
// Mirrors the Waker of tornado/platform/posix.py (3.2), which IOLoop.add_callback uses the same
// way. Chapter 3's loop uses it where there is no eventfd.

package nonblocking

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// Waker is a pipe whose read end sits in the loop's read set. Writing one byte makes select or
// poll return; the loop then drains the pipe and looks at why it was woken. Both ends are
// non-blocking and close-on-exec: a wake never waits, and a full pipe means a wake-up is
// already pending.
type Waker struct {
	r, w int
}

// NewWaker makes the pipe.
func NewWaker() (*Waker, error) {
	var p [2]int
	if err := pipe(p[:]); err != nil {
		return nil, err
	}
	return &Waker{r: p[0], w: p[1]}, nil
}

// FD is the end to watch for reading.
func (w *Waker) FD() int { return w.r }

// Wake makes the read end readable. It may be called from any goroutine. EAGAIN (the pipe is
// full) is ignored: the loop will wake anyway.
func (w *Waker) Wake() {
	for {
		_, err := unix.Write(w.w, []byte{0})
		if !errors.Is(err, unix.EINTR) {
			return
		}
	}
}

// Drain empties the pipe, so that the next wait sleeps until the next Wake. It reads until a
// read comes back short (a pipe gives all it holds, up to the size asked for) or fails with
// EAGAIN, so one call empties it, as an edge-triggered monitor needs.
func (w *Waker) Drain() {
	var buf [1024]byte
	for {
		n, err := unix.Read(w.r, buf[:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || n < len(buf) {
			return
		}
	}
}

// Close closes both ends.
func (w *Waker) Close() error {
	return errors.Join(
		os.NewSyscallError("close", unix.Close(w.r)),
		os.NewSyscallError("close", unix.Close(w.w)))
}
