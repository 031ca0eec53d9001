// The transport: where an IOStream's bytes actually go. Mirrors the methods that
// tornado/iostream.py (3.2) asks of a BaseIOStream subclass (fileno, read_from_fd, write_to_fd,
// close_fd) and the socket subclass IOStream that fills them, with its connect and
// set_nodelay. SSLIOStream fills them with an SSL socket. Here the stream is one type and the
// transport is the value it is given, so chapter 6 can hand it TLS.

package tcpserver

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	nonblocking "tornadotcp/ch02_nonblocking"
	ioloop "tornadotcp/ch03_epoll"
)

// A Transport moves bytes between an IOStream and one non-blocking descriptor. The stream calls
// it only from its loop's goroutine and never concurrently.
//
// Read(p)
//
//	Fills p with what is available now and returns how much. Nothing available now is an error
//	that nonblocking.WouldBlock recognises (unix.EAGAIN); the end of the input (the peer shut
//	down its side) is 0, io.EOF; anything else is an error that ends the stream. A Read that
//	returns fewer than len(p) bytes promises that the descriptor has nothing more now, so the
//	stream waits for the loop to say it is readable before it asks again. Input the transport
//	holds itself is announced by Buffered (InputHolder), not by the descriptor.
//
// Write(p)
//
//	Sends what it can of p now and returns how much. When it can take nothing now it returns
//	0 and a would-block error; the stream keeps the rest (chapter 2's OutBuf), waits for the
//	descriptor to be writable and calls Write again with it. An error the peer caused (EPIPE,
//	ECONNRESET, ECONNABORTED) closes the stream quietly; any other is logged.
//
// FD() is the descriptor the loop watches. Close() releases it; the stream calls it once.
//
// A transport may do more, each by a method set of its own that the stream finds when it is
// made: InputHolder, OutputHolder and Interested for a transport that keeps state between the
// stream and the descriptor (TLS), CloseWriter for CloseWrite, NodelaySetter for SetNodelay.
// The stream asks for their state after every call it makes into the transport and after
// every event; it learns of no change made at another time, so a transport changes what they
// report only inside its own methods.
type Transport interface {
	Read(p []byte) (n int, err error)
	Write(p []byte) (n int, err error)
	Close() error
	FD() int
}

// An InputHolder holds input that no event will announce: bytes it took from the descriptor
// and has not returned yet (crypto/tls keeps whole records read ahead). Buffered reports how
// many; while it is above zero and the stream wants input, the stream calls Read without
// waiting for the loop, and Read must then return some of them.
type InputHolder interface {
	Buffered() int
}

// An OutputHolder holds output the stream cannot see: bytes its Write took that have not gone
// to the descriptor yet (TLS records encrypted from plaintext already taken, a handshake's
// messages, a close_notify). Unflushed reports how many; while it is above zero the stream
// watches for WRITE and calls Flush when the descriptor is writable, and counts them as owed:
// a write callback runs, a close after the end completes and CloseWrite succeeds only once
// they have gone. Flush sends what it can now; a would-block error means the rest waits, any
// other error ends the stream.
type OutputHolder interface {
	Unflushed() int
	Flush() error
}

// An OutputGate is an OutputHolder some of whose output cannot go yet whatever the descriptor
// says: TLS holds the application's plaintext until the handshake has ended. Sendable reports
// how many of the Unflushed bytes a writable descriptor would let Flush send; the stream
// watches for WRITE only while that is above zero (or the stream's own output waits), so a
// gated transport does not make the loop report a writable socket on every pass. The gated
// bytes still count as owed: write callbacks and a close after the end wait for them.
type OutputGate interface {
	Sendable() int
}

// An Interested transport needs events of its own, whatever the application reads or writes
// (a TLS handshake needs READ or WRITE before the first byte of data). Interest returns
// ioloop.READ, ioloop.WRITE or both, and the stream adds them to what it watches. The stream
// answers READ with Read, whose data goes to the buffer like any other input, and WRITE with
// Flush, so a transport that asks for WRITE is an OutputHolder.
type Interested interface {
	Interest() uint32
}

// A CloseWriter can stop sending and go on receiving (shutdown(2) with SHUT_WR).
type CloseWriter interface {
	CloseWrite() error
}

// A NodelaySetter can turn Nagle's algorithm on or off for its socket.
type NodelaySetter interface {
	SetNodelay(on bool) error
}

