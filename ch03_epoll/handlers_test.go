// Handlers: tornado/test/ioloop_test.py's multiple-add, remove-without-add and read-while-
// writeable cases, and the dispatch rule that a removed fd's pending event is dropped.

package ioloop

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestAddSameFDTwiceIsAnError(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		fds := newFDSet(t)
		a, _ := fds.socketpair()
		if err := l.AddHandler(a, func(int, uint32) {}, READ); err != nil {
			t.Fatal(err)
		}
		if err := l.AddHandler(a, func(int, uint32) {}, READ); !errors.Is(err, ErrRegistered) {
			t.Fatalf("second AddHandler: err = %v, want ErrRegistered", err)
		}
		l.RemoveHandler(a)
		if err := l.AddHandler(a, func(int, uint32) {}, READ); err != nil {
			t.Fatalf("AddHandler after RemoveHandler: %v", err)
		}
	})
}

func TestRemoveFDNeverAddedIsNotAnError(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, logs := newLoop(t, b)
		fds := newFDSet(t)
		a, peer := fds.socketpair()
		l.RemoveHandler(a)
		l.RemoveHandler(a)
		// The loop is unharmed, and the fd can be added and served afterwards.
		got := uint32(0)
		if err := l.AddHandler(a, func(fd int, events uint32) {
			got = events
			drain(t, fd)
			l.RemoveHandler(fd)
			l.Stop()
		}, READ); err != nil {
			t.Fatal(err)
		}
		write(t, peer, "x")
		run(t, l)
		if got != READ {
			t.Fatalf("events = %#x, want READ", got)
		}
		if out := logs.String(); out != "" {
			t.Fatalf("removing a never-added fd logged:\n%s", out)
		}
	})
}

// A socket is always writable; a handler that asked for READ only must never see WRITE (Tornado's
// test_read_while_writeable). The data is written one pass after the handler is added, so the
// first wait (zero timeout, a callback is pending) sees the fd writable and not readable.
func TestWritableFDReportsOnlyRead(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		fds := newFDSet(t)
		a, peer := fds.socketpair()
		var got []uint32
		if err := l.AddHandler(a, func(fd int, events uint32) {
			got = append(got, events)
			drain(t, fd)
			l.RemoveHandler(fd)
			l.Stop()
		}, READ); err != nil {
			t.Fatal(err)
		}
		l.AddCallback(func() {
			l.AddCallback(func() { write(t, peer, "asdf") })
		})
		run(t, l)
		if len(got) != 1 || got[0] != READ {
			t.Fatalf("handler saw %v, want exactly one READ", got)
		}
	})
}

func TestUpdateHandler(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		fds := newFDSet(t)
		a, other := fds.socketpair()
		if err := l.UpdateHandler(other, READ); !errors.Is(err, ErrNotRegistered) {
			t.Fatalf("UpdateHandler on an fd with no handler: err = %v, want ErrNotRegistered", err)
		}
		var got []uint32
		if err := l.AddHandler(a, func(fd int, events uint32) {
			got = append(got, events)
			if len(got) == 1 {
				// Writable, as a stream with output would ask; then back to reading.
				l.UpdateHandler(fd, READ)
				write(t, other, "x")
				return
			}
			drain(t, fd)
			l.RemoveHandler(fd)
			l.Stop()
		}, WRITE); err != nil {
			t.Fatal(err)
		}
		run(t, l)
		if fmt.Sprint(got) != fmt.Sprint([]uint32{WRITE, READ}) {
			t.Fatalf("handler saw %#x, want WRITE then READ", got)
		}
	})
}

// ERROR is watched even when a handler asked for nothing else.
func TestErrorIsAlwaysWatched(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		fds := newFDSet(t)
		r, w := fds.pipe()
		want := ERROR
		if !b.hangupIsError {
			want = READ // kqueue: see the Poller contract
		}
		var got uint32
		if err := l.AddHandler(r, func(fd int, events uint32) {
			got = events
			l.RemoveHandler(fd)
			l.Stop()
		}, NONE); err != nil {
			t.Fatal(err)
		}
		l.AddCallback(func() { fds.close(w) })
		run(t, l)
		if got&want == 0 {
			t.Fatalf("writer closed: handler got %#x, want %#x", got, want)
		}
	})
}

// Two fds are ready in the same pass; whichever handler runs first removes the other fd. The
// other's event, already returned by the monitor, must not be delivered.
func TestHandlerRemovingAnotherFDCancelsItsEvent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		fds := newFDSet(t)
		a, peerA := fds.socketpair()
		c, peerC := fds.socketpair()
		write(t, peerA, "x")
		write(t, peerC, "x")
		var calls []int
		handler := func(other int) Handler {
			return func(fd int, _ uint32) {
				calls = append(calls, fd)
				l.RemoveHandler(fd)
				l.RemoveHandler(other)
				l.Stop()
			}
		}
		l.AddHandler(a, handler(c), READ)
		l.AddHandler(c, handler(a), READ)
		run(t, l)
		if len(calls) != 1 {
			t.Fatalf("handlers called for fds %v; the removed fd's pending event was delivered", calls)
		}
	})
}

// An fd removed and added again during dispatch (a connection closed and its number reused by the
// next accept) must not receive the event that was meant for its predecessor.
func TestReaddedFDDoesNotGetStaleEvent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		fds := newFDSet(t)
		a, peerA := fds.socketpair()
		c, peerC := fds.socketpair()
		write(t, peerA, "x")
		write(t, peerC, "x")
		var stale []int
		handler := func(other int) Handler {
			return func(fd int, _ uint32) {
				l.RemoveHandler(fd)
				l.RemoveHandler(other)
				l.AddHandler(other, func(fd int, _ uint32) { stale = append(stale, fd) }, READ)
				l.Stop()
			}
		}
		l.AddHandler(a, handler(c), READ)
		l.AddHandler(c, handler(a), READ)
		run(t, l)
		if len(stale) != 0 {
			t.Fatalf("a handler added during dispatch got the old event of fd %v", stale)
		}
	})
}

// A handler's panic is logged with its fd, and the loop keeps serving that fd and the others.
func TestHandlerPanicIsLoggedWithItsFD(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, logs := newLoop(t, b)
		fds := newFDSet(t)
		a, peer := fds.socketpair()
		calls := 0
		if err := l.AddHandler(a, func(fd int, _ uint32) {
			calls++
			if calls == 1 {
				panic("boom in handler")
			}
			drain(t, fd)
			l.RemoveHandler(fd)
			l.Stop()
		}, READ); err != nil {
			t.Fatal(err)
		}
		write(t, peer, "x")
		if b.edge {
			// The first event was spent on the panic; a new edge brings the fd back.
			l.AddCallback(func() { l.AddCallback(func() { write(t, peer, "y") }) })
		}
		run(t, l)
		if calls != 2 {
			t.Fatalf("handler ran %d times, want 2 (the loop must go on after a panic)", calls)
		}
		out := logs.String()
		if !strings.Contains(out, "panic in handler") || !strings.Contains(out, fmt.Sprintf("fd=%d", a)) ||
			!strings.Contains(out, "boom in handler") {
			t.Fatalf("log does not report the panic with fd=%d:\n%s", a, out)
		}
	})
}
