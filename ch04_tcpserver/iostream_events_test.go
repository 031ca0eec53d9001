// What the loop watches for a stream, and what the stream does when the loop calls: nothing
// watched until the stream waits for something, then only changed when what it waits for
// changes (Tornado's _add_io_state and its lazy registration); an idle stream with a close
// callback that notices its peer leaving (Tornado's _maybe_add_error_listener) without waking
// the loop for input nobody asked for.

package tcpserver

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// countingPoller counts what the loop asks of its monitor, and how often the monitor reports
// each descriptor ready, per descriptor: for the tests of registration and of an idle stream.
type countingPoller struct {
	ioloop.Poller
	calls map[int]*pollerCalls
	ready map[int]int
}

type pollerCalls struct{ registers, modifies, unregisters int }

func (p *countingPoller) of(fd int) *pollerCalls {
	if p.calls[fd] == nil {
		p.calls[fd] = &pollerCalls{}
	}
	return p.calls[fd]
}

func (p *countingPoller) Register(fd int, events uint32) error {
	p.of(fd).registers++
	return p.Poller.Register(fd, events)
}

func (p *countingPoller) Modify(fd int, events uint32) error {
	p.of(fd).modifies++
	return p.Poller.Modify(fd, events)
}

func (p *countingPoller) Unregister(fd int) error {
	p.of(fd).unregisters++
	return p.Poller.Unregister(fd)
}

func (p *countingPoller) Wait(events []ioloop.Event, timeout time.Duration) (int, error) {
	n, err := p.Poller.Wait(events, timeout)
	for _, ev := range events[:n] {
		p.ready[ev.FD]++
	}
	return n, err
}

// newCountingLoop is a loop on poll(2) that counts its monitor's calls.
func newCountingLoop(t *testing.T) (*ioloop.IOLoop, *testutil.LogBuffer, *countingPoller) {
	t.Helper()
	p := &countingPoller{Poller: ioloop.NewPoll(), calls: make(map[int]*pollerCalls), ready: make(map[int]int)}
	l, logs := newStreamLoop(t, ioloop.WithPoller(p))
	return l, logs, p
}

// An echo stream is registered at its first read and never modified while it echoes; a write
// the kernel cannot take at once adds WRITE; a stream that then waits for nothing is
// unregistered.
func TestIOStreamRegistersOnlyWhenNeeded(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs, p := newCountingLoop(t)
	s, peer := rawStreamPeer(t, l, logs)
	const pings = 100
	big := streamPattern(4 << 20)
	received := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 64)
		for i := range pings {
			line := []byte{'a' + byte(i%26), '\n'}
			writeFull(peer.fd, line)
			if n, err := readFull(peer.fd, buf[:2]); n != 2 || err != nil || !bytes.Equal(buf[:2], line) {
				t.Errorf("ping %d: echo %q, %v", i, buf[:n], err)
				return
			}
		}
		got, _ := readToEOF(peer.fd)
		received <- got
	}()
	var afterPings, afterWrite pollerCalls
	runScenario(t, l, func(done func()) {
		if c := p.of(s.t.FD()); *c != (pollerCalls{}) {
			t.Errorf("a new stream: monitor calls %+v, want none", *c)
		}
		n := 0
		var echo func([]byte)
		echo = func(line []byte) {
			s.Write(line, nil)
			if n++; n < pings {
				s.ReadUntil([]byte("\n"), echo)
				return
			}
			afterPings = *p.of(s.t.FD())
			s.Write(big, func() {
				l.AddCallback(func() { // after the stream has updated what it waits for
					afterWrite = *p.of(s.t.FD())
					s.Close()
					done()
				})
			})
		}
		s.ReadUntil([]byte("\n"), echo)
	})
	if want := (pollerCalls{registers: 1}); afterPings != want {
		t.Errorf("after %d echoes: monitor calls %+v, want %+v", pings, afterPings, want)
	}
	// READ -> WRITE when the last echo stops reading and owes 4 MiB; nothing when it is sent.
	if want := (pollerCalls{registers: 1, modifies: 1, unregisters: 1}); afterWrite != want {
		t.Errorf("after the large write: monitor calls %+v, want %+v", afterWrite, want)
	}
	if got := <-received; !bytes.Equal(got, big) {
		t.Errorf("peer received %d bytes after the pings, want %d", len(got), len(big))
	}
}

