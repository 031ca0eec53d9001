// What a server takes before its first client so that running out of descriptors neither kills
// the process nor leaves clients hanging: the Go runtime's own poller, and one spare descriptor.
// No Tornado version has either (tornado/netutil.py add_accept_handler lets EMFILE escape).

package blocking

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// StartRuntimePoller makes the Go runtime open its own poller (an epoll or kqueue descriptor and a
// descriptor to wake it) now, if nothing has yet. The runtime opens it the first time anything sets
// a timer, which its garbage collector does by itself at some moment of its choosing, and throws
// ("runtime: netpollinit failed", the end of the process) if no descriptor is left then.
func StartRuntimePoller() {
	time.AfterFunc(time.Hour, func() {}).Stop()
}

// Reserve is one spare descriptor (/dev/null, close-on-exec) that an accept loop keeps for the
// moment the process has no other. Out of descriptors, accept fails and leaves the connection in
// the listen queue, where its client waits, connected as far as its kernel knows and unanswered,
// for as long as the shortage lasts. Refuse spends the spare on that client instead: it closes the
// spare, accepts the connection, closes it at once, and opens the spare again. The client learns
// at once, and the server stays as it was. This is the cure libev's documentation gives for "the
// special problem of accept()ing when you can't". A Reserve belongs to the accept loop's goroutine.
type Reserve struct {
	fd int // the spare, or -1 while it cannot be had back
}

// OpenReserve opens the spare for one accept loop, and calls StartRuntimePoller: both are what a
// server must take while descriptors are free, before its first client. Close releases the spare.
func OpenReserve() (*Reserve, error) {
	StartRuntimePoller()
	fd, err := openSpare()
	if err != nil {
		return nil, err
	}
	return &Reserve{fd: fd}, nil
}

func openSpare() (int, error) {
	fd, err := unix.Open(os.DevNull, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: os.DevNull, Err: err}
	}
	return fd, nil
}

// Refuse is what an accept loop does when accept on listener failed with err. If err says that
// the process (EMFILE) or the system (ENFILE) has no descriptor left and a connection is waiting,
// Refuse spends the spare on it and reports true: the client sees its connection closed (EOF, or
// a reset if it had sent something) instead of hanging, and the loop may accept again, for the
// shortage may be over. Refuse reports false and nil when no connection is waiting: accept fails
// for want of a descriptor before it looks at the queue. It reports false and an error when the
// spare cannot help: the shortage is of kernel memory (ENOBUFS, ENOMEM), or another thread took
// the descriptor the spare gave up. The loop then pauses, as AcceptBackoff says.
func (r *Reserve) Refuse(listener int, err error) (bool, error) {
	if !errors.Is(err, unix.EMFILE) && !errors.Is(err, unix.ENFILE) {
		return false, err
	}
	if waiting, err := readable(listener); err != nil || !waiting {
		return false, err
	}
	if r.fd < 0 {
		fd, err := openSpare()
		if err != nil {
			return false, err
		}
		r.fd = fd
	}
	unix.Close(r.fd)
	conn, _, err := Accept(listener)
	if err == nil {
		unix.Close(conn)
	}
	r.fd, _ = openSpare() // on failure -1: the next Refuse tries again, and says so
	switch {
	case err == nil || AcceptAgain(err):
		return true, nil // either way the waiting connection is gone
	case errors.Is(err, unix.EAGAIN):
		return false, nil // the client left between the look and the accept
	}
	return false, err
}

// readable reports whether a connection waits in listener's queue, without waiting for one: on
// a blocking listener, accept would.
func readable(listener int) (bool, error) {
	for {
		ready, err := waitReadable(listener, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return ready, err
	}
}

// WaitForClient is how a blocking accept loop pauses when accept fails for want of a descriptor
// and nobody is waiting (Refuse reported false and nil): it waits until a client arrives or d
// has passed, whichever comes first; a signal, or Stop's shutdown of the listener, ends it
// early. A plain sleep would leave a client that arrives during the pause waiting, unanswered,
// for the rest of it, though the loop could then accept it (the descriptors may be back) or
// refuse it at once (Refuse); and AcceptBackoff's pauses grow to a second.
func WaitForClient(listener int, d time.Duration) error {
	_, err := waitReadable(listener, d)
	if errors.Is(err, unix.EINTR) {
		return nil // the caller's accept tries again, which is all a wake-up is for
	}
	return err
}

// waitReadable polls listener for a waiting connection for at most d, rounded up to the
// millisecond.
func waitReadable(listener int, d time.Duration) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(listener), Events: unix.POLLIN}}
	if _, err := unix.Poll(fds, int((d+time.Millisecond-1)/time.Millisecond)); err != nil {
		if errors.Is(err, unix.EINTR) {
			return false, err
		}
		return false, wrap("poll", err)
	}
	return fds[0].Revents&unix.POLLIN != 0, nil
}

// Close releases the spare.
func (r *Reserve) Close() error {
	if r.fd < 0 {
		return nil
	}
	err := unix.Close(r.fd)
	r.fd = -1
	if err != nil {
		return wrap("close", err)
	}
	return nil
}
