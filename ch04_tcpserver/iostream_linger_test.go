// LingeringClose: the output goes, then EOF, and what the peer still sends is drained within
// bounds of time and bytes before the stream closes; the application hears nothing more but
// its close callback.

package tcpserver

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// forever is a linger bound a test never reaches: had the stream waited for it, the scenario
// would have timed out instead.
const forever = time.Hour

// The peer is still sending when the stream ends. It reads every byte of the output (more than
// the socket buffers hold, so some is still in the stream at the call), then EOF, and what it
// sends afterwards is taken and dropped; its EOF closes the stream, with no error. The pending
// read and the write callback never run, the close callback runs once, and Write and the reads
// are refused from the call on.
func TestIOStreamLingeringClose(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		s, peer := rawStreamPeer(t, l, logs, WithLinger(forever, 0))
		out := streamPattern(4 << 20)
		calls := 0
		runScenario(t, l, func(done func()) {
			s.SetCloseCallback(func() { calls++; l.AddCallback(done) })
			s.ReadUntil([]byte("\n"), func([]byte) { t.Error("the pending read completed") })
			s.Write(out, func() { t.Error("a write callback ran after LingeringClose") })
			s.LingeringClose()
			s.LingeringClose()
			if err := s.Write([]byte("late"), nil); !errors.Is(err, ErrStreamClosed) {
				t.Errorf("Write after LingeringClose = %v, want ErrStreamClosed", err)
			}
			if err := s.ReadBytes(1, func([]byte) {}, nil); !errors.Is(err, ErrStreamClosed) {
				t.Errorf("ReadBytes after LingeringClose = %v, want ErrStreamClosed", err)
			}
			if s.Closed() {
				t.Error("closed before the output has gone")
			}
			go func() {
				if err := writeFull(peer.fd, []byte("sent before the answer was read\n")); err != nil {
					t.Errorf("peer write before reading: %v", err)
				}
				got, err := readToEOF(peer.fd)
				if err != nil || !bytes.Equal(got, out) {
					t.Errorf("peer read %d bytes, %v; want the %d bytes written, then EOF", len(got), err, len(out))
				}
				if err := writeFull(peer.fd, bytes.Repeat([]byte("after EOF "), 1000)); err != nil {
					t.Errorf("peer write after EOF: %v; the stream must drain it", err)
				}
				peer.CloseWrite()
			}()
		})
		if calls != 1 || !s.Closed() || s.Error() != nil {
			t.Errorf("close callback ran %d times, closed %v, Error %v; want once, true, nil", calls, s.Closed(), s.Error())
		}
		assertNoLog(t, logs, "level=WARN", "level=ERROR")
	})
}

// A peer that neither closes nor stops sending is not waited for: the stream closes after the
// time bound, or once the peer has sent more than the byte bound.
func TestIOStreamLingeringCloseBounds(t *testing.T) {
	cases := []struct {
		name   string
		opt    StreamOption
		flood  bool
		within time.Duration
	}{
		{"time", WithLinger(50*time.Millisecond, 0), false, scenarioTimeout},
		{"bytes", WithLinger(forever, 64<<10), true, scenarioTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			l, logs := newStreamLoop(t)
			s, peer := rawStreamPeer(t, l, logs, tc.opt)
			flooded := make(chan error, 1)
			runScenario(t, l, func(done func()) {
				s.SetCloseCallback(done)
				s.Write([]byte("the last answer\n"), nil)
				s.LingeringClose()
				go func() {
					if got, err := readToEOF(peer.fd); string(got) != "the last answer\n" || err != nil {
						t.Errorf("peer read %q, %v; want the answer, then EOF", got, err)
					}
					if !tc.flood {
						flooded <- nil
						return
					}
					chunk := make([]byte, 16<<10)
					var err error
					for err == nil {
						err = writeFull(peer.fd, chunk)
					}
					flooded <- err
				}()
			})
			if err := <-flooded; tc.flood && !errors.Is(err, unix.EPIPE) && !errors.Is(err, unix.ECONNRESET) {
				t.Errorf("the flood ended with %v, want a broken pipe or a reset", err)
			}
			if s.Error() != nil {
				t.Errorf("Error %v, want nil: the server chose to end", s.Error())
			}
		})
	}
}

// A peer that has half-closed already has nothing more to send: the stream closes as soon as the
// output has gone, without a half-close or a wait. So does a stream whose transport cannot
// half-close. Close during the drain closes at once.
func TestIOStreamLingeringCloseEndsEarly(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)

	afterEOF, peer := rawStreamPeer(t, l, logs, WithLinger(forever, 0))
	peer.CloseWrite()
	runScenario(t, l, func(done func()) {
		afterEOF.SetCloseCallback(done)
		afterEOF.ReadUntilClose(func([]byte) {
			afterEOF.Write([]byte("owed\n"), nil)
			afterEOF.LingeringClose()
		}, nil)
	})
	if got, err := readToEOF(peer.fd); string(got) != "owed\n" || err != nil {
		t.Errorf("after its EOF the peer read %q, %v; want what was owed, then EOF", got, err)
	}

	a, b := streamSocketpair(t)
	defer unix.Close(b)
	noHalf := NewIOStream(l, onlyTransport{mustTransport(t, a)}, WithLinger(forever, 0))
	runScenario(t, l, func(done func()) {
		noHalf.SetCloseCallback(done)
		noHalf.Write([]byte("owed\n"), nil)
		noHalf.LingeringClose()
	})
	if got, err := readToEOF(b); string(got) != "owed\n" || err != nil {
		t.Errorf("the peer of a stream that cannot half-close read %q, %v", got, err)
	}

	draining, peer := rawStreamPeer(t, l, logs, WithLinger(forever, 0))
	runScenario(t, l, func(done func()) {
		draining.SetCloseCallback(done)
		draining.LingeringClose()
		go func() {
			readToEOF(peer.fd) // the half-close has happened: the stream is draining
			l.AddCallback(draining.Close)
		}()
	})
}
