// Non-blocking sockets: chapter 1's listener and accept, plus O_NONBLOCK, and what the errors of
// a non-blocking call mean. Mirrors the setblocking(0) calls of tornado/netutil.py bind_sockets
// and the accept loop of add_accept_handler (3.2).

package nonblocking

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
)

// ErrDescriptorTooLarge says a descriptor is at or above FDSetSize, beyond what select(2) can
// watch.
var ErrDescriptorTooLarge = errors.New(
	"descriptor at or above FD_SETSIZE (1024), beyond what select(2) can watch")

// Listen is chapter 1's Listen (close-on-exec, SO_REUSEADDR, V6ONLY, backlog 128) with the
// listener switched to non-blocking mode, so that accept returns EAGAIN when the queue is empty
// instead of waiting.
func Listen(hostport string) (int, error) {
	fd, err := blocking.Listen(hostport)
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("fcntl O_NONBLOCK", err)
	}
	return fd, nil
}

// Accept takes one connection from a non-blocking listener and makes it non-blocking too. An
// empty queue is an error that WouldBlock recognises. Linux could do both in one call
// (accept4 with SOCK_NONBLOCK); two calls keep chapter 1's Accept and work everywhere.
func Accept(listener int) (int, error) {
	fd, _, err := blocking.Accept(listener)
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("fcntl O_NONBLOCK", err)
	}
	return fd, nil
}

// WouldBlock reports the answer of a non-blocking call that would have had to wait: EAGAIN
// (spelled EWOULDBLOCK by some systems, the same number on Linux and the BSDs). It means "not
// now", never "failed".
func WouldBlock(err error) bool {
	return errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EWOULDBLOCK)
}

// Recv is one non-blocking recv(2), retried when a signal interrupts it. Zero bytes and a nil
// error mean EOF, as in chapter 1. It differs from chapter 1's Recv in one way: "would block"
// comes back as the bare errno. That Recv wraps every error in an os.SyscallError, which
// allocates, and on a non-blocking socket EAGAIN is the usual answer: the busy-poll loop gets it
// from every idle connection on every pass, and would make garbage at half a million errors a
// second. Real failures are wrapped, as there.
func Recv(fd int, buf []byte) (int, error) {
	for {
		n, err := nonblockingRead(fd, buf)
		switch {
		case err == nil:
			return n, nil
		case errors.Is(err, unix.EINTR):
			continue
		case WouldBlock(err):
			return 0, err
		}
		return 0, os.NewSyscallError("recv", err)
	}
}

// Send is one non-blocking send(2), with the same treatment of errors as Recv: it returns how
// much the kernel took, or a bare EAGAIN when it took nothing.
func Send(fd int, p []byte) (int, error) {
	for {
		n, err := nonblockingWrite(fd, p)
		switch {
		case err == nil:
			return n, nil
		case errors.Is(err, unix.EINTR):
			continue
		case WouldBlock(err):
			return 0, err
		}
		return 0, os.NewSyscallError("send", err)
	}
}

// SocketError reads and clears the error pending on a socket (getsockopt SO_ERROR): what an
// ERROR event, or a WRITE event after a non-blocking connect, is about. call names the operation
// the error is reported for ("connect", "socket"). It returns nil when nothing is pending.
func SocketError(fd int, call string) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	switch {
	case err != nil:
		return os.NewSyscallError("getsockopt SO_ERROR", err)
	case v != 0:
		return os.NewSyscallError(call, unix.Errno(v))
	}
	return nil
}
