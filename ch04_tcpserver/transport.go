// The transport: where an IOStream's bytes actually go. Mirrors the four methods that
// tornado/iostream.py (3.2) asks of a BaseIOStream subclass (fileno, read_from_fd, write_to_fd,
// close_fd): IOStream fills them with a socket, SSLIOStream with an SSL socket. Here the stream
// is one type and the transport is the value it is given, so chapter 6 can hand it TLS.

package tcpserver

import (
	"io"
	"os"

	"golang.org/x/sys/unix"

	nonblocking "tornadotcp/ch02_nonblocking"
)

// A Transport moves bytes between an IOStream and one non-blocking descriptor. The stream calls
// it only from its loop's goroutine and never concurrently.
//
// Read(p)
//
//	Fills p with what is available now and returns how much. Nothing available now is an error
//	that nonblocking.WouldBlock recognises (unix.EAGAIN); the end of the input (the peer shut
//	down its side) is 0, io.EOF; anything else is an error that ends the stream. A Read that
//	returns fewer than len(p) bytes promises that nothing more is available now, so the stream
//	waits for the loop to say the descriptor is readable before it asks again: a transport that
//	holds input of its own (TLS keeps decrypted records) must fill p before it returns short.
//
// Write(p)
//
//	Sends what it can of p now and returns how much. When it can take nothing now it returns
//	0 and a would-block error; the stream keeps the rest (chapter 2's OutBuf), waits for the
//	descriptor to be writable and calls Write again with it. An error the peer caused (EPIPE,
//	ECONNRESET, ECONNABORTED) closes the stream quietly; any other is logged.
//
// FD() is the descriptor the loop watches. Close() releases it; the stream calls it once.
type Transport interface {
	Read(p []byte) (n int, err error)
	Write(p []byte) (n int, err error)
	Close() error
	FD() int
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
