//go:build darwin || netbsd || openbsd

// Where x/sys offers no accept4 (Darwin has neither it nor SOCK_CLOEXEC), FD_CLOEXEC is set
// right after the call.

package blocking

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Socket creates a TCP socket of the given family, close-on-exec. syscall.ForkLock keeps a
// concurrent fork from copying the descriptor in the moment before FD_CLOEXEC is set, as Go's
// net package does.
func Socket(family int) (int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fd, err := unix.Socket(family, unix.SOCK_STREAM, unix.IPPROTO_TCP)
	if err != nil {
		return -1, wrap("socket", err)
	}
	unix.CloseOnExec(fd)
	return fd, nil
}

// Accept takes the next connection from the listen queue, blocking while it is empty unless
// the listener is non-blocking. The new descriptor is close-on-exec. ForkLock is not held here:
// a blocking accept can wait for hours, and holding the lock that long would stall every
// os/exec in the process; the window before FD_CLOEXEC is set is one system call wide.
func Accept(listener int) (int, unix.Sockaddr, error) {
	fd, sa, err := unix.Accept(listener)
	if err != nil {
		return -1, nil, wrap("accept", err)
	}
	unix.CloseOnExec(fd)
	return fd, sa, nil
}
