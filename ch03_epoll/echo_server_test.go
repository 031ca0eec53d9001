// The echo server's behaviour, on the epoll and poll monitors: the echo protocol, half-close,
// long lines, resets, Stop, and what the server asks of the monitor.

package ioloop_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	blocking "tornadotcp/ch01_blocking"
	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/testutil"
)

// monitor is one Poller the server is tested on (echo_monitors_*_test.go lists them).
type monitor struct {
	name string
	new  func() (ioloop.Poller, error)
}

// newPoller makes m's monitor.
func (m monitor) newPoller(t *testing.T) ioloop.Poller {
	t.Helper()
	p, err := m.new()
	if err != nil {
		t.Fatalf("new %s poller: %v", m.name, err)
	}
	return p
}

// forEachMonitor runs test once per monitor, each with the leak check.
func forEachMonitor(t *testing.T, test func(t *testing.T, m monitor)) {
	for _, m := range monitors {
		t.Run(m.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			test(t, m)
		})
	}
}

// newServer makes a server on p, or on a new monitor of m's when p is nil, listening on an
// ephemeral loopback port and logging into logs.
func newServer(t *testing.T, m monitor, p ioloop.Poller) (*ioloop.EchoServer, *testutil.LogBuffer) {
	t.Helper()
	if p == nil {
		p = m.newPoller(t)
	}
	logs := &testutil.LogBuffer{}
	s, err := ioloop.NewEchoServer("127.0.0.1:0",
		ioloop.WithPoller(p), ioloop.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	if err != nil {
		t.Fatalf("NewEchoServer: %v", err)
	}
	return s, logs
}

// serve starts s on a new goroutine and stops it when the test ends, checking that Serve then
// returns nil.
func serve(t *testing.T, s *ioloop.EchoServer) {
	t.Helper()
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve returned %v after Stop, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Serve still running 5s after Stop returned")
		}
	})
}

// serveNew is newServer and serve.
func serveNew(t *testing.T, m monitor) (*ioloop.EchoServer, *testutil.LogBuffer) {
	t.Helper()
	s, logs := newServer(t, m, nil)
	serve(t, s)
	return s, logs
}

// Several clients at once, lines split across sends, lines sent together, each echoed whole and
// in order to its own client; the longest line allowed passes.
func TestEchoServerEcho(t *testing.T) {
	forEachMonitor(t, func(t *testing.T, m monitor) {
		s, logs := serveNew(t, m)
		a, b, c := testutil.Dial(t, s.Addr()), testutil.Dial(t, s.Addr()), testutil.Dial(t, s.Addr())
		testutil.Echo(t, a, "hello from a\n")
		testutil.Echo(t, b, "hello from b\n")
		a.Send([]byte("split "))
		testutil.Echo(t, c, "c goes meanwhile\n")
		a.Send([]byte("line\nsecond\n"))
		for _, want := range []string{"split line\n", "second\n"} {
			if got, err := a.ReadLine(); err != nil || string(got) != want {
				t.Fatalf("got %q, %v; want %q", got, err, want)
			}
		}
		testutil.Echo(t, b, strings.Repeat("b", blocking.MaxLineLength)+"\n")
		if logs.String() != "" {
			t.Errorf("unexpected log: %s", logs)
		}
	})
}

// A client that half-closes gets every complete line it sent, then EOF; the unfinished line is
// dropped. With 3 MiB in flight the server holds output for a client that reads slower than it
// sends, stops reading past MaxPendingOutput, and after the EOF watches only for WRITE until all
// is sent.
func TestEchoServerHalfCloseWithPendingOutput(t *testing.T) {
	forEachMonitor(t, func(t *testing.T, m monitor) {
		s, _ := serveNew(t, m)
		c := testutil.Dial(t, s.Addr())
		if got := testutil.SendAndReadAll(t, c, []byte("a\nb\nunfinished")); string(got) != "a\nb\n" {
			t.Fatalf("got %q, want %q", got, "a\nb\n")
		}
		big := testutil.Lines(3<<20/100, 100)
		if got := testutil.SendAndReadAll(t, testutil.Dial(t, s.Addr()), big); !bytes.Equal(got, big) {
			t.Fatalf("got %d bytes back, want %d", len(got), len(big))
		}
	})
}

// A line over 64 KiB closes that connection, after the lines before it are echoed; another
// client carries on, and the log says why.
func TestEchoServerLongLineClosesOnlyThatConnection(t *testing.T) {
	forEachMonitor(t, func(t *testing.T, m monitor) {
		s, logs := serveNew(t, m)
		other := testutil.Dial(t, s.Addr())
		testutil.Echo(t, other, "before\n")

		c := testutil.Dial(t, s.Addr())
		c.Send(append([]byte("ok\n"), bytes.Repeat([]byte("x"), blocking.MaxLineLength+4096)...))
		if got, err := c.ReadLine(); err != nil || string(got) != "ok\n" {
			t.Fatalf("got %q, %v; want the line before the long one", got, err)
		}
		rest, err := c.ReadToEOF()
		if len(rest) != 0 || (err != nil && !errors.Is(err, syscall.ECONNRESET)) {
			t.Fatalf("after the long line: %q, %v; want the connection closed", rest, err)
		}
		testutil.Echo(t, other, "after\n")
		if !strings.Contains(logs.String(), blocking.ErrLineTooLong.Error()) {
			t.Errorf("log does not say why: %q", logs)
		}
	})
}

