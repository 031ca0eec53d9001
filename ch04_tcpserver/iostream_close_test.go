// The end of a stream, after tornado/test/iostream_test.py (3.2): the close callback after the
// buffered data, data still in the kernel after the peer closed, a pending read at close, a
// panicking callback, quiet resets, logged errors, a refused connection; and the half-close
// that Tornado 3.2 did not have.

package tcpserver

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// Tornado's test_delayed_close_callback: the peer closes while input is buffered. The reads the
// buffer satisfies complete first; the close callback runs after them, once a read asks past
// the end.
func TestIOStreamDelayedCloseCallback(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		server, client := streamPair(t, l, logs)
		var events []string
		runScenario(t, l, func(done func()) {
			client.SetCloseCallback(func() { events = append(events, "close"); done() })
			server.Write([]byte("12"), nil)
			client.ReadBytes(1, func(data []byte) {
				events = append(events, string(data))
				client.ReadBytes(1, func(data []byte) {
					events = append(events, string(data))
					client.ReadBytes(1, func([]byte) { t.Error("a read past the end completed") }, nil)
				}, nil)
				server.Close()
			}, nil)
		})
		if want := []string{"1", "2", "close"}; !slices.Equal(events, want) {
			t.Errorf("events %q, want %q", events, want)
		}
		if client.Error() != nil {
			t.Errorf("Error %v after a clean end, want nil", client.Error())
		}
	})
}

// Tornado's test_close_buffered_data: input still in the kernel's buffer when the peer closes
// is read and delivered (a chunk of 256 bytes leaves half of it there).
func TestIOStreamCloseBufferedData(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		server, client := streamPair(t, l, logs, WithReadChunkSize(256))
		var first, second []byte
		runScenario(t, l, func(done func()) {
			server.Write(bytes.Repeat([]byte("A"), 512), nil)
			client.ReadBytes(256, func(data []byte) {
				first = bytes.Clone(data)
				server.Close()
				l.AddCallback(func() { // a pass later, when the close has surely reached the client
					client.ReadBytes(256, func(data []byte) { second = bytes.Clone(data); done() }, nil)
				})
			}, nil)
		})
		if !bytes.Equal(first, bytes.Repeat([]byte("A"), 256)) || !bytes.Equal(second, first) {
			t.Errorf("reads of %d and %d bytes, want 256 A's each", len(first), len(second))
		}
	})
}

// Tornado's test_close_callback_with_pending_read: a read pending when the peer closes is
// dropped, and the close callback runs.
func TestIOStreamCloseCallbackWithPendingRead(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		server, client := streamPair(t, l, logs)
		var line string
		runScenario(t, l, func(done func()) {
			client.SetCloseCallback(done)
			server.Write([]byte("OK\r\n"), nil)
			client.ReadUntil([]byte("\r\n"), func(data []byte) {
				line = string(data)
				server.Close()
				client.ReadUntil([]byte("\r\n"), func([]byte) { t.Error("read past the end completed") })
			})
		})
		if line != "OK\r\n" || !client.Closed() {
			t.Errorf("line %q, closed %v", line, client.Closed())
		}
	})
}

// Close from outside a callback closes at once; the close callback runs afterwards, from the
// loop, once.
func TestIOStreamCloseCallbackRunsFromTheLoop(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, _ := rawStreamPeer(t, l, logs)
	calls, inClose := 0, false
	runScenario(t, l, func(done func()) {
		s.SetCloseCallback(func() {
			if inClose {
				t.Error("close callback ran inside Close")
			}
			calls++
			l.AddCallback(done)
		})
		inClose = true
		s.Close()
		s.Close()
		inClose = false
		if !s.Closed() {
			t.Error("not closed after Close")
		}
	})
	if calls != 1 {
		t.Errorf("close callback ran %d times, want 1", calls)
	}
}

var errBoom = errors.New("boom")