// SocketTransport is the plain transport: recv and send on a connected, non-blocking socket
// (or a pipe, or one end of a socketpair), with chapter 2's non-blocking calls.
type SocketTransport struct {
	fd int
}

// NewSocketTransport takes charge of fd, a connected socket, and puts it in non-blocking mode
// as Tornado's IOStream does (a descriptor accepted with SOCK_NONBLOCK costs one fcntl to check).
// A blocking descriptor would stop the whole loop at its first read with nothing to read.
func NewSocketTransport(fd int) (*SocketTransport, error) {
	if err := unix.SetNonblock(fd, true); err != nil {
		return nil, os.NewSyscallError("fcntl O_NONBLOCK", err)
	}
	return &SocketTransport{fd: fd}, nil
}

// Read is one non-blocking recv; the peer's end of input is io.EOF.
func (t *SocketTransport) Read(p []byte) (int, error) {
	n, err := nonblocking.Recv(t.fd, p)
	if err == nil && n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, err
}

// Write is one non-blocking send.
func (t *SocketTransport) Write(p []byte) (int, error) { return nonblocking.Send(t.fd, p) }

// Close closes the descriptor.
func (t *SocketTransport) Close() error {
	if err := unix.Close(t.fd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// FD is the socket's descriptor.
func (t *SocketTransport) FD() int { return t.fd }

// CloseWrite shuts down the sending side, shutdown(2) with SHUT_WR: the peer reads EOF after
// what was sent, and this side can still read. See IOStream.CloseWrite.
func (t *SocketTransport) CloseWrite() error {
	if err := unix.Shutdown(t.fd, unix.SHUT_WR); err != nil {
		return os.NewSyscallError("shutdown", err)
	}
	return nil
}

// SetNodelay sets TCP_NODELAY on a TCP socket, as Tornado's IOStream.set_nodelay does: a
// socket of another family (a unix socket, a socketpair) has no Nagle's algorithm, and the call
// does nothing there; EINVAL and ECONNRESET, which a socket the peer has just closed can
// return, are not errors (Tornado ignores both for the same reason).
func (t *SocketTransport) SetNodelay(on bool) error {
	sa, err := unix.Getsockname(t.fd)
	if err != nil {
		return os.NewSyscallError("getsockname", err)
	}
	switch sa.(type) {
	case *unix.SockaddrInet4, *unix.SockaddrInet6:
	default:
		return nil
	}
	v := 0
	if on {
		v = 1
	}
	err = unix.SetsockoptInt(t.fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, v)
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ECONNRESET) {
		return os.NewSyscallError("setsockopt TCP_NODELAY", err)
	}
	return nil
}

// Connect opens a TCP connection to addr (a literal "HOST:PORT", as chapter 1's ParseAddr reads
// it) without blocking, and calls cb on the loop with a stream on it, or with the error that
// ended the attempt (errors.Is(err, unix.ECONNREFUSED) when nothing listens). A connect on a
// non-blocking socket returns at once, "in progress"; the socket turns writable when the
// handshake is over, and SO_ERROR then says how it went (Tornado's _handle_connect). Call it
// on the loop's goroutine; cb never runs inside Connect. An address that does not parse, or a
// socket that cannot be made, is returned at once instead.
//
// Tornado connects an IOStream that already exists, queueing writes until the connection is
// made; here the stream exists only once it is connected, so a connect that fails leaves
// nothing behind to close.
func Connect(loop *ioloop.IOLoop, addr string, cb func(*IOStream, error), opts ...StreamOption) error {
	return ConnectVia(loop, addr, nil, cb, opts...)
}

// ConnectVia is Connect with the connected socket put through wrap, whose Transport the stream
// gets (chapter 6's TLS client). A nil wrap is Connect. wrap runs on the loop's goroutine; on
// error it must leave the socket open: it is closed and cb gets the error.
func ConnectVia(loop *ioloop.IOLoop, addr string, wrap func(*ioloop.IOLoop, *SocketTransport) (Transport, error),
	cb func(*IOStream, error), opts ...StreamOption) error {
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
		var tr Transport = t
		if wrap != nil {
			if tr, err = wrap(loop, t); err != nil {
				t.Close()
				cb(nil, fmt.Errorf("tcpserver: connect to %s: %w", addr, err))
				return
			}
		}
		cb(NewIOStream(loop, tr, opts...), nil)
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
