// Graceful shutdown: IOStream.Idle, and EchoServer's and HTTPServer's Shutdown with idle and
// busy connections open, finishing within the grace period and cut short at its end.

package tcpserver

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	nonblocking "tornadotcp/ch02_nonblocking"
	"tornadotcp/internal/testutil"
)

// A stream is idle only with nothing in either direction: input waiting in the kernel, input
// read but not consumed, and output owed each make it busy.
func TestIOStreamIdle(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer := rawStreamPeer(t, l, logs)
	if !s.Idle() {
		t.Error("a new stream, nothing sent either way: not idle")
	}
	if _, err := unix.Write(peer.fd, []byte("one\nhalf")); err != nil {
		t.Fatal(err)
	}
	if s.Idle() {
		t.Error("input waiting in the kernel: idle")
	}
	runScenario(t, l, func(done func()) {
		err := s.ReadUntil(lineEnd, func([]byte) {
			if s.Idle() {
				t.Error(`"half" read but not consumed: idle`)
			}
			done()
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	runScenario(t, l, func(done func()) {
		if err := s.ReadBytes(len("half"), func([]byte) { done() }, nil); err != nil {
			t.Fatal(err)
		}
	})
	if !s.Idle() {
		t.Error("everything read, nothing owed: not idle")
	}
	if err := s.Write(make([]byte, 8<<20), nil); err != nil { // more than the socket buffers hold
		t.Fatal(err)
	}
	if s.Idle() {
		t.Error("output owed: idle")
	}
	s.Close()
	if !s.Idle() {
		t.Error("a closed stream: not idle")
	}
}

// shutdownOnLoop calls shutdown on the loop and returns a channel closed when its done runs.
func shutdownOnLoop(t *testing.T, et *echoTest, grace time.Duration) <-chan struct{} {
	t.Helper()
	done := make(chan struct{})
	acceptTestOnLoop(t, et.loop, func() { et.srv.Shutdown(grace, func() { close(done) }) })
	return done
}

// waitDone fails the test unless done is closed within d.
func waitDone(t *testing.T, done <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: not within %v", what, d)
	}
}

// expectEOF fails the test unless c reads EOF next: the server closed, with nothing more owed.
func expectEOF(t *testing.T, c net.Conn, who string) {
	t.Helper()
	if rest, err := readAllConn(c); err != nil || len(rest) != 0 {
		t.Errorf("%s: read %q, %v; want EOF", who, rest, err)
	}
}

// Shutdown closes an idle connection and the listener at once, and lets the busy ones finish:
// a client halfway through a line completes it and gets its echo, a client with megabytes of
// echoes owed reads them all; each then reads EOF, and done runs, long before the grace period
// of a minute is over.
func TestEchoServerShutdownIdleAndBusy(t *testing.T) {
	testutil.CheckLeaks(t)
	et := newEchoTest(t)
	idle := serverTestDial(t, "tcp", et.addr)
	expectEcho(t, idle, "idle\n")
	partial := serverTestDial(t, "tcp", et.addr)
	expectEcho(t, partial, "p0\n")
	if _, err := partial.Write([]byte("half a li")); err != nil {
		t.Fatal(err)
	}
	bulk := serverTestDial(t, "tcp", et.addr)
	lines := testutil.Lines(160000, 100) // 16 MiB: more than the kernel's buffers hold
	sent := make(chan error, 1)
	go func() { _, err := bulk.Write(lines); sent <- err }()
	acceptTestWait(t, et.loop, "a partial line held and echoes owed", func() bool {
		var half, owed bool
		for c := range et.srv.conns {
			half = half || c.stream.unread() > 0
			owed = owed || c.stream.owed() > 0
		}
		return half && owed
	})

	start := time.Now()
	done := shutdownOnLoop(t, et, time.Minute)
	expectEOF(t, idle, "the idle client")
	testutil.ExpectRefused(t, et.addr)

	if _, err := partial.Write([]byte("ne\n")); err != nil {
		t.Fatalf("completing the partial line: %v", err)
	}
	if got, err := readAllConn(partial); err != nil || string(got) != "half a line\n" {
		t.Errorf("the partial client: read %q, %v; want its echo, then EOF", got, err)
	}
	got, err := readAllConn(bulk)
	if err != nil || !bytes.Equal(got, lines) {
		t.Errorf("the bulk client: %d of %d bytes, %v; want every echo, then EOF",
			len(got), len(lines), err)
	}
	if err := <-sent; err != nil {
		t.Errorf("the bulk client's write: %v", err)
	}
	waitDone(t, done, 10*time.Second, "done after the last connection closed")
	t.Logf("every connection finished %v after Shutdown", time.Since(start).Round(time.Millisecond))
	et.waitConns(0)
	assertNoLog(t, et.logs, "level=WARN", "level=ERROR")
}

// When the grace period is over, a connection still busy (a partial line that never ends) is
// closed anyway, and done runs.
func TestEchoServerShutdownGraceOver(t *testing.T) {
	testutil.CheckLeaks(t)
	et := newEchoTest(t)
	stalled := serverTestDial(t, "tcp", et.addr)
	if _, err := stalled.Write([]byte("a line that never ends")); err != nil {
		t.Fatal(err)
	}
	waitPartialLine(t, et)
	done := shutdownOnLoop(t, et, 20*time.Millisecond)
	waitDone(t, done, 5*time.Second, "done after the grace period")
	expectEOF(t, stalled, "the stalled client")
	if !strings.Contains(et.logs.String(), "grace period is over") {
		t.Errorf("log %q does not say the grace period ended", et.logs)
	}
}

// EndGrace ends an hour's grace period at once, as its timer would: the busy connection gets
// its echo, then EOF; before a shutdown, and a second time, it does nothing.
func TestEchoServerEndGrace(t *testing.T) {
	testutil.CheckLeaks(t)
	et := newEchoTest(t)
	acceptTestOnLoop(t, et.loop, et.srv.EndGrace) // no shutdown yet: nothing happens
	busy := serverTestDial(t, "tcp", et.addr)
	if _, err := busy.Write([]byte("owed\nand a line that never ends")); err != nil {
		t.Fatal(err)
	}
	waitPartialLine(t, et)
	done := shutdownOnLoop(t, et, time.Hour)
	acceptTestOnLoop(t, et.loop, func() {
		et.srv.EndGrace()
		et.srv.EndGrace()
	})
	if got, err := readAllConn(busy); err != nil || string(got) != "owed\n" {
		t.Errorf("the busy client: read %q, %v; want its echo, then EOF", got, err)
	}
	waitDone(t, done, 10*time.Second, "done after EndGrace")
}

// With no connection open, done runs at once; a second Shutdown does nothing, so done runs once.
func TestEchoServerShutdownNothingOpen(t *testing.T) {
	testutil.CheckLeaks(t)
	et := newEchoTest(t)
	runs := 0
	acceptTestOnLoop(t, et.loop, func() {
		et.srv.Shutdown(time.Minute, func() { runs++ })
		et.srv.Shutdown(time.Minute, func() { runs++ })
	})
	if runs != 1 {
		t.Errorf("done ran %d times, want once, at once", runs)
	}
	testutil.ExpectRefused(t, et.addr)
}

// HTTPServer's Shutdown closes an idle keep-alive connection at once; a request halfway through
// its body is answered, with Connection: close, and its connection then closed.
func TestHTTPServerShutdownIdleAndBusy(t *testing.T) {
	testutil.CheckLeaks(t)
	echoBody := func(req *Request) (int, string, []byte) { return 200, "text/plain", req.Body }
	ht := newHTTPTest(t, echoBody)
	idle := ht.raw()
	idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, _ := idle.response("GET"); resp.Close {
		t.Fatal("the first answer closes the connection; want keep-alive")
	}
	busy := ht.raw()
	busy.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello")
	acceptTestWait(t, ht.loop, "a request body half read", func() bool {
		for c := range ht.srv.conns {
			if c.req != nil {
				return true
			}
		}
		return false
	})

	done := make(chan struct{})
	acceptTestOnLoop(t, ht.loop, func() { ht.srv.Shutdown(time.Minute, func() { close(done) }) })
	idle.expectClosed()
	testutil.ExpectRefused(t, ht.addr)
	busy.send("world")
	resp, body := busy.response("POST")
	checkResponse(t, resp, body, 200, "helloworld")
	if !resp.Close {
		t.Error("the answer during the shutdown keeps the connection; want Connection: close")
	}
	busy.expectClosed()
	waitDone(t, done, 10*time.Second, "done after the last connection closed")
	if n := ht.openConns(); n != 0 {
		t.Errorf("%d connections open after the shutdown", n)
	}
}

// A keep-alive client whose next request is already in the kernel when Shutdown comes is not
// idle: that request is answered, with Connection: close.
func TestHTTPServerShutdownRequestWaiting(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	c := ht.raw()
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	c.response("GET")
	done := make(chan struct{})
	acceptTestOnLoop(t, ht.loop, func() {
		// Sent from the loop's goroutine, the request reaches the server's receive buffer
		// before Shutdown looks, and no event has told the stream of it yet.
		if _, err := io.WriteString(c.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Error(err)
		}
		var fd int
		for conn := range ht.srv.conns {
			fd = conn.stream.t.FD()
		}
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
			if n, _ := nonblocking.InputPending(fd); n > 0 {
				break
			}
		}
		ht.srv.Shutdown(time.Minute, func() { close(done) })
	})
	resp, body := c.response("GET")
	checkResponse(t, resp, body, 200, "Hello, world")
	if !resp.Close {
		t.Error("the answer during the shutdown keeps the connection; want Connection: close")
	}
	c.expectClosed()
	waitDone(t, done, 10*time.Second, "done after the connection closed")
}

// waitPartialLine waits until a connection of et's server holds part of a line.
func waitPartialLine(t *testing.T, et *echoTest) {
	t.Helper()
	acceptTestWait(t, et.loop, "the partial line held", func() bool {
		for c := range et.srv.conns {
			if c.stream.unread() > 0 {
				return true
			}
		}
		return false
	})
}
