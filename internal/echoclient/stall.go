// Stalled clients: connections that send and never read, for measuring what they cost a server.

package echoclient

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// The socket buffers a stalled client asks for (the kernel doubles them). A small receive buffer
// makes the server's answers back up after little traffic; a send buffer of 64 KiB lets the
// server read as much at a time as from a client with the kernel's defaults (up to its read
// chunk), while keeping what the kernel holds for the connection, and so the traffic it takes to
// stall it, far below what the defaults would on loopback (megabytes).
const (
	StallSendBuffer    = 64 << 10
	StallReceiveBuffer = 8 << 10
)

// StallQuiet is how long a stalled client's send must make no progress before the client
// counts the server as no longer reading it. There is no event for "the peer stopped reading":
// a send that the kernel cannot take for this long is the sign.
const StallQuiet = 200 * time.Millisecond

// ErrStillReading is returned by Stall when the server kept taking a client's bytes until the
// deadline.
var ErrStillReading = errors.New("the server is still reading")

// Stall opens n connections to addr, at most 100 at a time, and has each send payload again
// and again, never reading, until the server stops taking its bytes (StallQuiet) or deadline
// passes. It returns the connections that stalled, which the caller closes, and the first
// failure; a server that reads on past the deadline is ErrStillReading.
func Stall(addr string, n int, payload []byte, deadline time.Time) ([]*net.TCPConn, error) {
	return StallTLS(addr, n, payload, nil, deadline)
}

// StallTLS is Stall over TLS with cfg (plaintext when cfg is nil): each client completes its
// handshake, then sends payload in TLS records, never reading. It returns the TCP connections
// under the TLS clients; closing one ends its client.
func StallTLS(addr string, n int, payload []byte, cfg *tls.Config, deadline time.Time) ([]*net.TCPConn, error) {
	var (
		mu       sync.Mutex
		conns    = make([]*net.TCPConn, 0, n)
		firstErr error
		wg       sync.WaitGroup
		slots    = make(chan struct{}, 100)
	)
	for i := range n {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			c, err := stallOne(addr, payload, cfg, deadline)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("stalled client %d of %d: %w", i+1, n, err)
				}
				return
			}
			conns = append(conns, c)
		})
	}
	wg.Wait()
	return conns, firstErr
}

// stallOne connects with small socket buffers and sends until the server stops reading. With a
// TLS cfg it handshakes first and sends records; a TLS write that times out leaves its client
// unusable, which a stalled client does not mind: it never sends again.
func stallOne(addr string, payload []byte, cfg *tls.Config, deadline time.Time) (*net.TCPConn, error) {
	d := net.Dialer{Deadline: deadline, Control: smallBuffers}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := nc.(*net.TCPConn)
	var w io.Writer = c
	if cfg != nil {
		tc := tls.Client(c, cfg)
		c.SetDeadline(deadline)
		if err := tc.Handshake(); err != nil {
			c.Close()
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		w = tc
	}
	for {
		if time.Now().After(deadline) {
			c.Close()
			return nil, ErrStillReading
		}
		if err := c.SetWriteDeadline(time.Now().Add(StallQuiet)); err != nil {
			c.Close()
			return nil, err
		}
		_, err := w.Write(payload)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = c.SetWriteDeadline(time.Time{})
			if err == nil {
				return c, nil
			}
		}
		if err != nil {
			c.Close()
			return nil, err
		}
	}
}

// smallBuffers sets the socket's send and receive buffers before it connects, when the receive
// buffer still decides the window the client offers.
func smallBuffers(_, _ string, rc syscall.RawConn) error {
	var err error
	cerr := rc.Control(func(fd uintptr) {
		for opt, size := range map[int]int{syscall.SO_SNDBUF: StallSendBuffer, syscall.SO_RCVBUF: StallReceiveBuffer} {
			if e := syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, opt, size); e != nil {
				err = errors.Join(err, os.NewSyscallError("setsockopt", e))
			}
		}
	})
	return errors.Join(cerr, err)
}
