//go:build darwin || netbsd || openbsd

// One accept for the accept handler where chapter 1's Accept has no accept4 to use (its
// fallback sets close-on-exec after the call); O_NONBLOCK is set here.

package tcpserver

import (
	"os"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
)

func acceptConn(listener int) (int, unix.Sockaddr, error) {
	fd, addr, err := blocking.Accept(listener)
	if err != nil {
		return -1, nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, nil, os.NewSyscallError("fcntl O_NONBLOCK", err)
	}
	return fd, addr, nil
}
