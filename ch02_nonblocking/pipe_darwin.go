// Darwin has no pipe2(2): the pipe is made, then set close-on-exec and non-blocking.

package nonblocking

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// pipe holds syscall.ForkLock while the new descriptors are not yet close-on-exec, so a
// concurrent fork cannot copy them into a child, as chapter 1's Socket does on Darwin.
func pipe(p []int) error {
	syscall.ForkLock.RLock()
	err := unix.Pipe(p)
	if err == nil {
		unix.CloseOnExec(p[0])
		unix.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return os.NewSyscallError("pipe", err)
	}
	for _, fd := range p {
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return os.NewSyscallError("fcntl O_NONBLOCK", err)
		}
	}
	return nil
}
