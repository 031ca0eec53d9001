//go:build linux || freebsd || netbsd || openbsd || dragonfly

// A pipe born non-blocking and close-on-exec, in one call, where the kernel has pipe2(2).

package nonblocking

import (
	"os"

	"golang.org/x/sys/unix"
)

func pipe(p []int) error {
	if err := unix.Pipe2(p, unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return os.NewSyscallError("pipe2", err)
	}
	return nil
}
