// TCPServer, after tornado/test/tcpserver_test.py (from 4.2; stop twice from 4.5, stop in a
// callback from 5.0) and the parts of netutil_test.py and httpserver_test.py that concern it:
// the three ways to start, Stop twice and from a callback, Stop while accepts are queued, a
// panicking HandleStream, the lazily chosen loop.

package tcpserver

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// A type without HandleStream cannot be given to New: the compiler says "does not implement
// Handler (missing method HandleStream)" where Tornado would raise NotImplementedError at the
// first connection. These lines compile because both types have the method.
var (
	_ Handler = (*EchoServer)(nil)
	_ Handler = (*HTTPServer)(nil)
	_ Handler = HandlerFunc(nil)
)

// serverTest is a TCPServer on a running loop whose handler is given by the test; every stream
// it is handed is closed, and the server stopped, when the test ends.
type serverTest struct {
	t       *testing.T
	loop    *ioloop.IOLoop
	logs    *testutil.LogBuffer
	srv     *TCPServer
	streams []*IOStream // the loop's goroutine only
}

// newServerTest makes the server (not listening yet) and starts its loop. handle runs for each
// connection after the stream has been recorded.
func newServerTest(t *testing.T, handle func(s *IOStream, address string), opts ...ServerOption) *serverTest {
	t.Helper()
	st := &serverTest{t: t}
	st.loop, st.logs = newStreamLoop(t)
	st.srv = New(HandlerFunc(func(s *IOStream, address string) {
		st.streams = append(st.streams, s)
		handle(s, address)
	}), append([]ServerOption{WithIOLoop(st.loop), WithLogger(st.logs.Logger())}, opts...)...)
	acceptTestRun(t, st.loop)
	t.Cleanup(func() {
		acceptTestOnLoop(t, st.loop, func() {
			st.srv.Stop()
			for _, s := range st.streams {
				s.Close()
			}
		})
	})
	return st
}

// on runs fn on the loop and waits for it.
func (st *serverTest) on(fn func()) { st.t.Helper(); acceptTestOnLoop(st.t, st.loop, fn) }

// addr is the server's first listening address, read on the loop.
func (st *serverTest) addr() string {
	st.t.Helper()
	var addrs []string
	st.on(func() { addrs = st.srv.Addrs() })
	if len(addrs) == 0 {
		st.t.Fatal("the server has no listening address")
	}
	return addrs[0]
}

// echoLines makes s echo lines until the peer leaves, with callbacks bound once.
func echoLines(s *IOStream) {
	var next func([]byte)
	next = func(line []byte) {
		s.Write(line, nil)
		s.ReadUntil([]byte("\n"), next)
	}
	s.ReadUntil([]byte("\n"), next)
}

// serverTestDial connects to addr over network ("tcp" or "unix"), with every read and write
// bounded; the connection is closed when the test ends.
func serverTestDial(t *testing.T, network, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

// expectEcho sends line on c and fails the test unless it comes back.
func expectEcho(t *testing.T, c net.Conn, line string) {
	t.Helper()
	if _, err := c.Write([]byte(line)); err != nil {
		t.Fatalf("write: %v", err)
	}
	got := make([]byte, len(line))
	if _, err := readFullConn(c, got); err != nil || string(got) != line {
		t.Fatalf("echo of %q: got %q, %v", line, got, err)
	}
}

func readFullConn(c net.Conn, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := c.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// expectClosed fails the test unless the server closes c without sending anything more.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if n > 0 || err == nil {
		t.Fatalf("read %q, %v; want the server to close", buf[:n], err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server did not close the connection: %v", err)
	}
}

// Listen binds 127.0.0.1 on a free port and accepts at once: the handler gets a stream for the
// connection and the peer's address as HOST:PORT, and Addrs tells the port the kernel chose.
func TestTCPServerListen(t *testing.T) {
	testutil.CheckLeaks(t)
	peers := make(chan string, 1)
	st := newServerTest(t, func(s *IOStream, address string) {
		peers <- address
		echoLines(s)
	})
	var err error
	st.on(func() { err = st.srv.Listen(0, "127.0.0.1") })
	if err != nil {
		t.Fatal(err)
	}
	addr := st.addr()
	if !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Fatalf("Addrs()[0] = %q, want 127.0.0.1 and the port the kernel chose", addr)
	}
	c := serverTestDial(t, "tcp", addr)
	expectEcho(t, c, "hello\n")
	if got := <-peers; got != c.LocalAddr().String() {
		t.Errorf("HandleStream got address %q, want the client's %q", got, c.LocalAddr())
	}
}

