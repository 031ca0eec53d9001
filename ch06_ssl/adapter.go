// The connection crypto/tls reads and writes: a net.Conn over a non-blocking descriptor that
// the loop owns. There is no Tornado counterpart: Python's ssl module wraps the socket itself
// and answers SSLWantReadError where Go's crypto/tls would block.

package ssl

import (
	"errors"
	"io"
	"net"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	nonblocking "tornadotcp/ch02_nonblocking"
)

// wouldBlock is what the adapter's Read returns, after the handshake, when the descriptor has
// nothing more: a net.Error whose Temporary() is true. crypto/tls keeps a partial record and
// leaves the connection usable only then; any other error, Timeout() alone included, becomes
// the connection's permanent error (readRecordOrCCS, Go 1.26; temporary_test.go pins it). It is
// one value, made once: a would-block costs no allocation.
type wouldBlockError struct{}

func (wouldBlockError) Error() string   { return "ssl: would block" }
func (wouldBlockError) Timeout() bool   { return true }
func (wouldBlockError) Temporary() bool { return true }

var errWouldBlock net.Error = wouldBlockError{}

// errAborted ends a handshake whose transport was closed while it waited for input.
var errAborted = errors.New("ssl: handshake aborted: the connection was closed")

// adapter is the net.Conn under a tls.Conn. During the handshake it runs on the helper
// goroutine, and only while the loop waits for it (see Transport.resume): its Read takes the
// bytes the loop has fed it and, with none left, hands control back to the loop and blocks until
// the loop feeds more; its Write appends to out. Afterwards it runs on the loop: Read returns
// what is left of the handshake's input, then reads the descriptor, never blocking; Write still
// only appends, since a write error would be permanent in crypto/tls. Read never returns bytes
// and an error together.
type adapter struct {
	fd  int
	in  []byte // fed by the loop during the handshake, not yet read by crypto/tls
	out []byte // ciphertext for the descriptor (Transport.Flush)

	handshaking bool
	eof         bool  // the peer shut down its side
	recvErr     error // the descriptor failed while the handshake waited for it
	abort       bool  // the transport is closing: end the handshake

	// The hand-off: the helper sends on step (false: it needs input; true: Handshake has
	// returned) and waits on feed; the loop feeds and waits on step. One side runs at a time.
	feed chan struct{}
	step chan bool
}

func (a *adapter) Read(p []byte) (int, error) {
	if a.handshaking {
		for len(a.in) == 0 {
			switch {
			case a.abort:
				return 0, errAborted
			case a.recvErr != nil:
				return 0, a.recvErr
			case a.eof:
				return 0, io.EOF
			}
			a.step <- false // the loop's turn: it feeds more, or aborts
			<-a.feed
		}
		return a.takeIn(p), nil
	}
	if len(a.in) > 0 {
		return a.takeIn(p), nil
	}
	if a.eof {
		return 0, io.EOF
	}
	n, err := nonblocking.Recv(a.fd, p)
	switch {
	case err == nil && n == 0 && len(p) > 0:
		a.eof = true
		return 0, io.EOF
	case nonblocking.WouldBlock(err):
		return 0, errWouldBlock
	}
	return n, err
}

// takeIn copies fed input to p.
func (a *adapter) takeIn(p []byte) int {
	n := copy(p, a.in)
	a.in = a.in[n:]
	if len(a.in) == 0 {
		a.in = nil
	}
	return n
}

func (a *adapter) Write(p []byte) (int, error) {
	a.out = append(a.out, p...)
	return len(p), nil
}

// Close does nothing: the descriptor is the loop's, closed by Transport.Close.
func (a *adapter) Close() error { return nil }

func (a *adapter) LocalAddr() net.Addr  { return sockAddr(unix.Getsockname(a.fd)) }
func (a *adapter) RemoteAddr() net.Addr { return sockAddr(unix.Getpeername(a.fd)) }

// Deadlines do nothing: the loop's timer bounds a handshake, and reads after it never block.
func (a *adapter) SetDeadline(time.Time) error      { return nil }
func (a *adapter) SetReadDeadline(time.Time) error  { return nil }
func (a *adapter) SetWriteDeadline(time.Time) error { return nil }

// sockAddr is a socket address as a net.Addr, for a GetCertificate that asks.
func sockAddr(sa unix.Sockaddr, err error) net.Addr {
	if err != nil {
		return &net.TCPAddr{}
	}
	addr, err := net.ResolveTCPAddr("tcp", blocking.FormatAddr(sa))
	if err != nil {
		return &net.TCPAddr{}
	}
	return addr
}
