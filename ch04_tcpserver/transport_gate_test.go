// An OutputGate transport: output it holds but cannot send yet (TLS plaintext before the
// handshake's end) is owed, so the write callback waits for it, but does not make the stream
// watch WRITE, which a writable socket would report on every pass for nothing.

package tcpserver

import (
	"testing"

	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// gatedTLS holds what it is given until open is set.
type gatedTLS struct {
	*fakeTLS
	open bool
}

func (g *gatedTLS) Sendable() int {
	if !g.open {
		return 0
	}
	return len(g.held)
}

func (g *gatedTLS) Flush() error {
	if !g.open {
		return nil
	}
	return g.fakeTLS.Flush()
}

func TestIOStreamOutputGate(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs, _ := newCountingLoop(t)
	a, b := streamSocketpair(t)
	peer := &peerFD{fd: b}
	defer peer.Close()
	g := &gatedTLS{fakeTLS: &fakeTLS{SocketTransport: mustTransport(t, a).(*SocketTransport), perFlush: 1 << 10}}
	s := NewIOStream(l, g, WithStreamLogger(logs.Logger()))
	defer s.Close()
	called := false
	runScenario(t, l, func(done func()) {
		s.Write([]byte("greeting\n"), func() { called = true; done() })
		if s.events&ioloop.WRITE != 0 || s.Unsent() != len("greeting\n") || called {
			t.Errorf("gated: watching %#x, unsent %d, callback run %v; want no WRITE, all unsent, not yet",
				s.events, s.Unsent(), called)
		}
		g.open = true     // the handshake has ended
		s.Write(nil, nil) // the stream asks the transport again at its next call
		if s.events&ioloop.WRITE == 0 && s.Unsent() > 0 {
			t.Errorf("open: watching %#x with %d unsent; want WRITE", s.events, s.Unsent())
		}
	})
	if !called {
		t.Error("the write callback never ran")
	}
	got := make([]byte, 9)
	if _, err := readFull(peer.fd, got); err != nil || string(got) != "greeting\n" {
		t.Errorf("peer read %q, %v", got, err)
	}
}
