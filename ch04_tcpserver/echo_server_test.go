// EchoServer: the echo protocol, half-close, the 64 KiB line, resets, a client that does not
// read. The conformance suite in tests/ runs the same protocol against ch04/echo and compares it
// with chapter 3.

package tcpserver

import (
	"bytes"
	"fmt"
	"net"
	"testing"

	blocking "tornadotcp/ch01_blocking"
	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// echoTest is an EchoServer listening on 127.0.0.1 on a running loop; it is stopped and its
// connections closed when the test ends.
type echoTest struct {
	t    *testing.T
	loop *ioloop.IOLoop
	logs *testutil.LogBuffer
	srv  *EchoServer
	addr string
}

func newEchoTest(t *testing.T, opts ...ServerOption) *echoTest {
	t.Helper()
	et := &echoTest{t: t}
	et.loop, et.logs = newStreamLoop(t)
	et.srv = NewEchoServer(append([]ServerOption{WithIOLoop(et.loop), WithLogger(et.logs.Logger())}, opts...)...)
	if err := et.srv.Listen(0, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	et.addr = et.srv.Addrs()[0]
	acceptTestRun(t, et.loop)
	t.Cleanup(func() {
		acceptTestOnLoop(t, et.loop, func() {
			et.srv.Stop()
			et.srv.CloseAllConnections()
		})
	})
	return et
}

// waitConns waits until the server has n open connections.
func (et *echoTest) waitConns(n int) {
	et.t.Helper()
	acceptTestWait(et.t, et.loop, fmt.Sprintf("%d open connections", n), func() bool { return len(et.srv.conns) == n })
}

// Lines come back whole and in order, however the client splits them; an empty line too.
func TestEchoServerEchoes(t *testing.T) {
	testutil.CheckLeaks(t)
	et := newEchoTest(t)
	c := serverTestDial(t, "tcp", et.addr)
	expectEcho(t, c, "hello\n")
	expectEcho(t, c, "\n")
	for _, part := range []string{"one line ", "in three ", "writes\nand a second\n"} {
		if _, err := c.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	want := "one line in three writes\nand a second\n"
	got := make([]byte, len(want))
	if _, err := readFullConn(c, got); err != nil || string(got) != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
}

// After the client shuts down its side, every complete line already sent is still echoed, the
// partial line after them is dropped, and the server closes; Tornado 3.2 closed at EOF and lost
// the echoes owed. The connection's state is let go.
func TestEchoServerHalfClose(t *testing.T) {
	testutil.CheckLeaks(t)
	et := newEchoTest(t)
	var lines bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&lines, "pending %d\n", i)
	}
	complete := bytes.Clone(lines.Bytes())
	lines.WriteString("a partial line")
	c := serverTestDial(t, "tcp", et.addr).(*net.TCPConn)
	if _, err := c.Write(lines.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := readAllConn(c)
	if err != nil || !bytes.Equal(got, complete) {
		t.Fatalf("got %d bytes (%v) before EOF, want the %d bytes of complete lines", len(got), err, len(complete))
	}
	et.waitConns(0)
}

// readAllConn reads c until EOF.
func readAllConn(c net.Conn) ([]byte, error) {
	var out bytes.Buffer
	_, err := out.ReadFrom(c)
	return out.Bytes(), err
}

// A line of 64 KiB (not counting its '\n') is echoed; a longer one ends its connection after the
// lines before it have been echoed, with EOF and not a reset (a lingering close); another
// connection is unaffected.
func TestEchoServerLongLine(t *testing.T) {
	testutil.CheckLeaks(t)
	et := newEchoTest(t)
	other := serverTestDial(t, "tcp", et.addr)
	expectEcho(t, other, "before\n")

	c := serverTestDial(t, "tcp", et.addr)
	longest := string(bytes.Repeat([]byte("y"), blocking.MaxLineLength)) + "\n"
	expectEcho(t, c, longest)
	before := "a2\na3\n"
	tooLong := bytes.Repeat([]byte("x"), blocking.MaxLineLength+1)
	if _, err := c.Write(append([]byte(before), tooLong...)); err != nil {
		t.Fatal(err)
	}
	got, err := readAllConn(c)
	if string(got) != before || err != nil {
		t.Errorf("got %q, %v before the close, want %q, then EOF", got, err, before)
	}
	c.Close() // the server drains the connection until the client closes it
	expectEcho(t, other, "after\n")
	et.waitConns(1)
	assertNoLog(t, et.logs, "level=ERROR")
}

// A client that resets its connection with echoes unread closes that stream quietly (no
// warning logged) and the server goes on.
func TestEchoServerReset(t *testing.T) {
	testutil.CheckLeaks(t)
	et := newEchoTest(t)
	c := serverTestDial(t, "tcp", et.addr).(*net.TCPConn)
	expectEcho(t, c, "r0\n")
	if _, err := c.Write([]byte("r1\nr2\nhalf a li")); err != nil {
		t.Fatal(err)
	}
	c.SetLinger(0)
	c.Close()
	expectEcho(t, serverTestDial(t, "tcp", et.addr), "after the reset\n")
	et.waitConns(1)
	assertNoLog(t, et.logs, "level=WARN", "level=ERROR")
}

// A client that sends 16 MiB of lines before reading a byte: the server stops reading once the
// kernel refuses its echoes and readAhead bytes of them wait, so it buffers at most those and
// the line that took it past (a write buffer limit of readAhead plus a longest line would close
// the stream otherwise), and every echo arrives once the client reads.
func TestEchoServerClientNotReading(t *testing.T) {
	testutil.CheckLeaks(t)
	et := newEchoTest(t, WithMaxWriteBufferSize(readAhead+blocking.MaxLineLength+1))
	var lines bytes.Buffer
	for i := 0; lines.Len() < 16<<20; i++ {
		fmt.Fprintf(&lines, "line %d %s\n", i, bytes.Repeat([]byte("z"), i%300))
	}
	c := serverTestDial(t, "tcp", et.addr)
	// A small receive buffer, so that the kernel's buffers fill well before 16 MiB. Not smaller:
	// a receive window under half of loopback's 64 KiB segment leaves the kernel sending the
	// server's 16 KiB writes only when its persist timer fires, a few per second.
	if err := c.(*net.TCPConn).SetReadBuffer(64 << 10); err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() { _, err := c.Write(lines.Bytes()); sent <- err }()
	var held int
	acceptTestWait(t, et.loop, "the server to stop reading", func() bool {
		for conn := range et.srv.conns {
			s := conn.stream
			if s.out.Len() > 0 && s.read.kind == readNone {
				held = s.out.Len()
				return true
			}
		}
		return false
	})
	t.Logf("the server stopped reading with %d bytes of echoes buffered", held)
	got := make([]byte, lines.Len())
	if _, err := readFullConn(c, got); err != nil || !bytes.Equal(got, lines.Bytes()) {
		t.Fatalf("read %v; the echoes differ from the %d bytes sent", err, lines.Len())
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	assertNoLog(t, et.logs, "level=WARN", "level=ERROR")
}
