// Package echoclient is the client side of the echo protocol, shared by the conformance suite
// in tests/ and by the benchmarks, so that both measure servers with the same code.
package echoclient

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// Conn is one client connection, in plaintext or over TLS.
type Conn struct {
	c  *net.TCPConn
	tc *tls.Conn // nil in plaintext
	w  io.Writer // c, or tc
	r  *bufio.Reader
}

// Dial connects to addr, giving up after timeout.
func Dial(addr string, timeout time.Duration) (*Conn, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return &Conn{c: c.(*net.TCPConn), w: c, r: bufio.NewReaderSize(c, 4096)}, nil
}

// DialTLS connects to addr and completes a TLS handshake with cfg, giving up after timeout: the
// echo protocol over TLS (chapter 6's tls-echo).
func DialTLS(addr string, cfg *tls.Config, timeout time.Duration) (*Conn, error) {
	raw, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(raw, cfg)
	raw.SetDeadline(time.Now().Add(timeout))
	if err := tc.Handshake(); err != nil {
		raw.Close()
		return nil, fmt.Errorf("tls handshake: %w", err)
	}
	raw.SetDeadline(time.Time{})
	return &Conn{c: raw.(*net.TCPConn), tc: tc, w: tc, r: bufio.NewReaderSize(tc, 4096)}, nil
}

// Send writes p as it is (lines, parts of lines, anything).
func (c *Conn) Send(p []byte) error {
	_, err := c.w.Write(p)
	return err
}

// ReadLine reads one echoed line, with its '\n'. A server may send lines longer than the reader's
// buffer; they are returned whole.
func (c *Conn) ReadLine() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	if err == nil {
		return append([]byte(nil), line...), nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	whole := append([]byte(nil), line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = c.r.ReadSlice('\n')
		whole = append(whole, line...)
	}
	return whole, err
}

// Read reads whatever echoed bytes have arrived, at most len(p), waiting for at least one (up to
// the deadline). It goes through the same buffer as ReadLine, so no byte is skipped when a test
// mixes the two; a read that times out loses nothing.
func (c *Conn) Read(p []byte) (int, error) { return c.r.Read(p) }

// ReadFull reads exactly len(p) echoed bytes.
func (c *Conn) ReadFull(p []byte) error {
	_, err := io.ReadFull(c.r, p)
	return err
}

// ReadToEOF reads everything until the server closes, and how it closed: nil for an orderly
// close (EOF), or the error (a reset, a deadline).
func (c *Conn) ReadToEOF() ([]byte, error) {
	data, err := io.ReadAll(c.r)
	return data, err
}

// CloseWrite half-closes: the server sees EOF but may still send. Over TLS, close_notify goes
// first (crypto/tls's CloseWrite leaves the TCP connection open).
func (c *Conn) CloseWrite() error {
	if c.tc != nil {
		if err := c.tc.CloseWrite(); err != nil {
			return err
		}
	}
	return c.c.CloseWrite()
}

// Reset closes with SO_LINGER 0, so the kernel sends RST instead of FIN: an abrupt disconnect.
func (c *Conn) Reset() error {
	if err := c.c.SetLinger(0); err != nil {
		return fmt.Errorf("set linger: %w", err)
	}
	return c.c.Close()
}

// SetDeadline bounds every later read and write.
func (c *Conn) SetDeadline(t time.Time) error { return c.c.SetDeadline(t) }

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// LocalAddr is the client's own address.
func (c *Conn) LocalAddr() string { return c.c.LocalAddr().String() }
