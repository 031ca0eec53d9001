//go:build linux || freebsd || dragonfly

// One accept for the accept handler, where accept4(2) exists: the new descriptor is born
// non-blocking and close-on-exec, one system call instead of three.

package tcpserver

import "golang.org/x/sys/unix"

// acceptConn returns the bare errno on failure: EAGAIN ends every batch, and wrapping it would
// allocate on every readable event.
func acceptConn(listener int) (int, unix.Sockaddr, error) {
	return unix.Accept4(listener, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}
