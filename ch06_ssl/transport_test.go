// The TLS transport against Go's crypto/tls client: both versions, records cut into bytes, a
// megabyte each way, a hundred connections, close_notify, a server that writes first, and the
// clients that go wrong (plaintext, truncated and stalled handshakes).

package ssl

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
	"tornadotcp/internal/testutil"
)

func TestEchoTLSVersions(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			testutil.CheckLeaks(t)
			o, pool := pair(t)
			o.SSLVersion = v
			addr, logs := echoServer(t, o)
			c := dialTLS(t, addr, pool, nil)
			echoLines(t, c, "hello\n", "world\n", strings.Repeat("x", 20000)+"\n")
			if got := c.ConnectionState().Version; got != v {
				t.Errorf("negotiated %s, want %s", tls.VersionName(got), tls.VersionName(v))
			}
			c.Close()
			if s := logs.String(); s != "" {
				t.Errorf("logs: %s", s)
			}
		})
	}
}

// byteConn writes one byte per write(2), so the server sees every record, the handshake's
// included, arrive in pieces.
type byteConn struct{ net.Conn }

func (b byteConn) Write(p []byte) (int, error) {
	for i := range p {
		if _, err := b.Conn.Write(p[i : i+1]); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

func TestPartialRecords(t *testing.T) {
	testutil.CheckLeaks(t)
	o, pool := pair(t)
	addr, _ := echoServer(t, o)
	raw, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	raw.(*net.TCPConn).SetNoDelay(true)
	raw.SetDeadline(time.Now().Add(60 * time.Second))
	c := tls.Client(byteConn{raw}, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	defer c.Close()
	echoLines(t, c, "one byte at a time\n", "again\n")
}

// A megabyte of lines goes each way while the client is still sending: the echoes pile up in
// the server's output while its input keeps coming.
func TestPipelinedMegabyte(t *testing.T) {
	testutil.CheckLeaks(t)
	o, pool := pair(t)
	addr, _ := echoServer(t, o)
	c := dialTLS(t, addr, pool, nil)
	line := strings.Repeat("0123456789abcdef", 63) + "xyz\n" // 1 KiB
	const n = 1024
	errc := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(c, 64<<10)
		for range n {
			if _, err := w.WriteString(line); err != nil {
				errc <- err
				return
			}
		}
		errc <- w.Flush()
	}()
	r := bufio.NewReader(c)
	for i := range n {
		got, err := r.ReadString('\n')
		if err != nil || got != line {
			t.Fatalf("line %d: %d bytes, %v", i, len(got), err)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestHundredConnections(t *testing.T) {
	testutil.CheckLeaks(t)
	o, pool := pair(t)
	addr, _ := echoServer(t, o)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := tls.DialWithDialer(&net.Dialer{Timeout: 30 * time.Second}, "tcp", addr,
				&tls.Config{RootCAs: pool, ServerName: "localhost"})
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(60 * time.Second))
			r := bufio.NewReader(c)
			for j := range 10 {
				line := fmt.Sprintf("conn %d line %d\n", i, j)
				if _, err := c.Write([]byte(line)); err != nil {
					errs <- err
					return
				}
				if got, err := r.ReadString('\n'); err != nil || got != line {
					errs <- fmt.Errorf("got %q, %v; want %q", got, err, line)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// The client's close_notify ends the input: the echo server closes, and the client reads EOF
// (crypto/tls returns io.EOF only for a close_notify or a TCP EOF at a record boundary).
func TestCloseNotify(t *testing.T) {
	testutil.CheckLeaks(t)
	o, pool := pair(t)
	addr, _ := echoServer(t, o)
	c := dialTLS(t, addr, pool, nil)
	echoLines(t, c, "before\n")
	if _, err := c.Write([]byte("last\n")); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(c)
	if string(rest) != "last\n" || err != nil {
		t.Errorf("after close_notify: %q, %v; want the last line, then EOF", rest, err)
	}
}

// A plaintext client is closed with one warning, 3.2's "SSL Error on fd", and the server
// goes on serving.
func TestPlaintextClient(t *testing.T) {
	testutil.CheckLeaks(t)
	o, pool := pair(t)
	addr, logs := echoServer(t, o)
	raw, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(30 * time.Second))
	raw.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	io.Copy(io.Discard, raw) // until the server closes
	c := dialTLS(t, addr, pool, nil)
	echoLines(t, c, "still serving\n")
	if got := strings.Count(logs.String(), "SSL Error on fd"); got != 1 {
		t.Errorf("%d warnings, want 1:\n%s", got, logs)
	}
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("not a warning:\n%s", logs)
	}
}

// Clients that leave mid-handshake (a port scanner, half a ClientHello) close quietly; one that
// stalls is closed by the handshake timer, its helper goroutine gone (CheckLeaks).
func TestTruncatedAndStalledHandshakes(t *testing.T) {
	testutil.CheckLeaks(t)
	o, pool := pair(t)
	o.HandshakeTimeout = 300 * time.Millisecond
	addr, logs := echoServer(t, o)
	hello := clientHello(t)
	for _, send := range [][]byte{nil, hello[:3], hello[:len(hello)/2], hello} {
		raw, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		raw.Write(send)
		raw.Close()
	}
	// Stalled: nothing, a partial record, a whole ClientHello with no answer read.
	for _, send := range [][]byte{nil, hello[:10], hello} {
		raw, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		raw.SetDeadline(time.Now().Add(30 * time.Second))
		raw.Write(send)
		if _, err := io.Copy(io.Discard, raw); err != nil {
			t.Errorf("stalled client after %d bytes: %v, want the server's close", len(send), err)
		}
		raw.Close()
	}
	c := dialTLS(t, addr, pool, nil)
	echoLines(t, c, "still serving\n")
	if s := logs.String(); s != "" {
		t.Errorf("clients that left were logged:\n%s", s)
	}
}

// clientHello is the first flight of a crypto/tls client.
func clientHello(t *testing.T) []byte {
	a, b := net.Pipe()
	defer a.Close()
	go tls.Client(b, &tls.Config{ServerName: "localhost"}).Handshake()
	buf := make([]byte, 4096)
	a.SetDeadline(time.Now().Add(10 * time.Second))
	n, err := a.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	return buf[:n]
}

// A server that writes first (a greeting, as SMTP does) writes before the handshake has ended:
// the plaintext waits in the transport, then goes.
func TestServerWritesFirst(t *testing.T) {
	testutil.CheckLeaks(t)
	o, pool := pair(t)
	var sent atomic.Int32 // write callbacks run: one per greeting that went
	addr, logs := serve(t, func(loop *ioloop.IOLoop, logs *testutil.LogBuffer) (server, error) {
		o.Logger = logs.Logger()
		greet := tcpserver.HandlerFunc(func(s *tcpserver.IOStream, _ string) {
			s.Write([]byte("220 hello\n"), func() {
				sent.Add(1)
				s.LingeringClose()
			})
		})
		srv, err := NewTCPServer(greet, o, tcpserver.WithIOLoop(loop), tcpserver.WithLogger(logs.Logger()))
		if err != nil {
			return nil, err
		}
		return closer{srv}, nil
	})
	c := dialTLS(t, addr, pool, nil)
	got, err := io.ReadAll(c)
	if string(got) != "220 hello\n" || err != nil {
		t.Errorf("greeting %q, %v", got, err)
	}
	// A plaintext client of a server that writes first: the greeting waiting for the handshake
	// is dropped with it, and the failed handshake is the one line logged.
	raw, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(30 * time.Second))
	raw.Write([]byte("EHLO plaintext\r\n"))
	if rest, _ := io.ReadAll(raw); bytes.Contains(rest, []byte("220")) {
		t.Errorf("the greeting went out in plaintext: %q", rest)
	}
	c = dialTLS(t, addr, pool, nil)
	if got, err := io.ReadAll(c); string(got) != "220 hello\n" || err != nil {
		t.Errorf("greeting after the plaintext client %q, %v", got, err)
	}
	if s := logs.String(); strings.Count(s, "level=") != 1 || !strings.Contains(s, "SSL Error on fd") {
		t.Errorf("want the one SSL Error line, logged:\n%s", s)
	}
	if n := sent.Load(); n != 2 {
		t.Errorf("%d write callbacks ran for 2 greetings sent: the dropped one's ran too", n)
	}
}

// closer gives a TCPServer with no connections of its own to close the server interface.
type closer struct{ *TCPServer }

func (closer) CloseAllConnections() {}

// The handshake uses Go's verification on the client side: a client that does not trust the
// certificate fails, and the server logs the alert it receives as 3.2's warning.
func TestUntrustedClientAlert(t *testing.T) {
	testutil.CheckLeaks(t)
	o, pool := pair(t)
	addr, logs := echoServer(t, o)
	_, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr,
		&tls.Config{ServerName: "localhost"})
	var uerr *tls.CertificateVerificationError
	if !errors.As(err, &uerr) {
		t.Errorf("dial without trusting the certificate: %v, want a verification error", err)
	}
	c := dialTLS(t, addr, pool, nil)
	echoLines(t, c, "ok\n")
	c.Close()
	if !strings.Contains(logs.String(), "SSL Error on fd") {
		t.Errorf("the alert was not logged:\n%s", logs)
	}
}

// The handshake runs whatever the application does first: a handler that does nothing with its
// stream yet still completes the client's handshake (Tornado 3.2 registers the SSL stream at
// once for the same reason).
func TestHandshakeWithoutApplication(t *testing.T) {
	testutil.CheckLeaks(t)
	o, pool := pair(t)
	idle := &idleHandler{}
	addr, _ := serve(t, func(loop *ioloop.IOLoop, logs *testutil.LogBuffer) (server, error) {
		o.Logger = logs.Logger()
		srv, err := NewTCPServer(idle, o, tcpserver.WithIOLoop(loop))
		if err != nil {
			return nil, err
		}
		idle.TCPServer = srv
		return idle, nil
	})
	c := dialTLS(t, addr, pool, nil) // returns once the handshake is done
	if !c.ConnectionState().HandshakeComplete {
		t.Error("handshake not complete")
	}
}

// idleHandler keeps its streams untouched until the server closes them.
type idleHandler struct {
	*TCPServer
	streams []*tcpserver.IOStream
}

func (h *idleHandler) HandleStream(s *tcpserver.IOStream, _ string) { h.streams = append(h.streams, s) }

func (h *idleHandler) CloseAllConnections() {
	for _, s := range h.streams {
		s.Close()
	}
}
