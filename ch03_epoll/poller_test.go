// The Poller contract (poller.go), checked on every backend.

package ioloop

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
)

// wait calls p.Wait and fails the test on error.
func wait(t *testing.T, p Poller, timeout time.Duration) []Event {
	t.Helper()
	events := make([]Event, 16)
	n, err := p.Wait(events, timeout)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return events[:n]
}

// waitFor waits until p reports fd and returns its events. Wait may return empty-handed (EINTR),
// so it retries within the watchdog.
func waitFor(t *testing.T, p Poller, fd int) uint32 {
	t.Helper()
	deadline := time.Now().Add(watchdog)
	for time.Now().Before(deadline) {
		for _, ev := range wait(t, p, time.Until(deadline)) {
			if ev.FD == fd {
				return ev.Events
			}
		}
	}
	t.Fatalf("fd %d never reported", fd)
	return 0
}

// eventsOf looks fd up in events; 0 when it is absent.
func eventsOf(events []Event, fd int) uint32 {
	for _, ev := range events {
		if ev.FD == fd {
			return ev.Events
		}
	}
	return 0
}

func TestPollerReportsRead(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fds := newFDSet(t)
		a, peer := fds.socketpair()
		p := newPoller(t, b)
		if err := p.Register(a, READ); err != nil {
			t.Fatal(err)
		}
		if got := wait(t, p, 0); len(got) != 0 {
			t.Fatalf("nothing written yet, Wait reported %v", got)
		}
		write(t, peer, "x")
		if got := waitFor(t, p, a); got != READ {
			t.Fatalf("events = %#x, want READ only", got)
		}
	})
}

func TestPollerReportsOnlyWhatWasAsked(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fds := newFDSet(t)
		a, peer := fds.socketpair()
		write(t, peer, "x") // a is readable and writable
		p := newPoller(t, b)
		if err := p.Register(a, WRITE); err != nil {
			t.Fatal(err)
		}
		if got := waitFor(t, p, a); got != WRITE {
			t.Fatalf("registered for WRITE: events = %#x, want WRITE only", got)
		}
		if err := p.Modify(a, READ); err != nil {
			t.Fatal(err)
		}
		if got := waitFor(t, p, a); got != READ {
			t.Fatalf("modified to READ: events = %#x, want READ only", got)
		}
		if err := p.Modify(a, READ|WRITE); err != nil {
			t.Fatal(err)
		}
		// Both in one event: kqueue's two filters are merged.
		got := wait(t, p, watchdog)
		if len(got) != 1 || got[0] != (Event{FD: a, Events: READ | WRITE}) {
			t.Fatalf("READ|WRITE: got %v, want one event with both", got)
		}
		if b.errorOnlySilent {
			if err := p.Modify(a, NONE); err != nil {
				t.Fatal(err)
			}
			if got := wait(t, p, 0); len(got) != 0 {
				t.Fatalf("modified to NONE: Wait reported %v", got)
			}
		}
	})
}

// Level-triggered backends report unread data at every Wait; the edge-triggered one once.
func TestPollerTriggering(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fds := newFDSet(t)
		a, peer := fds.socketpair()
		p := newPoller(t, b)
		if err := p.Register(a, READ); err != nil {
			t.Fatal(err)
		}
		write(t, peer, "unread")
		if got := waitFor(t, p, a); got != READ {
			t.Fatalf("events = %#x, want READ", got)
		}
		for i := range 3 {
			got := eventsOf(wait(t, p, 0), a)
			switch {
			case b.edge && got != 0:
				t.Fatalf("edge-triggered, nothing new: wait %d reported %#x", i, got)
			case !b.edge && got != READ:
				t.Fatalf("level-triggered, data unread: wait %d reported %#x, want READ", i, got)
			}
		}
	})
}

func TestPollerUnregister(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fds := newFDSet(t)
		a, peer := fds.socketpair()
		p := newPoller(t, b)
		if err := p.Register(a, READ); err != nil {
			t.Fatal(err)
		}
		if err := p.Unregister(a); err != nil {
			t.Fatal(err)
		}
		write(t, peer, "x")
		if got := wait(t, p, 0); len(got) != 0 {
			t.Fatalf("unregistered fd reported: %v", got)
		}
		if err := p.Register(a, READ); err != nil {
			t.Fatalf("register again after unregister: %v", err)
		}
		if got := waitFor(t, p, a); got != READ {
			t.Fatalf("events = %#x, want READ", got)
		}
	})
}

func TestPollerRegistrationErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fds := newFDSet(t)
		a, other := fds.socketpair()
		p := newPoller(t, b)
		if err := p.Register(a, READ); err != nil {
			t.Fatal(err)
		}
		if err := p.Register(a, WRITE); !errors.Is(err, ErrRegistered) {
			t.Errorf("register twice: err = %v, want ErrRegistered", err)
		}
		if err := p.Modify(other, READ); !errors.Is(err, ErrNotRegistered) {
			t.Errorf("modify unknown fd: err = %v, want ErrNotRegistered", err)
		}
		if err := p.Unregister(other); !errors.Is(err, ErrNotRegistered) {
			t.Errorf("unregister unknown fd: err = %v, want ErrNotRegistered", err)
		}
		// The failed second registration left the first one alone.
		write(t, other, "x")
		if got := waitFor(t, p, a); got != READ {
			t.Errorf("events = %#x, want READ", got)
		}
	})
}

