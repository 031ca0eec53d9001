// EchoConn: one client of the echo protocol on a non-blocking socket, the state every chapter 2
// server keeps per connection. Mirrors what tornado/iostream.py (3.2) keeps per stream (socket,
// read buffer, write buffer, closed or not), cut down to the echo protocol.

package nonblocking

import (
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
	reading   connState = iota // echoing lines as they arrive
	eofSeen                    // the client half-closed: send what is owed, then close
	closing                    // we chose to end (line too long): send what is owed, then linger
	lingering                  // half-closed: drop what the client still sends until it closes
	drained                    // the linger is over: close
)

// EchoConn is one connection of the echo protocol: its non-blocking descriptor, chapter 1's line
// framing, the output it is owed, and where it is in its life. A loop calls HandleRead when the
// socket is readable and HandleWrite when it is writable, asks WantRead and WantWrite what to
// watch for next, and closes the connection once Finished, or at once after an error.
//
// When the server ends the connection itself (a line too long), it does so with a lingering
// close (see LingerTimeout): the echoes owed are sent, the socket is half-closed, and what the
// client still sends is read and dropped until its EOF or LingerMaxBytes. The connection is
// then Finished. The time bound is the loop's to keep: it starts when Lingering turns true.
//
// Everything here runs on the loop's goroutine: no locks.
type EchoConn struct {
	fd      int
	lines   blocking.Lines
	out     OutBuf
	state   connState
	err     error // why the connection is closing, when we chose to
	dropped int   // bytes read and dropped while lingering
}

// NewEchoConn takes charge of fd, a connected non-blocking socket; Close closes it.
func NewEchoConn(fd int) *EchoConn { return &EchoConn{fd: fd} }

// FD is the connection's descriptor.
func (c *EchoConn) FD() int { return c.fd }

// WantRead is true while the connection should be watched for input: it is still reading and
// the client is not too far behind in reading its echoes (MaxPendingOutput), or it is lingering.
func (c *EchoConn) WantRead() bool {
	return c.state == reading && c.out.Len() < MaxPendingOutput || c.state == lingering
}

// WantWrite is true while output is owed: the socket is worth watching for writability.
func (c *EchoConn) WantWrite() bool { return c.out.Len() > 0 }

// Finished is true when there is nothing more to do but close: the client has half-closed and
// everything owed has been sent, or the server's lingering close has drained the connection.
func (c *EchoConn) Finished() bool {
	return c.state == eofSeen && c.out.Len() == 0 || c.state == drained
}

// Lingering is true once the connection has sent everything owed and half-closed, while it
// drains: the loop then closes it after LingerTimeout if it is not Finished before.
func (c *EchoConn) Lingering() bool { return c.state == lingering }

// Err says why the connection is closing when the server chose to close it
// (blocking.ErrLineTooLong), or nil.
func (c *EchoConn) Err() error { return c.err }

// HandleRead does one non-blocking recv into buf (the server's shared buffer: nothing of it is
// kept) and queues the complete lines it ends for sending, trying to send them at once. Nothing
// to read (EAGAIN) is not an error. A returned error means the connection is broken and must be
// closed now; a line that is too long is not such an error: the lines before it are still
// echoed, reading stops, the connection ends with a lingering close, and Err reports it.
func (c *EchoConn) HandleRead(buf []byte) error {
	switch c.state {
	case reading:
	case lingering:
		return c.drain(buf)
	default:
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
	lines, tooLong := c.lines.Feed(buf[:n]) // its only error is ErrLineTooLong
	if _, err := c.out.Write(c.fd, lines); err != nil {
		return err
	}
	if tooLong != nil {
		c.err = tooLong
		return c.LingeringClose()
	}
	return nil
}

// LingeringClose ends a connection that is still reading the way the server ends one it has
// chosen to end (see LingerTimeout): it reads no more lines, and once everything owed has been
// sent it half-closes and drains. A loop that calls it outside HandleRead and HandleWrite must
// look at Lingering afterwards, as after a handler, to start the linger's clock. The error is
// shutdown's, when the half-close happens at once and fails.
func (c *EchoConn) LingeringClose() error {
	if c.state != reading {
		return nil // the client has half-closed, or the connection is ending already
	}
	c.state = closing
	return c.lingerWhenSent()
}

// HandleWrite sends what is owed, as much as the kernel takes now.
func (c *EchoConn) HandleWrite() error {
	if _, err := c.out.Flush(c.fd); err != nil {
		return err
	}
	return c.lingerWhenSent()
}

// lingerWhenSent half-closes a closing connection once everything owed has gone to the kernel:
// the client reads all of it, then EOF.
func (c *EchoConn) lingerWhenSent() error {
	if c.state != closing || c.out.Len() > 0 {
		return nil
	}
	c.state = lingering
	if err := unix.Shutdown(c.fd, unix.SHUT_WR); err != nil {
		return os.NewSyscallError("shutdown", err)
	}
	return nil
}

// drain is HandleRead while lingering: one recv, dropped. The client's EOF ends the linger, and
// so does a client that has sent more than LingerMaxBytes since.
func (c *EchoConn) drain(buf []byte) error {
	n, err := Recv(c.fd, buf)
	switch {
	case err != nil && WouldBlock(err):
	case err != nil:
		return err
	case n == 0:
		c.state = drained
	default:
		if c.dropped += n; c.dropped > LingerMaxBytes {
			c.state = drained
		}
	}
	return nil
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
