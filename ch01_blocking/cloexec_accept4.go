//go:build linux || freebsd || dragonfly

// Descriptors born close-on-exec, atomically, where the kernel offers SOCK_CLOEXEC and accept4.

package blocking

import "golang.org/x/sys/unix"

// Socket creates a TCP socket of the given family, close-on-exec from birth.
func Socket(family int) (int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, wrap("socket", err)
	}
	return fd, nil
}

// Accept takes the next connection from the listen queue, blocking while it is empty unless
// the listener is non-blocking. The new descriptor is close-on-exec.
func Accept(listener int) (int, unix.Sockaddr, error) {
	fd, sa, err := unix.Accept4(listener, unix.SOCK_CLOEXEC)
	if err != nil {
		return -1, nil, wrap("accept", err)
	}
	return fd, sa, nil
}