// A client that resets its connection (RST) with echoes still owed is dropped quietly, its
// descriptor closed, while another client goes on being served.
func TestEchoServerResetDropped(t *testing.T) {
	forEachMonitor(t, func(t *testing.T, m monitor) {
		s, logs := serveNew(t, m)
		testutil.CheckResetDropped(t, s.Addr(), logs)
	})
}

// Stop before Serve releases the listener and the loop, Serve then refuses to start, and a
// second Stop is harmless.
func TestEchoServerStopBeforeServe(t *testing.T) {
	forEachMonitor(t, func(t *testing.T, m monitor) {
		s, _ := newServer(t, m, nil)
		if err := s.Stop(); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if err := s.Stop(); err != nil {
			t.Fatalf("second Stop: %v", err)
		}
		if err := s.Serve(); !errors.Is(err, blocking.ErrServerClosed) {
			t.Fatalf("Serve after Stop: %v, want ErrServerClosed", err)
		}
		if c, err := echoclient.Dial(s.Addr(), time.Second); err == nil {
			c.Close()
			t.Fatalf("connected to a stopped server")
		}
	})
}

// Stop, called twice at once from two goroutines while clients are connected, returns only when
// Serve has closed every descriptor: the listener, the connections, the monitor and the waker.
// At that moment the process holds no more than the clients' own, and they see an orderly EOF.
func TestEchoServerStopWithClients(t *testing.T) {
	forEachMonitor(t, func(t *testing.T, m monitor) {
		before := len(testutil.OpenFDs(t))
		s, _ := newServer(t, m, nil)
		testutil.CheckStopWithClients(t, s, before)
		if err := s.Serve(); !errors.Is(err, blocking.ErrServerClosed) {
			t.Errorf("Serve again: %v, want ErrServerClosed", err)
		}
	})
}

// countingPoller counts the interest changes the server asks of its monitor.
type countingPoller struct {
	ioloop.Poller
	registers, modifies atomic.Int64
	writeOnly           atomic.Int64 // changes to WRITE without READ
}

func (p *countingPoller) Register(fd int, events uint32) error {
	p.registers.Add(1)
	return p.Poller.Register(fd, events)
}

func (p *countingPoller) Modify(fd int, events uint32) error {
	p.modifies.Add(1)
	if events&(ioloop.READ|ioloop.WRITE) == ioloop.WRITE {
		p.writeOnly.Add(1)
	}
	return p.Poller.Modify(fd, events)
}

// The server tells the monitor what a connection wants only when that changes. A ping-pong, where
// every echo is sent at once, costs no change at all (on epoll, no epoll_ctl). A client that
// sends 10 MiB before it reads anything fills the kernel's buffers (on loopback the server's send
// buffer alone may grow to 4 MiB): the server adds WRITE, drops READ once more than
// MaxPendingOutput is owed, and takes READ back as the client catches up; a handful of changes,
// fewer than reads.
func TestEchoServerUpdatesInterestOnlyOnChange(t *testing.T) {
	forEachMonitor(t, func(t *testing.T, m monitor) {
		p := &countingPoller{Poller: m.newPoller(t)}
		s, _ := newServer(t, m, p)
		serve(t, s)
		c := testutil.Dial(t, s.Addr())
		for i := range 200 {
			testutil.Echo(t, c, fmt.Sprintf("ping %d\n", i))
		}
		if n := p.modifies.Load(); n != 0 {
			t.Errorf("%d interest changes for 200 ping-pongs, want 0", n)
		}
		if n := p.registers.Load(); n != 3 {
			t.Errorf("%d registrations, want 3 (waker, listener, client)", n)
		}

		behind := testutil.Dial(t, s.Addr())
		big := testutil.Lines(10<<20/100, 100)
		sent := make(chan error, 1)
		go func() {
			err := behind.Send(big)
			if err == nil {
				err = behind.CloseWrite()
			}
			sent <- err
		}()
		testutil.WaitFor(t, "the server to stop reading", func() bool { return p.writeOnly.Load() > 0 })
		got, err := behind.ReadToEOF()
		if err != nil || !bytes.Equal(got, big) {
			t.Fatalf("got %d bytes back, %v; want %d", len(got), err, len(big))
		}
		if err := <-sent; err != nil {
			t.Fatalf("send: %v", err)
		}
		n := p.modifies.Load()
		t.Logf("%d interest changes while echoing %d bytes to a client behind", n, len(big))
		if n > int64(len(big)/blocking.RecvBufferSize) {
			t.Errorf("%d interest changes: want fewer than one per read", n)
		}
	})
}