// Tornado's test_read_callback_error: a callback that panics (here a read, a streaming and a
// write callback) closes its stream with Error wrapping the panic, is logged with its stack,
// and the close callback still runs; the loop and another stream on it go on.
func TestIOStreamCallbackPanicClosesStream(t *testing.T) {
	cases := map[string]func(s *IOStream){
		"read":      func(s *IOStream) { s.ReadBytes(1, func([]byte) { panic(errBoom) }, nil) },
		"streaming": func(s *IOStream) { s.ReadBytes(2, nil, func([]byte) { panic(errBoom) }) },
		"write":     func(s *IOStream) { s.Write([]byte("x"), func() { panic(errBoom) }) },
	}
	for name, start := range cases {
		t.Run(name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			l, logs := newStreamLoop(t)
			server, client := streamPair(t, l, logs)
			other, otherPeer := streamPair(t, l, logs)
			var echoed string
			runScenario(t, l, func(done func()) {
				server.SetCloseCallback(func() {
					// The loop lives on: another stream still works.
					other.ReadUntil([]byte("\n"), func(data []byte) { echoed = string(data); done() })
					otherPeer.Write([]byte("still here\n"), nil)
				})
				start(server)
				client.Write([]byte("1"), nil)
			})
			if !errors.Is(server.Error(), ErrCallbackPanicked) || !errors.Is(server.Error(), errBoom) {
				t.Errorf("Error %v, want ErrCallbackPanicked wrapping the panic", server.Error())
			}
			if !strings.Contains(logs.String(), "panic in stream callback") || !strings.Contains(logs.String(), "iostream_close_test.go") {
				t.Errorf("the panic was not logged with its stack:\n%s", logs.String())
			}
			if echoed != "still here\n" {
				t.Errorf("the other stream read %q after the panic", echoed)
			}
		})
	}
}

// A peer that resets the connection (TCP RST: ECONNRESET on read) or is gone when we write
// (EPIPE) closes the stream quietly: Error says why, nothing is logged.
func TestIOStreamPeerGoneIsQuiet(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		t.Run("reset", func(t *testing.T) {
			var server *IOStream
			runScenario(t, l, func(done func()) {
				tcpPair(t, l, logs, func(srv, client *IOStream) {
					server = srv
					server.SetCloseCallback(done)
					server.ReadUntil([]byte("\n"), func([]byte) { t.Error("read completed") })
					// SO_LINGER with a zero timeout makes close send RST instead of FIN.
					unix.SetsockoptLinger(client.t.FD(), unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
					client.Close()
				})
			})
			if !errors.Is(server.Error(), unix.ECONNRESET) {
				t.Errorf("Error %v, want ECONNRESET", server.Error())
			}
		})
		t.Run("broken pipe", func(t *testing.T) {
			s, peer := rawStreamPeer(t, l, logs)
			peer.Close()
			runScenario(t, l, func(done func()) {
				s.SetCloseCallback(done)
				if err := s.Write([]byte("anyone?"), nil); err != nil {
					t.Errorf("Write: %v, want nil (the failure closes the stream)", err)
				}
			})
			if !errors.Is(s.Error(), unix.EPIPE) && !errors.Is(s.Error(), unix.ECONNRESET) {
				t.Errorf("Error %v, want EPIPE", s.Error())
			}
		})
		assertNoLog(t, logs, "stream error")
	})
}

// failingTransport is a socket whose Read fails with err, as if the descriptor broke.
type failingTransport struct {
	*SocketTransport
	err error
}

func (f failingTransport) Read([]byte) (int, error) { return 0, f.err }

// Tornado's test_async_read_error_logging: an error that is not the peer's doing is logged
// once, and closes the stream with it.
func TestIOStreamReadErrorIsLogged(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	tr, peer := transportPeer(t)
	s := NewIOStream(l, failingTransport{tr, unix.EIO}, WithStreamLogger(logs.Logger()))
	writeFull(peer.fd, []byte("x"))
	runScenario(t, l, func(done func()) {
		s.SetCloseCallback(done)
		s.ReadBytes(1, func([]byte) { t.Error("read completed") }, nil)
	})
	if !errors.Is(s.Error(), unix.EIO) {
		t.Errorf("Error %v, want EIO", s.Error())
	}
	if n := strings.Count(logs.String(), "stream error"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs.String())
	}
}

