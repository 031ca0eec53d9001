// The writes: callbacks (zero bytes included, Tornado's test_write_zero_bytes), what Write
// copies, 8 MiB over TCP and over a unix socketpair, and a slow reader against
// MaxWriteBufferSize.

package tcpserver

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// Tornado's test_write_zero_bytes: writing nothing runs the callback (from the loop, not inside
// Write), and the stream, which waits for nothing, is never registered with the loop.
func TestIOStreamWriteZeroBytes(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs, p := newCountingLoop(t)
	s, _ := rawStreamPeer(t, l, logs)
	called, inWrite := false, false
	runScenario(t, l, func(done func()) {
		inWrite = true
		err := s.Write(nil, func() {
			if inWrite {
				t.Error("the write callback ran inside Write")
			}
			called = true
			done()
		})
		inWrite = false
		if err != nil {
			t.Errorf("Write(nil): %v", err)
		}
	})
	if !called {
		t.Error("callback not called")
	}
	if c := p.of(s.t.FD()); *c != (pollerCalls{}) {
		t.Errorf("monitor calls for the stream: %+v; a write that completes at once needs no loop", *c)
	}
}

// Each Write's callback runs once its bytes, and all before them, have gone: in order, and a
// zero-byte Write's after the bytes written before it.
func TestIOStreamWriteCallbacksInOrder(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		s, peer := rawStreamPeer(t, l, logs)
		big := streamPattern(4 << 20)
		received := make(chan []byte, 1)
		var order []string
		runScenario(t, l, func(done func()) {
			s.Write(big, func() { order = append(order, "big") })
			s.Write([]byte("x"), func() { order = append(order, "x") })
			s.Write(nil, func() { order = append(order, "empty"); s.Close(); done() })
			if s.out.Len() == 0 {
				t.Error("4 MiB fitted in the socket buffer: the test does not exercise buffered output")
			}
			go func() { data, _ := readToEOF(peer.fd); received <- data }()
		})
		if want := []string{"big", "x", "empty"}; !slices.Equal(order, want) {
			t.Errorf("callbacks ran in order %q, want %q", order, want)
		}
		if got := <-received; !bytes.Equal(got, append(big, 'x')) {
			t.Errorf("peer received %d bytes, not the %d written", len(got), len(big)+1)
		}
	})
}

// Write keeps no reference to its argument: what the kernel does not take at once is copied,
// so the caller may reuse its slice, and an echo may write the read callback's data back
// directly even when the peer is slow to read (the read buffer is reused meanwhile).
func TestIOStreamWriteCopiesWhatItMust(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		t.Run("reused slice", func(t *testing.T) {
			s, peer := rawStreamPeer(t, l, logs)
			data := streamPattern(4 << 20)
			want := bytes.Clone(data)
			received := make(chan []byte, 1)
			runScenario(t, l, func(done func()) {
				s.Write(data, func() { s.Close(); done() })
				clear(data)
				go func() { got, _ := readToEOF(peer.fd); received <- got }()
			})
			if got := <-received; !bytes.Equal(got, want) {
				t.Errorf("peer received %d bytes that differ from the %d written", len(got), len(want))
			}
		})
		t.Run("echo to a slow reader", func(t *testing.T) {
			s, peer := rawStreamPeer(t, l, logs)
			var sent bytes.Buffer
			for i := range 20000 {
				sent.Write(bytes.Repeat([]byte{'a' + byte(i%26)}, 1+i%100))
				sent.WriteByte('\n')
			}
			received := make(chan []byte, 1)
			go func() { // reads only once it has sent everything
				writeFull(peer.fd, sent.Bytes())
				peer.CloseWrite()
				got, _ := readToEOF(peer.fd)
				received <- got
			}()
			maxOwed := 0
			runScenario(t, l, func(done func()) {
				s.SetCloseCallback(done)
				var echo func([]byte)
				echo = func(line []byte) {
					s.Write(line, nil)
					maxOwed = max(maxOwed, s.out.Len())
					s.ReadUntil([]byte("\n"), echo)
				}
				s.ReadUntil([]byte("\n"), echo)
			})
			if got := <-received; !bytes.Equal(got, sent.Bytes()) {
				t.Errorf("echo of %d bytes: received %d, not the same bytes", sent.Len(), len(got))
			}
			if maxOwed == 0 {
				t.Error("the echo never had output waiting: the test did not exercise the copy")
			}
		})
	})
}

// 8 MiB written in one call arrive whole, over loopback TCP and over a unix socketpair: the
// stream sends what the kernel takes, keeps the rest, and sends it as the peer reads.
func TestIOStreamEightMiBWrite(t *testing.T) {
	data := streamPattern(8 << 20)
	check := func(t *testing.T, server, client *IOStream, done func()) {
		var got []byte
		client.ReadUntilClose(func([]byte) {
			if !bytes.Equal(got, data) {
				t.Errorf("received %d bytes, not the %d written", len(got), len(data))
			}
			done()
		}, func(chunk []byte) { got = append(got, chunk...) })
		if err := server.Write(data, server.Close); err != nil {
			t.Errorf("Write: %v", err)
		}
	}
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		t.Run("socketpair", func(t *testing.T) {
			server, client := streamPair(t, l, logs)
			runScenario(t, l, func(done func()) { check(t, server, client, done) })
		})
		t.Run("tcp", func(t *testing.T) {
			runScenario(t, l, func(done func()) {
				tcpPair(t, l, logs, func(server, client *IOStream) { check(t, server, client, done) })
			})
		})
	})
}

// A peer that does not read: the writer's buffered output stops at MaxWriteBufferSize, each
// Write beyond it fails with ErrWriteBufferFull without buffering anything or closing the
// stream; once the peer reads, the last accepted Write's callback runs and writing resumes.
func TestIOStreamSlowReaderHitsMaxWriteBufferSize(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		const limit = 1 << 20
		s, peer := rawStreamPeer(t, l, logs, WithMaxWriteBufferSize(limit))
		piece := streamPattern(64 << 10)
		var accepted bytes.Buffer
		received := make(chan []byte, 1)
		refused := 0
		runScenario(t, l, func(done func()) {
			for range 1000 {
				err := s.Write(piece, nil)
				if err != nil {
					if !errors.Is(err, ErrWriteBufferFull) {
						t.Errorf("Write: %v", err)
					}
					refused++
					break
				}
				accepted.Write(piece)
			}
			if refused == 0 || s.out.Len() > limit || s.Closed() {
				t.Errorf("after %d bytes: refused %d, %d owed (limit %d), closed %v", accepted.Len(), refused, s.out.Len(), limit, s.Closed())
			}
			before := s.out.Len()
			if err := s.Write(piece, nil); !errors.Is(err, ErrWriteBufferFull) || s.out.Len() != before {
				t.Errorf("a refused Write: %v, owed %d -> %d", err, before, s.out.Len())
			}
			s.Write(nil, func() { // runs once the peer has read what was accepted
				if err := s.Write([]byte("more"), nil); err != nil {
					t.Errorf("Write after the peer caught up: %v", err)
				}
				accepted.WriteString("more")
				s.Write(nil, func() { s.Close(); done() })
			})
			go func() { got, _ := readToEOF(peer.fd); received <- got }()
		})
		if got := <-received; !bytes.Equal(got, accepted.Bytes()) {
			t.Errorf("peer received %d bytes, want the %d accepted", len(got), accepted.Len())
		}
		t.Logf("accepted %d bytes before the first ErrWriteBufferFull (limit %d owed)", accepted.Len()-4, limit)
	})
}
