// Package badtls is the clients that do not finish a proper TLS conversation with a server:
// not TLS at all, a handshake cut short or left hanging, a client that vanishes halfway
// through a record. The fault tests (tests/fault_tls_test.go) and `chapters soak` play them
// against chapter 6's servers. Each says how Tornado 3.2 classifies it (iostream.py
// _do_ssl_handshake at v3.2.2): a client that leaves during the handshake closes quietly; one
// that is not TLS, or sends a handshake that does not parse, closes with one "SSL Error" line.
package badtls

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"syscall"
	"time"
)

// TLS record content types (RFC 8446 section 5.1; the same in TLS 1.2).
const (
	RecordAlert     = 21
	RecordHandshake = 22
	RecordAppData   = 23
)

// Kind is one bad client.
type Kind struct {
	Name string
	// Quiet says the server must drop it without a warning.
	Quiet bool
	// ClosedByServer says the client waits for the server to close the connection (Wait);
	// the others leave on their own.
	ClosedByServer bool
	// Stalls says the server closes it only at its handshake timeout.
	Stalls bool
	// Play misbehaves on c, a new connection; hello is a real ClientHello record.
	Play func(c *net.TCPConn, hello []byte) error
}

// Kinds are every bad client.
var Kinds = []Kind{
	{Name: "plaintext", ClosedByServer: true, Play: func(c *net.TCPConn, _ []byte) error {
		_, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
		return err
	}},
	{Name: "garbage", ClosedByServer: true, Play: func(c *net.TCPConn, _ []byte) error {
		g := random(1024)
		g[0] = 0x80 // not a record type: not a TLS client
		_, err := c.Write(g)
		return err
	}},
	{Name: "garbage handshake record", ClosedByServer: true, Play: func(c *net.TCPConn, _ []byte) error {
		// A whole ClientHello message (type 1, length 296: the rest of the record) of random
		// bytes, which does not parse. A random length would mostly be refused as too long,
		// but one in 256 would leave the server waiting for the rest: a stalled handshake.
		body := random(300)
		body[0], body[1], body[2], body[3] = 1, 0, 1, 40
		_, err := c.Write(append([]byte{RecordHandshake, 3, 1, 1, 44}, body...))
		return err
	}},
	{Name: "truncated ClientHello, then close", Quiet: true, Play: func(c *net.TCPConn, hello []byte) error {
		_, err := c.Write(hello[:len(hello)/2])
		return err
	}},
	{Name: "truncated ClientHello, then reset", Quiet: true, Play: func(c *net.TCPConn, hello []byte) error {
		_, err := c.Write(hello[:len(hello)/2])
		if err == nil {
			err = c.SetLinger(0)
		}
		return err
	}},
	{Name: "stalled before the ClientHello", Quiet: true, ClosedByServer: true, Stalls: true,
		Play: func(*net.TCPConn, []byte) error { return nil }},
	{Name: "stalled in the ClientHello", Quiet: true, ClosedByServer: true, Stalls: true,
		Play: func(c *net.TCPConn, hello []byte) error {
			_, err := c.Write(hello[:10])
			return err
		}},
	{Name: "stalled after the ClientHello", Quiet: true, ClosedByServer: true, Stalls: true,
		Play: func(c *net.TCPConn, hello []byte) error {
			_, err := c.Write(hello)
			return err
		}},
	{Name: "vanished mid-record", Quiet: true, Play: func(c *net.TCPConn, _ []byte) error {
		return midRecord(c, false)
	}},
	{Name: "reset mid-record", Quiet: true, Play: func(c *net.TCPConn, _ []byte) error {
		return midRecord(c, true)
	}},
}

func random(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rand.IntN(256))
	}
	return b
}

// midRecord finishes a handshake on c, sends a whole line and then the first 100 bytes of a
// 16 KiB record, and leaves: closing, or resetting the connection (SO_LINGER 0; the caller's
// close sends the RST).
func midRecord(c *net.TCPConn, reset bool) error {
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		return err
	}
	if _, err := io.WriteString(tc, "a whole line first\n"); err != nil {
		return err
	}
	part := append([]byte{RecordAppData, 3, 3, 0x40, 0}, bytes.Repeat([]byte{0xa5}, 100)...)
	if _, err := c.Write(part); err != nil {
		return err
	}
	if reset {
		return c.SetLinger(0)
	}
	return nil
}

// ClientHello is a real ClientHello record, from crypto/tls's client over a pipe.
func ClientHello() ([]byte, error) {
	a, b := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		tls.Client(a, &tls.Config{ServerName: "localhost"}).Handshake()
	}()
	defer func() { b.Close(); a.Close(); <-done }()
	b.SetDeadline(time.Now().Add(10 * time.Second))
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(b, hdr); err != nil {
		return nil, err
	}
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(b, body); err != nil {
		return nil, err
	}
	return append(hdr, body...), nil
}

// ErrNotClosed: the server left open a connection it had to close.
var ErrNotClosed = errors.New("the server did not close the connection")

// Play connects to addr, plays k and, for a kind the server must close, waits until it does:
// EOF or a reset, within timeout (whatever comes first, an alert perhaps, is read and dropped).
// A write refused because the server has already closed is not an error.
func Play(addr string, k Kind, hello []byte, timeout time.Duration) error {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	c := nc.(*net.TCPConn)
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if err := k.Play(c, hello); err != nil && !gone(err) {
		return err
	}
	if !k.ClosedByServer {
		return nil
	}
	_, err = io.Copy(io.Discard, c)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return ErrNotClosed
	case err != nil && !errors.Is(err, syscall.ECONNRESET):
		return err
	}
	return nil
}

// gone says whether err is the peer having closed the connection under a write.
func gone(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
