// The self-pipe: how another goroutine wakes a loop that sleeps in select or poll. Mirrors the
// Waker of tornado/platform/posix.py (3.2), which IOLoop.add_callback uses the same way.

package nonblocking

import (
	"errors"

	"golang.org/x/sys/unix"
)

// waker is a pipe whose read end sits in the loop's read set. Writing one byte makes select or
// poll return; the loop then drains the pipe and looks at why it was woken (Stop). Both ends
// are non-blocking: a wake never waits, and a full pipe means a wake-up is already pending.
type waker struct {
	r, w int
}

func newWaker() (*waker, error) {
	var p [2]int
	if err := pipe(p[:]); err != nil {
		return nil, err
	}
	return &waker{r: p[0], w: p[1]}, nil
}

// fd is the end to watch for reading.
func (w *waker) fd() int { return w.r }

// wake makes the read end readable. It may be called from any goroutine. EAGAIN (the pipe is
// full) is ignored: the loop will wake anyway.
func (w *waker) wake() {
	for {
		_, err := unix.Write(w.w, []byte{0})
		if !errors.Is(err, unix.EINTR) {
			return
		}
	}
}

// drain empties the pipe, so that the next select or poll sleeps until the next wake.
func (w *waker) drain() {
	var buf [64]byte
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

func (w *waker) close() {
	unix.Close(w.r)
	unix.Close(w.w)
}
