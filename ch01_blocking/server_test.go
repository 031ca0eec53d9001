// Tests of the two chapter 1 servers: they echo, they stop cleanly whatever their clients are
// doing, the iterative one serialises its clients and the threaded one does not.

package blocking_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/testutil"
)

// ioTimeout bounds every client read and write, so that a broken server fails a test instead
// of hanging it.
const ioTimeout = 10 * time.Second

var constructors = []struct {
	name string
	new  func(string) (*blocking.Server, error)
}{
	{"iterative", blocking.NewIterative},
	{"threaded", blocking.NewThreaded},
	{"forked", blocking.NewForked},
}

// lineTooLongLogged is what a server's own log says when a line is too long: the error, or for a
// forked server, whose child logs on its standard error, the child's exit status.
func lineTooLongLogged(t *testing.T) string {
	if strings.HasSuffix(t.Name(), "/forked") {
		return "exit status 1"
	}
	return blocking.ErrLineTooLong.Error()
}

// forEachServer runs test as a subtest for each kind of server.
func forEachServer(t *testing.T,
	test func(t *testing.T, newServer func(string) (*blocking.Server, error))) {
	for _, c := range constructors {
		t.Run(c.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			test(t, c.new)
		})
	}
}

// running is a server whose Serve runs on its own goroutine.
type running struct {
	*blocking.Server
	log    *testutil.LogBuffer
	served chan error // receives Serve's result
}

// serve starts a server on 127.0.0.1:0 and makes sure, when the test ends, that it is stopped
// and that Serve has returned.
func serve(t *testing.T, newServer func(string) (*blocking.Server, error)) *running {
	t.Helper()
	srv, err := newServer("127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	r := &running{Server: srv, log: new(testutil.LogBuffer), served: make(chan error, 1)}
	srv.Logger = r.log.Logger()
	go func() { r.served <- srv.Serve() }()
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
		select {
		case <-r.served:
		case <-time.After(ioTimeout):
			t.Errorf("Serve did not return within %v of Stop", ioTimeout)
		}
	})
	return r
}

// waitServe waits for Serve to return after Stop.
func (r *running) waitServe(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.served:
		r.served <- err // for the cleanup
		return err
	case <-time.After(ioTimeout):
		t.Fatalf("Serve did not return within %v", ioTimeout)
		return nil
	}
}

func TestServerEchoes(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*blocking.Server, error)) {
		srv := serve(t, newServer)
		c := testutil.Dial(t, srv.Addr())
		testutil.Echo(t, c, "hello\n")
		testutil.Echo(t, c, "\n")
		// A line in pieces comes back whole, after its '\n'.
		for _, piece := range []string{"wor", "ld", "\n"} {
			if err := c.Send([]byte(piece)); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := c.ReadLine(); err != nil || string(got) != "world\n" {
			t.Fatalf("line sent in pieces: got %q, %v", got, err)
		}
		// Half-close: lines already sent are still echoed, the partial tail is dropped, and the
		// server then closes.
		if err := c.Send([]byte("a\nb\npartial")); err != nil {
			t.Fatal(err)
		}
		if err := c.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		rest, err := c.ReadToEOF()
		if err != nil || string(rest) != "a\nb\n" {
			t.Fatalf("after half-close: got %q, %v; want %q and EOF", rest, err, "a\nb\n")
		}
	})
}

func TestServerStopBeforeServe(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*blocking.Server, error)) {
		srv, err := newServer("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Stop(); err != nil {
			t.Fatalf("Stop before Serve: %v", err)
		}
		if err := srv.Stop(); err != nil {
			t.Fatalf("second Stop: %v", err)
		}
		if err := srv.Serve(); !errors.Is(err, blocking.ErrServerClosed) {
			t.Fatalf("Serve after Stop = %v, want ErrServerClosed", err)
		}
		// CheckLeaks verifies that the listener was closed.
	})
}

func TestServerStopTwice(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*blocking.Server, error)) {
		srv := serve(t, newServer)
		testutil.Echo(t, testutil.Dial(t, srv.Addr()), "warm up\n") // Serve is running
		for i := range 2 {
			if err := srv.Stop(); err != nil {
				t.Fatalf("Stop #%d: %v", i+1, err)
			}
		}
		if err := srv.waitServe(t); err != nil {
			t.Errorf("Serve = %v, want nil after Stop", err)
		}
	})
}

func TestServerStopWithIdleClient(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*blocking.Server, error)) {
		srv := serve(t, newServer)
		c := testutil.Dial(t, srv.Addr())
		testutil.Echo(t, c, "then silence\n") // its handler is now blocked in recv
		if err := srv.Stop(); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if err := srv.waitServe(t); err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
		rest, err := c.ReadToEOF()
		if err != nil || len(rest) != 0 {
			t.Errorf("client after Stop: read %q, %v; want an orderly EOF", rest, err)
		}
	})
}

