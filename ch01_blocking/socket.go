// Create, bind, listen: the tutorial's 三段式, one system call each.

package blocking

import (
	"os"

	"golang.org/x/sys/unix"
)

// Backlog is the length of the kernel's queue of connections waiting for accept(2). Tornado's
// bind_sockets uses 128 too, the historical SOMAXCONN.
const Backlog = 128

// Listen creates a TCP socket, binds it to hostport and listens on it. The descriptor is
// close-on-exec (a child process must not inherit it by accident) and has SO_REUSEADDR (a
// restarted server can bind again while old connections sit in TIME_WAIT). An IPv6 socket is
// IPV6_V6ONLY, as in Tornado, so "[::]:PORT" never silently takes IPv4 traffic too.
// The descriptor stays blocking: that is the lesson of this chapter.
func Listen(hostport string) (int, error) {
	sa, family, err := ParseAddr(hostport)
	if err != nil {
		return -1, err
	}
	fd, err := Socket(family)
	if err != nil {
		return -1, err
	}
	if err := bindAndListen(fd, family, sa); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func bindAndListen(fd, family int, sa unix.Sockaddr) error {
	if err := SetListenerOptions(fd, family); err != nil {
		return err
	}
	if err := unix.Bind(fd, sa); err != nil {
		return wrap("bind "+FormatAddr(sa), err)
	}
	if err := unix.Listen(fd, Backlog); err != nil {
		return wrap("listen", err)
	}
	return nil
}

// wrap names the failed system call, as os.SyscallError does, so that errors.Is(err,
// unix.EADDRINUSE) still works for the caller.
func wrap(call string, err error) error {
	return os.NewSyscallError(call, err)
}

// SetListenerOptions sets what every listening socket in the book wants before bind:
// SO_REUSEADDR, and IPV6_V6ONLY on an IPv6 socket.
func SetListenerOptions(fd, family int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return wrap("setsockopt SO_REUSEADDR", err)
	}
	if family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return wrap("setsockopt IPV6_V6ONLY", err)
		}
	}
	return nil
}
