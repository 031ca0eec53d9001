// Level- versus edge-triggered epoll: the stalled reader.

package ioloop

import (
	"testing"

	"golang.org/x/sys/unix"
)

// A reader that takes only part of what arrived and waits again is woken again under
// level-triggered epoll (the data is still there) and never under edge-triggered epoll (nothing
// changed), until more data arrives. That is why an edge-triggered reader must read until EAGAIN.
func TestEpollEdgeVersusLevel(t *testing.T) {
	for _, edge := range []bool{false, true} {
		name := map[bool]string{false: "level", true: "edge"}[edge]
		t.Run(name, func(t *testing.T) {
			fds := newFDSet(t)
			a, peer := fds.socketpair()
			p, err := NewEpoll(edge)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			if err := p.Register(a, READ); err != nil {
				t.Fatal(err)
			}
			write(t, peer, "hello")
			if got := waitFor(t, p, a); got != READ {
				t.Fatalf("first wait: events = %#x, want READ", got)
			}
			one := make([]byte, 1) // a reader that reads too little
			if _, err := unix.Read(a, one); err != nil {
				t.Fatal(err)
			}

			// Four bytes are still unread. Wait(0) looks without sleeping, so the answer
			// is the kernel's, not a race with the clock.
			again := eventsOf(wait(t, p, 0), a)
			if !edge && again != READ {
				t.Fatalf("level-triggered: 4 bytes unread, events = %#x, want READ", again)
			}
			if edge && again != 0 {
				t.Fatalf("edge-triggered: nothing new arrived, events = %#x, want none (the stall)", again)
			}
			if edge {
				// New data is a new edge: the stalled reader wakes, and must now drain.
				write(t, peer, "!")
				if got := waitFor(t, p, a); got != READ {
					t.Fatalf("after new data: events = %#x, want READ", got)
				}
				if got := drain(t, a); got != "ello!" {
					t.Fatalf("drained %q, want %q", got, "ello!")
				}
			}
		})
	}
}

// A kernel error reads as the call, the fd and the kernel's reason, each once.
func TestEpollCtlErrorMessage(t *testing.T) {
	p, err := NewEpoll(false)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const notOpen = 999_999 // beyond any descriptor table this test runs with
	err = p.Register(notOpen, READ)
	if want := "epoll_ctl fd 999999: bad file descriptor"; err == nil || err.Error() != want {
		t.Errorf("Register(%d): err = %v, want %q", notOpen, err, want)
	}
}