func TestPollerTimeout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fds := newFDSet(t)
		a, peer := fds.socketpair()
		p := newPoller(t, b)
		if err := p.Register(a, READ); err != nil {
			t.Fatal(err)
		}
		const timeout = 30 * time.Millisecond
		start := time.Now()
		got := wait(t, p, timeout)
		elapsed := time.Since(start)
		if len(got) != 0 {
			t.Fatalf("nothing ready, Wait reported %v", got)
		}
		// An early return is allowed only for EINTR; retrying covers that, so measure one
		// uninterrupted sleep: at least the timeout, give or take the clock's granularity.
		if elapsed < timeout-time.Millisecond {
			t.Logf("Wait(%v) returned after %v (interrupted?); retrying once", timeout, elapsed)
			start = time.Now()
			wait(t, p, timeout)
			if elapsed = time.Since(start); elapsed < timeout-time.Millisecond {
				t.Fatalf("Wait(%v) returned after %v", timeout, elapsed)
			}
		}
		// A negative timeout waits until something happens.
		wrote := make(chan error, 1)
		go func() {
			_, err := unix.Write(peer, []byte("x"))
			wrote <- err
		}()
		got = wait(t, p, -1)
		if err := <-wrote; err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 { // EINTR
			got = wait(t, p, watchdog)
		}
		if eventsOf(got, a) != READ {
			t.Fatalf("Wait(-1) = %v, want READ on fd %d", got, a)
		}
	})
}

func TestPollerHangup(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fds := newFDSet(t)
		p := newPoller(t, b)
		want := ERROR
		if !b.hangupIsError {
			want = READ // kqueue: readable, and the read returns EOF
		}

		r, w := fds.pipe()
		if err := p.Register(r, READ); err != nil {
			t.Fatal(err)
		}
		fds.close(w)
		if got := waitFor(t, p, r); got&want == 0 {
			t.Errorf("pipe writer closed: reader's events = %#x, want %#x", got, want)
		}

		a, peer := fds.socketpair()
		if err := p.Register(a, READ); err != nil {
			t.Fatal(err)
		}
		fds.close(peer)
		if got := waitFor(t, p, a); got&want == 0 {
			t.Errorf("socketpair peer closed: events = %#x, want %#x", got, want)
		}
	})
}

func TestPollerErrorWhenReaderGone(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fds := newFDSet(t)
		p := newPoller(t, b)
		r, w := fds.pipe()
		if err := p.Register(w, WRITE); err != nil {
			t.Fatal(err)
		}
		fds.close(r)
		if got := waitFor(t, p, w); got&ERROR == 0 {
			t.Fatalf("pipe reader closed: writer's events = %#x, want ERROR", got)
		}
	})
}

func TestPollerErrorOnReset(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fds := newFDSet(t)
		server, client := tcpPair(t, fds)
		p := newPoller(t, b)
		if err := p.Register(server, READ); err != nil {
			t.Fatal(err)
		}
		// SO_LINGER with a zero timeout turns close into a reset (RST) instead of a FIN.
		if err := unix.SetsockoptLinger(client, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}); err != nil {
			t.Fatal(err)
		}
		fds.close(client)
		if got := waitFor(t, p, server); got&ERROR == 0 {
			t.Fatalf("peer reset: events = %#x, want ERROR", got)
		}
	})
}

// tcpPair makes a loopback TCP connection and returns its two ends, non-blocking.
func tcpPair(t *testing.T, fds *fdSet) (server, client int) {
	t.Helper()
	ln, err := blocking.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fds.add(ln)
	sa, err := unix.Getsockname(ln)
	if err != nil {
		t.Fatal(err)
	}
	client, err = blocking.Socket(unix.AF_INET)
	if err != nil {
		t.Fatal(err)
	}
	fds.add(client)
	if err := unix.Connect(client, sa); err != nil {
		t.Fatal(err)
	}
	server, _, err = blocking.Accept(ln)
	if err != nil {
		t.Fatal(err)
	}
	fds.add(server)
	fds.nonblock(server, client)
	return server, client
}

func TestPollerManyReadyFitInAShortSlice(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fds := newFDSet(t)
		p := newPoller(t, b)
		ready := map[int]bool{}
		for i := range 40 {
			a, peer := fds.socketpair()
			if err := p.Register(a, READ); err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				write(t, peer, "x")
				ready[a] = true
			}
		}
		seen := map[int]bool{}
		events := make([]Event, 8)
		for range 10 {
			n, err := p.Wait(events, 0)
			if err != nil {
				t.Fatal(err)
			}
			inThisWait := map[int]bool{}
			for _, ev := range events[:n] {
				if !ready[ev.FD] || ev.Events != READ {
					t.Fatalf("unexpected event %+v", ev)
				}
				if inThisWait[ev.FD] {
					t.Fatalf("fd %d twice in one Wait", ev.FD)
				}
				inThisWait[ev.FD] = true
				seen[ev.FD] = true
			}
		}
		if len(seen) != len(ready) {
			t.Fatalf("10 Waits of 8 events saw %d of the %d ready fds: some were starved", len(seen), len(ready))
		}
	})
}

func TestPollerClose(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		p, err := b.new()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Wait(nil, 0); err == nil {
			t.Error("Wait with no room for events: want an error")
		}
		if err := p.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := p.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if _, err := p.Wait(make([]Event, 1), 0); err == nil {
			t.Error("Wait after Close: want an error")
		}
	})
}

func TestWaitMillis(t *testing.T) {
	for _, c := range []struct {
		in   time.Duration
		want int
	}{
		{-time.Second, -1},
		{0, 0},
		{time.Microsecond, 1}, // rounded up: never a busy loop before a timer is due
		{time.Millisecond, 1},
		{1500 * time.Microsecond, 2},
		{time.Duration(1<<63 - 1), 1<<31 - 1},
	} {
		if got := waitMillis(c.in); got != c.want {
			t.Errorf("waitMillis(%v) = %d, want %d", c.in, got, c.want)
		}
	}
}