// Tornado's test_connection_refused: nothing listens, so Connect's callback gets
// ECONNREFUSED, no stream, and no descriptor is left open.
func TestIOStreamConnectionRefused(t *testing.T) {
	testutil.CheckLeaks(t)
	l, _ := newStreamLoop(t)
	addr := unusedPort(t)
	var got error
	called := false
	runScenario(t, l, func(done func()) {
		if err := Connect(l, addr, func(s *IOStream, err error) {
			called, got = true, err
			if s != nil {
				t.Error("a stream on a refused connection")
				s.Close()
			}
			done()
		}); err != nil {
			t.Errorf("Connect: %v", err)
			done()
		}
		if called {
			t.Error("Connect's callback ran inside Connect")
		}
	})
	if !errors.Is(got, unix.ECONNREFUSED) {
		t.Errorf("error %v, want ECONNREFUSED", got)
	}
}

// unusedPort is a loopback address where nothing listens: a port the kernel handed out and
// that was closed again.
func unusedPort(t *testing.T) string {
	t.Helper()
	l, logs := newStreamLoop(t)
	var addr string
	runScenario(t, l, func(done func()) {
		tcpPair(t, l, logs, func(server, client *IOStream) {
			a, err := blocking.LocalAddr(server.t.FD())
			if err != nil {
				t.Error(err)
			}
			addr = a
			server.Close()
			client.Close()
			done()
		})
	})
	return addr
}

// Half-close, which Tornado 3.2 did not handle: a client that sends its lines and shuts down
// its side still gets every answer. The complete lines are delivered, the output owed (a slow
// reader: several MiB of it) is all sent, the partial line at the end is dropped, and only
// then does the stream close.
func TestIOStreamHalfClose(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		s, peer := rawStreamPeer(t, l, logs)
		var sent bytes.Buffer
		for i := range 40000 {
			sent.Write(bytes.Repeat([]byte{'a' + byte(i%26)}, 1+i%200))
			sent.WriteByte('\n')
		}
		want := bytes.Clone(sent.Bytes())
		sent.WriteString("partial line, never finished")
		received := make(chan []byte, 1)
		go func() {
			writeFull(peer.fd, sent.Bytes())
			peer.CloseWrite()
			got, _ := readToEOF(peer.fd)
			received <- got
		}()
		sentAfterEOF := 0 // lines whose bytes went out only after EOF was seen
		countIfAfterEOF := func() {
			if s.eof {
				sentAfterEOF++
			}
		}
		runScenario(t, l, func(done func()) {
			s.SetCloseCallback(done)
			var echo func([]byte)
			echo = func(line []byte) {
				s.Write(line, countIfAfterEOF)
				if err := s.ReadUntil([]byte("\n"), echo); err != nil {
					t.Errorf("ReadUntil: %v", err)
				}
			}
			s.ReadUntil([]byte("\n"), echo)
		})
		if got := <-received; !bytes.Equal(got, want) {
			t.Errorf("after half-closing, the client received %d bytes, want the %d it sent in complete lines", len(got), len(want))
		}
		if s.Error() != nil {
			t.Errorf("Error %v, want nil", s.Error())
		}
		if sentAfterEOF == 0 {
			t.Error("no output was owed when EOF came: the test did not exercise the flush after EOF")
		}
		t.Logf("%d echoed lines were still owed when EOF came", sentAfterEOF)
	})
}

