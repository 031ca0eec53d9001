// The graceful-stop checks every server with a Shutdown must pass.

package testutil

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Graceful is a Server that can also stop gracefully (the catalog's Graceful, restated here for
// the same reason as Server).
type Graceful interface {
	Server
	Shutdown(grace time.Duration) error
}

// CheckShutdown serves s and shuts it down, with a grace period of a minute, while three clients
// are connected: one idle, one halfway through a line, one with megabytes of echoes owed. The
// idle client must read EOF at once and a new client be refused; the partial client then ends
// its line and must get its echo; the bulk client must get every echo; each must then read EOF,
// and Shutdown and Serve must return nil, long before the minute is over.
func CheckShutdown(t *testing.T, s Graceful) {
	t.Helper()
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	idle := Dial(t, s.Addr())
	Echo(t, idle, "idle\n")
	partial := Dial(t, s.Addr())
	// One write: once "p1" comes back, the server has read the half line that came with it.
	if err := partial.Send([]byte("p1\nhalf a li")); err != nil {
		t.Fatal(err)
	}
	if got, err := partial.ReadLine(); err != nil || string(got) != "p1\n" {
		t.Fatalf("partial client: %q, %v", got, err)
	}
	bulk := Dial(t, s.Addr())
	lines := Lines(80000, 100) // 8 MiB: more than the kernel's buffers hold
	sent := make(chan error, 1)
	go func() { sent <- bulk.Send(lines) }()
	first, err := bulk.ReadLine()
	if err != nil || !bytes.HasPrefix(lines, first) {
		t.Fatalf("bulk client's first echo: %q, %v", first, err)
	}

	start := time.Now()
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(time.Minute) }()
	if rest, err := idle.ReadToEOF(); err != nil || len(rest) != 0 {
		t.Errorf("idle client: %q, %v; want EOF at once", rest, err)
	}
	ExpectRefused(t, s.Addr())
	if err := partial.Send([]byte("ne\n")); err != nil {
		t.Fatalf("partial client ending its line: %v", err)
	}
	if got, err := partial.ReadToEOF(); err != nil || string(got) != "half a line\n" {
		t.Errorf("partial client: %q, %v; want its echo, then EOF", got, err)
	}
	got, err := bulk.ReadToEOF()
	if err != nil || !bytes.Equal(append(first, got...), lines) {
		t.Errorf("bulk client: %d of %d bytes, %v; want every echo, then EOF",
			len(first)+len(got), len(lines), err)
	}
	if err := <-sent; err != nil {
		t.Errorf("bulk client's send: %v", err)
	}
	waitShutdown(t, shut, served, 20*time.Second)
	t.Logf("every client finished %v after Shutdown began", time.Since(start).Round(time.Millisecond))
}

// CheckShutdownCut serves s with a client that never ends its line. Shutdown with a short grace
// period must return once it is over, the client reading EOF; Shutdown with a long one must
// return as soon as a Stop from another goroutine cuts it short.
func CheckShutdownCut(t *testing.T, newServer func() Graceful) {
	t.Helper()
	for _, stop := range []bool{false, true} {
		s := newServer()
		served := make(chan error, 1)
		go func() { served <- s.Serve() }()
		stalled := Dial(t, s.Addr())
		Echo(t, stalled, "first\n")
		if err := stalled.Send([]byte("a line that never ends")); err != nil {
			t.Fatal(err)
		}
		shut := make(chan error, 1)
		if !stop {
			go func() { shut <- s.Shutdown(20 * time.Millisecond) }()
		} else {
			go func() { shut <- s.Shutdown(time.Hour) }()
			// Shutdown closes the listener first: once a client is refused, it has begun.
			WaitFor(t, "the listener to close", func() bool { return refused(s.Addr()) })
			if err := s.Stop(); err != nil {
				t.Errorf("Stop during Shutdown: %v", err)
			}
		}
		waitShutdown(t, shut, served, 10*time.Second)
		if rest, err := stalled.ReadToEOF(); err != nil || len(rest) != 0 {
			t.Errorf("stalled client (Stop %v): %q, %v; want EOF", stop, rest, err)
		}
	}
}

// waitShutdown waits, at most d, for Shutdown and then Serve to return nil.
func waitShutdown(t *testing.T, shut, served <-chan error, d time.Duration) {
	t.Helper()
	timeout := time.After(d)
	for _, ch := range []struct {
		name string
		c    <-chan error
	}{{"Shutdown", shut}, {"Serve", served}} {
		select {
		case err := <-ch.c:
			if err != nil {
				t.Errorf("%s: %v, want nil", ch.name, err)
			}
		case <-timeout:
			t.Fatalf("%s did not return within %v", ch.name, d)
		}
	}
}

// refused reports whether a dial to addr is refused: nothing listens there any more.
func refused(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err == nil {
		c.Close()
	}
	return errors.Is(err, unix.ECONNREFUSED)
}
