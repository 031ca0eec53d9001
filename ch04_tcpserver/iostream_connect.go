// Connect: the client side, a non-blocking connect finished on the loop. Mirrors
// IOStream.connect and _handle_connect in tornado/iostream.py (3.2).

package tcpserver

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	nonblocking "tornadotcp/ch02_nonblocking"
	ioloop "tornadotcp/ch03_epoll"
)

// Connect opens a TCP connection to addr (a literal "HOST:PORT", as chapter 1's ParseAddr reads
// it) without blocking, and calls cb on the loop with a stream on it, or with the error that
// ended the attempt (errors.Is(err, unix.ECONNREFUSED) when nothing listens). A connect on a
// non-blocking socket returns at once, "in progress"; the socket turns writable when the
// handshake is over, and SO_ERROR then says how it went. Call it on the loop's goroutine; cb
// never runs inside Connect. An address that does not parse, or a socket that cannot be made,
// is returned at once instead.
//
// Tornado connects an IOStream that already exists, queueing writes until the connection is
// made; here the stream exists only once it is connected, so a connect that fails leaves
// nothing behind to close.
func Connect(loop *ioloop.IOLoop, addr string, cb func(*IOStream, error), opts ...StreamOption) error {
	sa, family, err := blocking.ParseAddr(addr)
	if err != nil {
		return fmt.Errorf("tcpserver: connect: %w", err)
	}
	fd, err := blocking.Socket(family)
	if err != nil {
		return fmt.Errorf("tcpserver: connect: %w", err)
	}
	t, err := NewSocketTransport(fd)
	if err != nil {
		unix.Close(fd)
		return fmt.Errorf("tcpserver: connect: %w", err)
	}
	finish := func(err error) {
		if err != nil {
			t.Close()
			cb(nil, fmt.Errorf("tcpserver: connect to %s: %w", addr, err))
			return
		}
		cb(NewIOStream(loop, t, opts...), nil)
	}
	switch err := unix.Connect(fd, sa); {
	case err == nil:
		return deferredConnect(loop, t, func() { finish(nil) })
	case !errors.Is(err, unix.EINPROGRESS):
		// Some systems (FreeBSD on loopback) refuse at once; report it as if it came later.
		refused := os.NewSyscallError("connect", err)
		return deferredConnect(loop, t, func() { finish(refused) })
	}
	if err := loop.AddHandler(fd, func(int, uint32) {
		loop.RemoveHandler(fd)
		finish(nonblocking.SocketError(fd, "connect"))
	}, ioloop.WRITE); err != nil {
		t.Close()
		return fmt.Errorf("tcpserver: connect: %w", err)
	}
	return nil
}

// deferredConnect runs an outcome known at once from the loop, so that cb never runs inside
// Connect.
func deferredConnect(loop *ioloop.IOLoop, t *SocketTransport, fn func()) error {
	if err := loop.AddCallback(fn); err != nil {
		t.Close()
		return fmt.Errorf("tcpserver: connect: %w", err)
	}
	return nil
}