// The answer an application prepares on the loop's next pass, after the last request came with
// EOF, still goes out: the read that delivered the request stopped short of the EOF, and the
// stream closes only once the application reads past the end after answering.
func TestIOStreamHalfCloseLaterAnswer(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer := rawStreamPeer(t, l, logs)
	writeFull(peer.fd, []byte("question\n"))
	peer.CloseWrite()
	runScenario(t, l, func(done func()) {
		s.SetCloseCallback(done)
		s.ReadUntil([]byte("\n"), func([]byte) {
			l.AddCallback(func() {
				if err := s.Write([]byte("answer\n"), nil); err != nil {
					t.Errorf("Write after EOF: %v", err)
				}
				s.ReadUntil([]byte("\n"), func([]byte) { t.Error("read past the end completed") })
			})
		})
	})
	if got, _ := readToEOF(peer.fd); string(got) != "answer\n" {
		t.Errorf("client received %q, want the answer", got)
	}
}

// CloseWrite: the peer reads EOF after everything written, and the stream still reads what the
// peer sends.

func TestIOStreamCloseWrite(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer := rawStreamPeer(t, l, logs)
	var got []byte
	runScenario(t, l, func(done func()) {
		err := s.Write([]byte("answer\n"), func() {
			if err := s.CloseWrite(); err != nil {
				t.Errorf("CloseWrite after the last write: %v", err)
			}
			s.ReadUntilClose(func(data []byte) {
				got = append(got, data...)
				done()
			}, nil)
			go func() {
				// The peer reads the answer and then EOF, and can still send.
				if out, err := readToEOF(peer.fd); string(out) != "answer\n" || err != nil {
					t.Errorf("peer read %q, %v; want the answer, then EOF", out, err)
				}
				if err := writeFull(peer.fd, []byte("more")); err != nil {
					t.Errorf("peer write after the half-close: %v", err)
				}
				peer.CloseWrite()
			}()
		})
		if err != nil {
			t.Errorf("Write: %v", err)
		}
	})
	if string(got) != "more" {
		t.Errorf("the stream read %q after its half-close, want %q", got, "more")
	}
}

func TestIOStreamCloseWriteRefusals(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, _ := rawStreamPeer(t, l, logs)
	s.Close()
	if err := s.CloseWrite(); !errors.Is(err, ErrStreamClosed) {
		t.Errorf("CloseWrite on a closed stream = %v, want ErrStreamClosed", err)
	}

	a, b := streamSocketpair(t)
	defer unix.Close(b)
	noHalf := NewIOStream(l, onlyTransport{mustTransport(t, a)})
	defer noHalf.Close()
	if err := noHalf.CloseWrite(); !errors.Is(err, ErrNoHalfClose) {
		t.Errorf("CloseWrite on a transport without it = %v, want ErrNoHalfClose", err)
	}
}

// onlyTransport hides every method of a transport beyond the four of the interface.
type onlyTransport struct{ Transport }

func mustTransport(t *testing.T, fd int) Transport {
	t.Helper()
	tr, err := NewSocketTransport(fd)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// Without a close callback an idle stream does not watch its peer, so an answer prepared much
// later (many passes of the loop after the request and its EOF) still goes out; the stream
// learns of the end when the application reads again. With a close callback the same stream
// would have noticed the end and closed (TestIOStreamIdlePeerLeaves).
func TestIOStreamHalfCloseMuchLaterAnswer(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer := rawStreamPeer(t, l, logs)
	writeFull(peer.fd, []byte("question\n"))
	peer.CloseWrite()
	runScenario(t, l, func(done func()) {
		s.ReadUntil([]byte("\n"), func([]byte) {
			afterPasses(l, 20, func() {
				if err := s.Write([]byte("answer\n"), nil); err != nil {
					t.Errorf("Write after EOF: %v", err)
				}
				s.SetCloseCallback(done)
				s.ReadUntil([]byte("\n"), func([]byte) { t.Error("read past the end completed") })
			})
		})
	})
	if got, _ := readToEOF(peer.fd); string(got) != "answer\n" {
		t.Errorf("client received %q, want the answer", got)
	}
}
