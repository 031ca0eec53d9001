// Idle connections: the ones a server that is shutting down may close at once, losing nothing.

package nonblocking

import (
	"os"

	"golang.org/x/sys/unix"
)

// InputPending returns how many bytes wait in fd's receive buffer, not read yet: the FIONREAD
// ioctl (SIOCINQ for a TCP socket on Linux). A socket at EOF with nothing before it has 0.
func InputPending(fd int) (int, error) {
	n, err := unix.IoctlGetInt(fd, fionread)
	if err != nil {
		return 0, os.NewSyscallError("ioctl FIONREAD", err)
	}
	return n, nil
}

// Idle reports whether the connection is between lines with nothing in hand: it is reading,
// nothing is owed to the client, no partial line is held, and the kernel holds no input
// either. Closing an idle connection loses nothing, and the kernel, with no input unread, ends
// it with FIN, so the client reads EOF after its last echo and not a reset. A server shutting
// down closes the idle connections at once and lets the others finish; one that cannot tell
// (the ioctl fails) counts as busy.
func (c *EchoConn) Idle() bool {
	if c.state != reading || c.out.Len() > 0 || c.lines.Pending() > 0 {
		return false
	}
	n, err := InputPending(c.fd)
	return err == nil && n == 0
}