func TestServeAfterStop(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*blocking.Server, error)) {
		srv := serve(t, newServer)
		testutil.Echo(t, testutil.Dial(t, srv.Addr()), "x\n")
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
		if err := srv.waitServe(t); err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
		if err := srv.Serve(); !errors.Is(err, blocking.ErrServerClosed) {
			t.Errorf("Serve after Stop = %v, want ErrServerClosed", err)
		}
	})
}

func TestServerSurvivesReset(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*blocking.Server, error)) {
		srv := serve(t, newServer)
		for i := range 3 {
			c := testutil.Dial(t, srv.Addr())
			testutil.Echo(t, c, fmt.Sprintf("before reset %d\n", i))
			// Unread data and a half line make the reset abrupt mid-stream.
			if err := c.Send([]byte("more\nhalf a li")); err != nil {
				t.Fatal(err)
			}
			if err := c.Reset(); err != nil {
				t.Fatalf("reset: %v", err)
			}
		}
		testutil.Echo(t, testutil.Dial(t, srv.Addr()), "still here\n")
		if logged := srv.log.String(); logged != "" {
			t.Errorf("a client's reset was logged as an error: %q", logged)
		}
	})
}

func TestServerLineTooLong(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*blocking.Server, error)) {
		srv := serve(t, newServer)
		c := testutil.Dial(t, srv.Addr())
		if err := c.Send([]byte("short\n" + strings.Repeat("L", blocking.MaxLineLength+1))); err != nil {
			t.Fatal(err)
		}
		// The short line is echoed, then the server closes the connection.
		got, _ := c.ReadToEOF()
		if string(got) != "short\n" {
			t.Errorf("before the close: got %q, want %q", got, "short\n")
		}
		testutil.Echo(t, testutil.Dial(t, srv.Addr()), "next client\n")
		// A forked server's child reports after its client has seen the close: wait for it.
		testutil.WaitFor(t, "the too-long line to be reported", func() bool {
			return strings.Contains(srv.log.String(), lineTooLongLogged(t))
		})
	})
}

// The iterative server's lesson: while one client is connected, the next one is connected by the
// kernel but gets no answer; it is served as soon as the first leaves.
func TestIterativeSerialises(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := serve(t, blocking.NewIterative)
	first := testutil.Dial(t, srv.Addr())
	testutil.Echo(t, first, "first\n")

	second := testutil.Dial(t, srv.Addr())
	if err := second.Send([]byte("second\n")); err != nil {
		t.Fatal(err)
	}
	// A short deadline is the negative assertion: nothing may come back while first is here.
	second.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if got, err := second.ReadLine(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("second client answered while the first was connected: %q, %v", got, err)
	}
	testutil.Echo(t, first, "first again\n") // the first is served all along

	first.Close()
	second.SetDeadline(time.Now().Add(ioTimeout))
	if got, err := second.ReadLine(); err != nil || string(got) != "second\n" {
		t.Fatalf("second client after the first left: got %q, %v", got, err)
	}
}

// The threaded server's lesson: every client is served at once. All the clients stay connected
// until every one has had its answers, which an iterative server could not give.
func TestThreadedServesConcurrentClients(t *testing.T) {
	testutil.CheckLeaks(t)
	const clients = 20
	srv := serve(t, blocking.NewThreaded)
	conns := make([]*echoclient.Conn, clients)
	for i := range conns {
		conns[i] = testutil.Dial(t, srv.Addr())
	}
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			for j := range 5 {
				line := fmt.Sprintf("client %d line %d\n", i, j)
				if err := c.Send([]byte(line)); err != nil {
					errs <- fmt.Errorf("client %d: send: %w", i, err)
					return
				}
				got, err := c.ReadLine()
				if err != nil || string(got) != line {
					errs <- fmt.Errorf("client %d: got %q, %v; want %q", i, got, err, line)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A server given no Logger reports on slog.Default() instead of crashing when it first has
// something to say.
func TestServerNilLoggerUsesDefault(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*blocking.Server, error)) {
		logs := testutil.DefaultLog(t)
		srv, err := newServer("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv.Logger = nil
		served := make(chan error, 1)
		go func() { served <- srv.Serve() }()
		c := testutil.Dial(t, srv.Addr())
		c.Send([]byte(strings.Repeat("L", blocking.MaxLineLength+1)))
		c.ReadToEOF()
		testutil.WaitFor(t, "the default logger to get the line", func() bool {
			return strings.Contains(logs.String(), lineTooLongLogged(t))
		})
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}