// AddSockets serves sockets made elsewhere, TCP and unix alike, and takes charge of them: Stop
// closes them (the leak check sees to it). A unix peer's address is its path, empty here.
func TestTCPServerAddSockets(t *testing.T) {
	testutil.CheckLeaks(t)
	peers := make(chan string, 2)
	st := newServerTest(t, func(s *IOStream, address string) {
		peers <- address
		echoLines(s)
	})
	fds, err := BindSockets(0, "127.0.0.1", unix.AF_INET, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	path := bindTestUnixPath(t)
	ufd, err := BindUnixSocket(path, 0, 0)
	if err != nil {
		closeOpened(fds)
		t.Fatal(err)
	}
	st.on(func() {
		if err := st.srv.AddSockets(fds); err != nil {
			t.Error(err)
		}
		if err := st.srv.AddSocket(ufd); err != nil {
			t.Error(err)
		}
	})
	if t.Failed() {
		closeOpened(append(fds, ufd))
		t.FailNow()
	}
	expectEcho(t, serverTestDial(t, "tcp", st.addr()), "over tcp\n")
	<-peers
	expectEcho(t, serverTestDial(t, "unix", path), "over a unix socket\n")
	// An unnamed socket's path is empty; golang.org/x/sys/unix shows an empty (all-NUL) path on
	// Linux as "@", its notation for the abstract namespace.
	if got := <-peers; got != "" && got != "@" {
		t.Errorf("a unix peer's address is %q, want the empty path of an unnamed socket", got)
	}
}

// A socket added twice is an error; the sockets added before it are the server's.
func TestTCPServerAddSocketTwice(t *testing.T) {
	testutil.CheckLeaks(t)
	st := newServerTest(t, echoStream)
	fds, err := BindSockets(0, "127.0.0.1", unix.AF_INET, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	st.on(func() {
		if err := st.srv.AddSockets([]int{fds[0], fds[0]}); err == nil {
			t.Error("the same socket was added twice")
		}
	})
	expectEcho(t, serverTestDial(t, "tcp", st.addr()), "still served\n")
}

// echoStream is a handler that echoes lines.
func echoStream(s *IOStream, _ string) { echoLines(s) }

// Bind keeps its sockets until Start: bound (Addrs knows the port) and queueing connections,
// but not accepting them. Start accepts, including the connection that waited; Bind after Start
// accepts at once. A second Start is an error.
func TestTCPServerBindStart(t *testing.T) {
	testutil.CheckLeaks(t)
	handled := 0
	st := newServerTest(t, func(s *IOStream, _ string) { handled++; echoLines(s) })
	var err error
	st.on(func() { err = st.srv.Bind(0, "127.0.0.1", unix.AF_INET, 0, false) })
	if err != nil {
		t.Fatal(err)
	}
	early := serverTestDial(t, "tcp", st.addr()) // queued by the kernel
	if _, err := early.Write([]byte("waited\n")); err != nil {
		t.Fatal(err)
	}
	st.on(func() {
		if handled != 0 {
			t.Errorf("%d connections handled before Start", handled)
		}
		if err := st.srv.Start(); err != nil {
			t.Errorf("Start: %v", err)
		}
		if err := st.srv.Start(); !errors.Is(err, ErrAlreadyStarted) {
			t.Errorf("second Start: %v, want ErrAlreadyStarted", err)
		}
	})
	got := make([]byte, len("waited\n"))
	if _, err := readFullConn(early, got); err != nil || string(got) != "waited\n" {
		t.Fatalf("the connection queued before Start: read %q, %v", got, err)
	}
	st.on(func() { err = st.srv.Bind(0, "127.0.0.1", unix.AF_INET, 0, false) })
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	st.on(func() { addrs = st.srv.Addrs() })
	if len(addrs) != 2 {
		t.Fatalf("Addrs %v, want the two bound sockets", addrs)
	}
	expectEcho(t, serverTestDial(t, "tcp", addrs[1]), "bound after Start\n")
}

// Chapter 5's Start(n) forks between MarkStarted and AddPendingSockets, where Tornado's
// start(num_processes) forks between setting _started and adding the pending sockets: a second
// start is refused before it could fork, and during the fork the loop does not watch the sockets
// yet (each child chooses its own loop). Start is the two steps with nothing between them.
func TestTCPServerStartAroundFork(t *testing.T) {
	testutil.CheckLeaks(t)
	st := newServerTest(t, echoStream)
	forks := 0
	startN := func(n int) error { // chapter 5's Start(n), with a fork that only counts
		if err := st.srv.MarkStarted(); err != nil {
			return err
		}
		if n != 1 {
			forks++
			if len(st.srv.listeners) != 0 {
				t.Errorf("the loop watches %d sockets during the fork, want none", len(st.srv.listeners))
			}
		}
		return st.srv.AddPendingSockets()
	}
	st.on(func() {
		if err := st.srv.Bind(0, "127.0.0.1", unix.AF_INET, 0, false); err != nil {
			t.Error(err)
		}
		if err := st.srv.AddPendingSockets(); err == nil {
			t.Error("AddPendingSockets before MarkStarted succeeded")
		}
		if err := startN(2); err != nil {
			t.Errorf("Start(2): %v", err)
		}
		if err := startN(2); !errors.Is(err, ErrAlreadyStarted) {
			t.Errorf("second Start(2): %v, want ErrAlreadyStarted", err)
		}
		if err := st.srv.Start(); !errors.Is(err, ErrAlreadyStarted) {
			t.Errorf("Start after Start(2): %v, want ErrAlreadyStarted", err)
		}
		if forks != 1 {
			t.Errorf("%d forks, want 1: a second start must fail before forking", forks)
		}
	})
	expectEcho(t, serverTestDial(t, "tcp", st.addr()), "accepted after the fork\n")
	st.on(func() {
		st.srv.Stop()
		if err := st.srv.MarkStarted(); !errors.Is(err, ErrServerStopped) {
			t.Errorf("MarkStarted after Stop: %v, want ErrServerStopped", err)
		}
	})
}

// Stop closes the listening sockets (new clients are refused) but not the connections already
// accepted, which go on; a second Stop does nothing; listening again after Stop is refused.
// Sockets bound for a Start that never came are closed too (the leak check).
func TestTCPServerStopTwice(t *testing.T) {
	testutil.CheckLeaks(t)
	st := newServerTest(t, echoStream)
	st.on(func() {
		if err := st.srv.Listen(0, "127.0.0.1"); err != nil {
			t.Error(err)
		}
		if err := st.srv.Bind(0, "127.0.0.1", unix.AF_INET, 0, false); err != nil {
			t.Error(err)
		}
	})
	addr := st.addr()
	c := serverTestDial(t, "tcp", addr)
	expectEcho(t, c, "before stop\n")
	st.on(func() {
		st.srv.Stop()
		st.srv.Stop()
		if err := st.srv.Listen(0, "127.0.0.1"); !errors.Is(err, ErrServerStopped) {
			t.Errorf("Listen after Stop: %v, want ErrServerStopped", err)
		}
		if err := st.srv.Start(); !errors.Is(err, ErrServerStopped) {
			t.Errorf("Start after Stop: %v, want ErrServerStopped", err)
		}
		if addrs := st.srv.Addrs(); len(addrs) != 0 {
			t.Errorf("Addrs after Stop: %v, want none", addrs)
		}
	})
	testutil.ExpectRefused(t, addr)
	expectEcho(t, c, "after stop, the connection goes on\n")
}

// Stop from inside HandleStream, a callback on the loop: the stream it was handed still works,
// and the port refuses new clients.
func TestTCPServerStopFromCallback(t *testing.T) {
	testutil.CheckLeaks(t)
	var st *serverTest
	st = newServerTest(t, func(s *IOStream, _ string) {
		st.srv.Stop()
		echoLines(s)
	})
	st.on(func() {
		if err := st.srv.Listen(0, "127.0.0.1"); err != nil {
			t.Error(err)
		}
	})
	addr := st.addr()
	expectEcho(t, serverTestDial(t, "tcp", addr), "served by a stopped server\n")
	testutil.ExpectRefused(t, addr)
}

// Stop while connections wait to be accepted on two listeners, both readable in the same pass
// of the loop: Stop from the first HandleStream ends that batch, the other listener's event is
// dropped, no accept touches a closed descriptor (no EBADF, no panic logged), and the loop
// goes on. Tornado 3.2 raised EBADF here: its accept handler's "while True" called accept again on
// the socket stop() had just closed (fixed in 5.0, #2069).
func TestTCPServerStopWithQueuedAccepts(t *testing.T) {
	testutil.CheckLeaks(t)
	const perListener = 20
	handled := 0
	var st *serverTest
	st = newServerTest(t, func(s *IOStream, _ string) {
		handled++
		st.srv.Stop()
	})
	var ports []int
	var all []int
	for range 2 {
		fds, err := BindSockets(0, "127.0.0.1", unix.AF_INET, 0, false)
		if err != nil {
			closeOpened(all)
			t.Fatal(err)
		}
		all = append(all, fds...)
		ports = append(ports, int(bindTestAddr(t, fds[0]).Port()))
	}
	// The clients queue while the loop does not watch the listeners yet; the callback below
	// adds both, and the next Wait finds both readable at once.
	for _, port := range ports {
		acceptTestDial(t, port, perListener)
	}
	st.on(func() {
		if err := st.srv.AddSockets(all); err != nil {
			t.Error(err)
		}
	})
	acceptTestWait(t, st.loop, "the first connection", func() bool { return handled > 0 })
	st.on(func() {
		if handled != 1 {
			t.Errorf("%d connections handled, want 1: accepting went on after Stop", handled)
		}
	})
	assertNoLog(t, st.logs, "bad file descriptor", "EBADF", "panic", "level=ERROR", "level=WARN")
	survived := false
	st.on(func() { survived = true })
	if !survived {
		t.Error("the loop stopped running callbacks")
	}
}

// A panic in HandleStream is logged with the peer's address, closes that connection, and
// leaves the server serving the next one.
func TestTCPServerHandleStreamPanic(t *testing.T) {
	testutil.CheckLeaks(t)
	calls := 0
	st := newServerTest(t, func(s *IOStream, address string) {
		if calls++; calls == 1 {
			panic("the application's bug")
		}
		echoLines(s)
	})
	st.on(func() {
		if err := st.srv.Listen(0, "127.0.0.1"); err != nil {
			t.Error(err)
		}
	})
	addr := st.addr()
	first := serverTestDial(t, "tcp", addr)
	expectClosed(t, first)
	log := st.logs.String()
	if !strings.Contains(log, "panic in HandleStream") || !strings.Contains(log, "the application's bug") ||
		!strings.Contains(log, "address="+first.LocalAddr().String()) {
		t.Errorf("the log does not report the panic with the peer's address %s:\n%s", first.LocalAddr(), log)
	}
	expectEcho(t, serverTestDial(t, "tcp", addr), "the server lives on\n")
}

// The options that are StreamOptions reach every stream: with WithMaxBufferSize(16), a longer
// line closes its connection with ErrBufferFull.
func TestTCPServerStreamOptions(t *testing.T) {
	testutil.CheckLeaks(t)
	closed := make(chan error, 1)
	st := newServerTest(t, func(s *IOStream, _ string) {
		s.SetCloseCallback(func() { closed <- s.Error() })
		echoLines(s)
	}, WithMaxBufferSize(16))
	st.on(func() {
		if err := st.srv.Listen(0, "127.0.0.1"); err != nil {
			t.Error(err)
		}
	})
	c := serverTestDial(t, "tcp", st.addr())
	expectEcho(t, c, "sixteen bytes..\n")
	if _, err := c.Write([]byte("seventeen bytes..\n")); err != nil {
		t.Fatal(err)
	}
	if err := <-closed; !errors.Is(err, ErrBufferFull) {
		t.Errorf("stream closed with %v, want ErrBufferFull", err)
	}
}

// Without WithIOLoop, the loop is chosen by the first AddSockets (through Listen here): called
// on a running loop, that loop.
func TestTCPServerLoopChosenLazilyCurrent(t *testing.T) {
	testutil.CheckLeaks(t)
	loop, logs := newStreamLoop(t)
	acceptTestRun(t, loop)
	var streams []*IOStream
	srv := New(HandlerFunc(func(s *IOStream, _ string) { streams = append(streams, s); echoLines(s) }), WithLogger(logs.Logger()))
	var chosen *ioloop.IOLoop
	acceptTestOnLoop(t, loop, func() {
		if err := srv.Listen(0, "127.0.0.1"); err != nil {
			t.Error(err)
		}
		chosen = srv.loop
	})
	t.Cleanup(func() {
		acceptTestOnLoop(t, loop, func() {
			srv.Stop()
			for _, s := range streams {
				s.Close()
			}
		})
	})
	if chosen != loop {
		t.Fatal("the server did not choose the loop it was added from")
	}
	var addr string
	acceptTestOnLoop(t, loop, func() { addr = srv.Addrs()[0] })
	expectEcho(t, serverTestDial(t, "tcp", addr), "on the current loop\n")
}

// Added before any loop runs, the server takes the process's Instance, which the program then
// starts, as in Tornado's listen(8888) + IOLoop.instance().start().
func TestTCPServerLoopChosenLazilyInstance(t *testing.T) {
	testutil.CheckLeaks(t)
	logs := &testutil.LogBuffer{}
	var streams []*IOStream
	srv := New(HandlerFunc(func(s *IOStream, _ string) { streams = append(streams, s); echoLines(s) }), WithLogger(logs.Logger()))
	if err := srv.Listen(0, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	addr := srv.Addrs()[0]
	instance, err := ioloop.Instance()
	if err != nil {
		srv.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() { instance.Close() })
	if srv.loop != instance {
		srv.Stop()
		t.Fatal("the server did not choose the Instance loop")
	}
	acceptTestRun(t, instance)
	t.Cleanup(func() {
		acceptTestOnLoop(t, instance, func() {
			srv.Stop()
			for _, s := range streams {
				s.Close()
			}
		})
	})
	expectEcho(t, serverTestDial(t, "tcp", addr), "on the instance\n")
}

// A Listen that cannot bind (the port is taken) returns the error and leaves nothing open.
func TestTCPServerListenError(t *testing.T) {
	testutil.CheckLeaks(t)
	st := newServerTest(t, echoStream)
	taken, err := BindSockets(0, "127.0.0.1", unix.AF_INET, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	defer closeOpened(taken)
	port := int(bindTestAddr(t, taken[0]).Port())
	st.on(func() {
		if err := st.srv.Listen(port, "127.0.0.1"); !errors.Is(err, unix.EADDRINUSE) {
			t.Errorf("Listen on a taken port: %v, want EADDRINUSE", err)
		}
		if addrs := st.srv.Addrs(); len(addrs) != 0 {
			t.Errorf("Addrs after a failed Listen: %v, want none", addrs)
		}
	})
}

// New refuses a nil Handler at once.
func TestTCPServerNilHandler(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New(nil) did not panic")
		}
	}()
	New(nil)
}
