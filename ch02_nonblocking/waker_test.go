package nonblocking

import (
	"testing"

	"golang.org/x/sys/unix"

	"tornadotcp/internal/testutil"
)

func readable(t *testing.T, fd int) bool {
	t.Helper()
	n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 0)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	return n == 1
}

// Waking makes the read end readable; draining makes it quiet again. Waking far more often than
// the pipe can hold never blocks the waker: a full pipe already means "wake up".
func TestWaker(t *testing.T) {
	testutil.CheckLeaks(t)
	w, err := NewWaker()
	if err != nil {
		t.Fatalf("NewWaker: %v", err)
	}
	defer func() {
		if err := w.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	if readable(t, w.FD()) {
		t.Fatalf("a new waker is readable")
	}
	for range 200000 { // more bytes than any pipe buffer holds
		w.Wake()
	}
	if !readable(t, w.FD()) {
		t.Fatalf("not readable after wake")
	}
	w.Drain()
	if readable(t, w.FD()) {
		t.Fatalf("still readable after drain")
	}
	w.Wake()
	if !readable(t, w.FD()) {
		t.Fatalf("not readable after a wake following drain")
	}
	for _, fd := range []int{w.r, w.w} {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC == 0 {
			t.Errorf("fd %d: FD_CLOEXEC not set (flags %#x, %v)", fd, flags, err)
		}
		flags, err = unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil || flags&unix.O_NONBLOCK == 0 {
			t.Errorf("fd %d: O_NONBLOCK not set (flags %#x, %v)", fd, flags, err)
		}
	}
}
