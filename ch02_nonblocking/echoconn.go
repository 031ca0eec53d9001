// EchoConn: one client of the echo protocol on a non-blocking socket, the state every chapter 2
// server keeps per connection. Mirrors what tornado/iostream.py (3.2) keeps per stream (socket,
// read buffer, write buffer, closed or not), cut down to the echo protocol.

package nonblocking

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
)

// MaxPendingOutput is how much may be owed to a client before its connection stops reading:
// 64 KiB. A client that sends and never reads would otherwise make the server buffer without
// bound. Chapter 1 got this limit for free: its send blocked once the kernel's buffer was full,
// and a thread stuck in send reads nothing. The kernel's send buffer already holds far more than
// this for a client that is slow (on loopback it grows to megabytes), so a larger bound buys no
// throughput; it only multiplies what each stalled client costs the heap.
const MaxPendingOutput = 64 << 10

type connState int

const (
	reading connState = iota // echoing lines as they arrive
	eofSeen                  // the client half-closed: send what is owed, then close
	closing                  // we decided to close (line too long): send what is owed, then close
)

// EchoConn is one connection of the echo protocol: its non-blocking descriptor, chapter 1's line
// framing, the output it is owed, and where it is in its life. A loop calls HandleRead when the
// socket is readable and HandleWrite when it is writable, asks WantRead and WantWrite what to
// watch for next, and closes the connection once Finished, or at once after an error.
//
// Everything here runs on the loop's goroutine: no locks.
type EchoConn struct {
	fd    int
	lines blocking.Lines
	out   OutBuf
	state connState
	err   error // why the connection is closing, when we chose to
}

// NewEchoConn takes charge of fd, a connected non-blocking socket; Close closes it.
func NewEchoConn(fd int) *EchoConn { return &EchoConn{fd: fd} }

// FD is the connection's descriptor.
func (c *EchoConn) FD() int { return c.fd }

// WantRead is true while the connection should be watched for input: it is still reading and
// the client is not too far behind in reading its echoes (MaxPendingOutput).
func (c *EchoConn) WantRead() bool { return c.state == reading && c.out.Len() < MaxPendingOutput }

// WantWrite is true while output is owed: the socket is worth watching for writability.
func (c *EchoConn) WantWrite() bool { return c.out.Len() > 0 }

// Finished is true when there is nothing more to do but close: the client has half-closed, or
// the connection is closing, and everything owed has been sent.
func (c *EchoConn) Finished() bool { return c.state != reading && c.out.Len() == 0 }

// Err says why the connection is closing when the server chose to close it
// (blocking.ErrLineTooLong), or nil.
func (c *EchoConn) Err() error { return c.err }

// HandleRead does one non-blocking recv into buf (the server's shared buffer: nothing of it is
// kept) and queues the complete lines it ends for sending, trying to send them at once. Nothing
// to read (EAGAIN) is not an error. A returned error means the connection is broken and must be
// closed now; a line that is too long is not such an error: reading stops, what is owed is
// still sent, and Err reports it.
func (c *EchoConn) HandleRead(buf []byte) error {
	if c.state != reading {
		return nil
	}
	n, err := Recv(c.fd, buf)
	if err != nil {
		if WouldBlock(err) {
			return nil
		}
		return err
	}
	if n == 0 {
		// EOF: the client will send no more. The bytes after its last '\n' are dropped, as
		// Tornado's read_until leaves them unread; what is owed is still sent.
		c.state = eofSeen
		return nil
	}
	lines, err := c.lines.Feed(buf[:n])
	if errors.Is(err, blocking.ErrLineTooLong) {
		c.state, c.err = closing, err
		return nil
	}
	if err != nil {
		return err
	}
	_, err = c.out.Write(c.fd, lines)
	return err
}

// HandleWrite sends what is owed, as much as the kernel takes now.
func (c *EchoConn) HandleWrite() error {
	_, err := c.out.Flush(c.fd)
	return err
}

// Close closes the descriptor. Whatever is still owed is dropped, and its memory counted towards
// the next return to the OS (OutBuf.Release): call it when Finished, after an error, or when
// the server stops.
func (c *EchoConn) Close() error {
	c.out.Release()
	if err := unix.Close(c.fd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}