// afterPasses runs fn on the loop n passes from now, so that whatever was due runs first.
func afterPasses(l *ioloop.IOLoop, n int, fn func()) {
	if n == 0 {
		fn()
		return
	}
	l.AddCallback(func() { afterPasses(l, n-1, fn) })
}

// resetOnClose makes the next close of fd send a TCP reset instead of a FIN: SO_LINGER with a
// zero timeout.
func resetOnClose(t *testing.T, fd int) {
	t.Helper()
	if err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}); err != nil {
		t.Fatal(err)
	}
}

// Tornado's long-poll case: a stream with a close callback and nothing pending (no read, no
// output) notices that its peer closed, or reset the connection, and runs the callback once.
func TestIOStreamIdlePeerLeaves(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		t.Run("close", func(t *testing.T) {
			s, peer := rawStreamPeer(t, l, logs)
			calls := 0
			runScenario(t, l, func(done func()) {
				s.SetCloseCallback(func() { calls++; afterPasses(l, 3, done) })
				peer.Close()
			})
			if calls != 1 || !s.Closed() || s.Error() != nil {
				t.Errorf("close callback ran %d times, closed %v, Error %v; want once, closed, nil", calls, s.Closed(), s.Error())
			}
		})
		t.Run("reset", func(t *testing.T) {
			var server *IOStream
			calls := 0
			runScenario(t, l, func(done func()) {
				tcpPair(t, l, logs, func(srv, client *IOStream) {
					server = srv
					server.SetCloseCallback(func() { calls++; afterPasses(l, 3, done) })
					resetOnClose(t, client.t.FD())
					client.Close()
				})
			})
			if calls != 1 || !errors.Is(server.Error(), unix.ECONNRESET) {
				t.Errorf("close callback ran %d times, Error %v; want once, ECONNRESET", calls, server.Error())
			}
		})
		assertNoLog(t, logs, "stream error")
	})
}

// The same with output pending that the peer will never read: the peer closes (or resets)
// without reading, the stream's send fails quietly, the close callback runs once and the
// write callback never does.
func TestIOStreamPeerLeavesWithWritePending(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		check := func(t *testing.T, s *IOStream, calls int, wrote bool) {
			t.Helper()
			if calls != 1 || wrote {
				t.Errorf("close callback ran %d times, write callback ran %v; want once and never", calls, wrote)
			}
			if err := s.Error(); !errors.Is(err, unix.EPIPE) && !errors.Is(err, unix.ECONNRESET) {
				t.Errorf("Error %v, want EPIPE or ECONNRESET", err)
			}
		}
		t.Run("close", func(t *testing.T) {
			s, peer := rawStreamPeer(t, l, logs)
			calls, wrote := 0, false
			runScenario(t, l, func(done func()) {
				s.SetCloseCallback(func() { calls++; afterPasses(l, 3, done) })
				s.Write(streamPattern(4<<20), func() { wrote = true })
				if s.out.Len() == 0 {
					t.Error("4 MiB fitted in the socket buffer: no output is pending")
				}
				peer.Close()
			})
			check(t, s, calls, wrote)
		})
		t.Run("reset", func(t *testing.T) {
			var server *IOStream
			calls, wrote := 0, false
			runScenario(t, l, func(done func()) {
				tcpPair(t, l, logs, func(srv, client *IOStream) {
					server = srv
					server.SetCloseCallback(func() { calls++; afterPasses(l, 3, done) })
					server.Write(streamPattern(8<<20), func() { wrote = true })
					resetOnClose(t, client.t.FD())
					client.Close()
				})
			})
			check(t, server, calls, wrote)
		})
		assertNoLog(t, logs, "stream error")
	})
}

