// Test helpers for the stream: loops on each monitor, stream pairs on socketpairs and on
// loopback TCP, a scenario runner with a deadline, and a log that can be searched.

package tcpserver

import (
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	nonblocking "tornadotcp/ch02_nonblocking"
	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// scenarioTimeout bounds every scenario; a stream that never calls back fails the test.
const scenarioTimeout = 20 * time.Second

// streamMonitor is one way for the loop to wait: the platform's default (epoll, kqueue) and
// poll(2).
type streamMonitor struct {
	name string
	opts func() []ioloop.Option
}

func streamMonitors() []streamMonitor {
	return []streamMonitor{
		{"default", func() []ioloop.Option { return nil }},
		{"poll", func() []ioloop.Option { return []ioloop.Option{ioloop.WithPoller(ioloop.NewPoll())} }},
	}
}

// forEachStreamLoop runs test once per monitor, each with the leak check.
func forEachStreamLoop(t *testing.T, test func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer)) {
	for _, m := range streamMonitors() {
		t.Run(m.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			l, logs := newStreamLoop(t, m.opts()...)
			test(t, l, logs)
		})
	}
}

// newStreamLoop makes a loop, closed when the test ends, and a log its streams can write to.
func newStreamLoop(t *testing.T, opts ...ioloop.Option) (*ioloop.IOLoop, *testutil.LogBuffer) {
	t.Helper()
	logs := &testutil.LogBuffer{}
	l, err := ioloop.New(append(opts, ioloop.WithLogger(logs.Logger()))...)
	if err != nil {
		t.Fatalf("new loop: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l, logs
}

// runScenario runs scenario on the loop, on this goroutine, until it calls done; it fails the test
// after scenarioTimeout.
func runScenario(t *testing.T, l *ioloop.IOLoop, scenario func(done func())) {
	t.Helper()
	_, err := l.RunSync(func(done ioloop.Done) {
		scenario(func() { done(nil, nil) })
	}, scenarioTimeout)
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
}

// streamSocketpair returns two connected unix stream sockets. The test closes them when it ends,
// unless the caller takes one over (a stream, which closes its own).
func streamSocketpair(t testing.TB) (a, b int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	unix.CloseOnExec(fds[0])
	unix.CloseOnExec(fds[1])
	return fds[0], fds[1]
}

// transportPeer is a socket transport on one end of a socketpair, and the other end as the peer
// (closed when the test ends), for tests that wrap the transport before the stream gets it.
func transportPeer(t testing.TB) (*SocketTransport, *peerFD) {
	t.Helper()
	a, b := streamSocketpair(t)
	p := &peerFD{fd: b}
	t.Cleanup(p.Close)
	tr, err := NewSocketTransport(a)
	if err != nil {
		unix.Close(a)
		t.Fatalf("transport: %v", err)
	}
	return tr, p
}

// newStream wraps fd in a stream on l, closed when the test ends (closing twice is harmless).
func newStream(t testing.TB, l *ioloop.IOLoop, fd int, logs *testutil.LogBuffer, opts ...StreamOption) *IOStream {
	t.Helper()
	tr, err := NewSocketTransport(fd)
	if err != nil {
		t.Fatalf("transport: %v", err)
	}
	s := NewIOStream(l, tr, append([]StreamOption{WithStreamLogger(logs.Logger())}, opts...)...)
	t.Cleanup(s.Close)
	return s
}

// streamPair is Tornado's make_iostream_pair on a socketpair: a "server" and a "client" stream.
func streamPair(t testing.TB, l *ioloop.IOLoop, logs *testutil.LogBuffer, opts ...StreamOption) (server, client *IOStream) {
	t.Helper()
	a, b := streamSocketpair(t)
	return newStream(t, l, a, logs, opts...), newStream(t, l, b, logs, opts...)
}

// peerFD is the far end of a socketpair, a blocking descriptor a test drives from its own
// goroutine. It is closed once, by the test or when the test ends.
type peerFD struct {
	fd   int
	once sync.Once
}

func (p *peerFD) Close() { p.once.Do(func() { unix.Close(p.fd) }) }

// CloseWrite sends EOF: the stream's reads end, its writes still arrive here.
func (p *peerFD) CloseWrite() error { return unix.Shutdown(p.fd, unix.SHUT_WR) }

// rawStreamPeer is a stream on one end of a socketpair and a peerFD on the other.
func rawStreamPeer(t testing.TB, l *ioloop.IOLoop, logs *testutil.LogBuffer, opts ...StreamOption) (*IOStream, *peerFD) {
	t.Helper()
	a, b := streamSocketpair(t)
	p := &peerFD{fd: b}
	t.Cleanup(p.Close)
	return newStream(t, l, a, logs, opts...), p
}

// tcpPair connects a client stream to a server stream over loopback TCP with Connect and an
// accept handler, on a running loop, then calls ready with both.
func tcpPair(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer, ready func(server, client *IOStream), opts ...StreamOption) {
	t.Helper()
	ln, err := nonblocking.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr, err := blocking.LocalAddr(ln)
	if err != nil {
		t.Fatalf("listener address: %v", err)
	}
	var server, client *IOStream
	maybeReady := func() {
		if server != nil && client != nil {
			ready(server, client)
		}
	}
	if err := l.AddHandler(ln, func(int, uint32) {
		fd, err := nonblocking.Accept(ln)
		if err != nil {
			if !nonblocking.WouldBlock(err) {
				t.Errorf("accept: %v", err)
			}
			return
		}
		l.RemoveHandler(ln)
		unix.Close(ln)
		server = newStream(t, l, fd, logs, opts...)
		maybeReady()
	}, ioloop.READ); err != nil {
		t.Fatalf("add accept handler: %v", err)
	}
	if err := Connect(l, addr, func(s *IOStream, err error) {
		if err != nil {
			t.Errorf("connect: %v", err)
			return
		}
		t.Cleanup(s.Close)
		client = s
		maybeReady()
	}, WithStreamLogger(logs.Logger())); err != nil {
		t.Fatalf("connect: %v", err)
	}
}

// writeFull writes p to a blocking descriptor, from a test's own goroutine.
func writeFull(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := unix.Write(fd, p)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// readToEOF reads a blocking descriptor to EOF.
func readToEOF(fd int) ([]byte, error) {
	var out []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return out, err
		}
		if n == 0 {
			return out, nil
		}
		out = append(out, buf[:n]...)
	}
}

// streamPattern is n bytes that show where they came from: a corrupted, duplicated or reordered
// piece of it does not compare equal.
func streamPattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + i/251)
	}
	return p
}

// assertNoLog fails the test if the log mentions any of words.
func assertNoLog(t *testing.T, logs *testutil.LogBuffer, words ...string) {
	t.Helper()
	for _, w := range words {
		if strings.Contains(logs.String(), w) {
			t.Errorf("log mentions %q:\n%s", w, logs.String())
		}
	}
}

// readFull reads exactly len(p) bytes from a blocking descriptor.
func readFull(fd int, p []byte) (int, error) {
	got := 0
	for got < len(p) {
		n, err := unix.Read(fd, p[got:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return got, err
		}
		if n == 0 {
			return got, io.ErrUnexpectedEOF
		}
		got += n
	}
	return got, nil
}