// A read started after an idle stream's peer has gone: once the close was noticed, the read is
// ErrStreamClosed; before (the end is already in the kernel when the read starts), the read is
// dropped at the end; with complete lines sent before the end, they are all read first. Each
// time the close callback runs once.
func TestIOStreamReadAfterIdlePeerLeft(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		t.Run("after the close was noticed", func(t *testing.T) {
			s, peer := rawStreamPeer(t, l, logs)
			calls := 0
			var readErr error
			runScenario(t, l, func(done func()) {
				s.SetCloseCallback(func() {
					calls++
					readErr = s.ReadUntil(newline, func([]byte) { t.Error("a read completed after the end") })
					afterPasses(l, 3, done)
				})
				peer.Close()
			})
			if calls != 1 || !errors.Is(readErr, ErrStreamClosed) {
				t.Errorf("close callback ran %d times, the read returned %v; want once, ErrStreamClosed", calls, readErr)
			}
		})
		t.Run("racing with it", func(t *testing.T) {
			s, peer := rawStreamPeer(t, l, logs)
			peer.Close()
			calls := 0
			runScenario(t, l, func(done func()) {
				s.SetCloseCallback(func() { calls++; afterPasses(l, 3, done) })
				if err := s.ReadUntil(newline, func([]byte) { t.Error("a read completed after the end") }); err != nil {
					t.Errorf("ReadUntil before the end was noticed: %v", err)
				}
			})
			if calls != 1 || s.Error() != nil {
				t.Errorf("close callback ran %d times, Error %v; want once, nil", calls, s.Error())
			}
		})
		t.Run("lines before the end", func(t *testing.T) {
			s, peer := rawStreamPeer(t, l, logs)
			writeFull(peer.fd, []byte("one\ntwo\n"))
			peer.Close()
			calls := 0
			var lines []string
			runScenario(t, l, func(done func()) {
				s.SetCloseCallback(func() { calls++; afterPasses(l, 3, done) })
				afterPasses(l, 5, func() { // the stream has read ahead and stopped watching
					var next func([]byte)
					next = func(line []byte) {
						lines = append(lines, string(line))
						s.ReadUntil(newline, next)
					}
					s.ReadUntil(newline, next)
				})
			})
			if want := []string{"one\n", "two\n"}; calls != 1 || !slices.Equal(lines, want) {
				t.Errorf("lines %q, close callback %d times; want %q, once", lines, calls, want)
			}
		})
	})
}

// An idle stream whose peer sends what nobody has asked for yet: the stream reads one chunk
// ahead and stops watching, so the loop, level-triggered, does not report the descriptor on
// every pass; the rest waits in the kernel, and a later read gets all of it, in order.
func TestIOStreamIdleInputDoesNotSpin(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs, p := newCountingLoop(t)
	tr, peer := transportPeer(t)
	reads := 0
	const chunk = 1024
	s := NewIOStream(l, countingTransport{tr, &reads}, WithReadChunkSize(chunk), WithStreamLogger(logs.Logger()))
	defer s.Close()
	data := streamPattern(10 * chunk)
	if err := writeFull(peer.fd, data); err != nil {
		t.Fatal(err)
	}
	const passes = 200
	var got []byte
	readsIdle, readyIdle, heldIdle := 0, 0, 0
	runScenario(t, l, func(done func()) {
		s.SetCloseCallback(func() {})
		afterPasses(l, passes, func() {
			readsIdle, readyIdle, heldIdle = reads, p.ready[tr.FD()], s.unread()
			s.ReadBytes(len(data), func(d []byte) { got = bytes.Clone(d); done() }, nil)
		})
	})
	if readsIdle != 1 || readyIdle != 1 || heldIdle != chunk {
		t.Errorf("over %d idle passes: %d reads, reported ready %d times, %d bytes read ahead; want 1, 1, %d",
			passes, readsIdle, readyIdle, heldIdle, chunk)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("the read got %d bytes, not the %d sent in order", len(got), len(data))
	}
}

// A peer that half-closes while an answer is still on its way (no read pending, output owed):
// the stream notices the end, sends all it owes, runs the write callback, and closes cleanly
// once the application reads past the end, as an echo server does from its write callback.
func TestIOStreamHalfCloseWhileWritePending(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		s, peer := rawStreamPeer(t, l, logs)
		answer := streamPattern(4 << 20)
		received := make(chan []byte, 1)
		endSeenWhileWriting := false
		runScenario(t, l, func(done func()) {
			s.SetCloseCallback(done)
			s.Write(answer, func() {
				endSeenWhileWriting = s.eof
				s.ReadUntil(newline, func([]byte) { t.Error("a read completed after the end") })
			})
			if s.out.Len() == 0 {
				t.Error("4 MiB fitted in the socket buffer: no output is pending")
			}
			peer.CloseWrite()
			afterPasses(l, 3, func() { // the stream has seen the end by now
				go func() { got, _ := readToEOF(peer.fd); received <- got }()
			})
		})
		if got := <-received; !bytes.Equal(got, answer) {
			t.Errorf("the peer received %d bytes, want the %d written", len(got), len(answer))
		}
		if s.Error() != nil || !endSeenWhileWriting {
			t.Errorf("Error %v, end seen while writing %v; want nil, true", s.Error(), endSeenWhileWriting)
		}
	})
}
