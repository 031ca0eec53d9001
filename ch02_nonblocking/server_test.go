package nonblocking

import (
	"bytes"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/testutil"
)

// servers are the three constructors; every server test runs against each.
var servers = []struct {
	name string
	new  func(hostport string) (*Server, error)
}{
	{"busypoll", NewBusyPoll},
	{"select", NewSelect},
	{"poll", NewPoll},
}

func forEachServer(t *testing.T, test func(t *testing.T, newServer func(string) (*Server, error))) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) { test(t, s.new) })
	}
}

// serve starts a server on an ephemeral loopback port and stops it when the test ends,
// checking that Serve then returns nil.
func serve(t *testing.T, newServer func(string) (*Server, error)) (*Server, *testutil.LogBuffer) {
	t.Helper()
	s, err := newServer("127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	logs := &testutil.LogBuffer{}
	s.Logger = logs.Logger()
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve returned %v after Stop, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Serve still running 5s after Stop returned")
		}
	})
	return s, logs
}

// Several clients at once, lines split across sends, lines sent together, each echoed whole and
// in order to its own client.
func TestServersEcho(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*Server, error)) {
		testutil.CheckLeaks(t)
		s, logs := serve(t, newServer)
		a, b, c := testutil.Dial(t, s.Addr()), testutil.Dial(t, s.Addr()), testutil.Dial(t, s.Addr())
		testutil.Echo(t, a, "hello from a\n")
		testutil.Echo(t, b, "hello from b\n")
		a.Send([]byte("split "))
		testutil.Echo(t, c, "c goes meanwhile\n")
		a.Send([]byte("line\nsecond\n"))
		for _, want := range []string{"split line\n", "second\n"} {
			if got, err := a.ReadLine(); err != nil || string(got) != want {
				t.Fatalf("got %q, %v; want %q", got, err, want)
			}
		}
		testutil.Echo(t, b, strings.Repeat("b", blocking.MaxLineLength)+"\n") // the longest line allowed
		if logs.String() != "" {
			t.Errorf("unexpected log: %s", logs)
		}
	})
}

// A client that half-closes gets every complete line it sent, then EOF; the unfinished line
// is dropped. With 3 MiB in flight the server must also hold output for a slow reader and stop
// reading while more than MaxPendingOutput is owed, then drain it all after the EOF.
func TestServersHalfClose(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*Server, error)) {
		testutil.CheckLeaks(t)
		s, _ := serve(t, newServer)
		c := testutil.Dial(t, s.Addr())
		if got := testutil.SendAndReadAll(t, c, []byte("a\nb\nunfinished")); string(got) != "a\nb\n" {
			t.Fatalf("got %q, want %q", got, "a\nb\n")
		}
		big := testutil.Lines(3<<20/100, 100)
		if got := testutil.SendAndReadAll(t, testutil.Dial(t, s.Addr()), big); !bytes.Equal(got, big) {
			t.Fatalf("got %d bytes back, want %d (equal prefix %d)",
				len(got), len(big), commonPrefix(got, big))
		}
	})
}

// A line over 64 KiB closes that connection, after the lines before it are echoed; another
// client carries on, and the log says why.
func TestServersLongLineClosesOnlyThatConnection(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*Server, error)) {
		testutil.CheckLeaks(t)
		s, logs := serve(t, newServer)
		other := testutil.Dial(t, s.Addr())
		testutil.Echo(t, other, "before\n")

		c := testutil.Dial(t, s.Addr())
		c.Send(append([]byte("ok\n"), bytes.Repeat([]byte("x"), blocking.MaxLineLength+4096)...))
		if got, err := c.ReadLine(); err != nil || string(got) != "ok\n" {
			t.Fatalf("got %q, %v; want the line before the long one", got, err)
		}
		rest, err := c.ReadToEOF()
		if len(rest) != 0 || (err != nil && !errors.Is(err, syscall.ECONNRESET)) {
			t.Fatalf("after the long line: %q, %v; want the connection closed", rest, err)
		}
		testutil.Echo(t, other, "after\n")
		if !strings.Contains(logs.String(), blocking.ErrLineTooLong.Error()) {
			t.Errorf("log does not say why: %q", logs)
		}
	})
}

// A client that resets its connection (RST) is dropped quietly, its descriptor closed, while
// another client goes on being served.
func TestServersResetConnectionDropped(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*Server, error)) {
		testutil.CheckLeaks(t)
		s, logs := serve(t, newServer)
		testutil.CheckResetDropped(t, s.Addr(), logs)
	})
}

// Stop before Serve releases the listener, Serve then refuses to start, and a second Stop is
// harmless.
func TestServersStopBeforeServe(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*Server, error)) {
		testutil.CheckLeaks(t)
		s, err := newServer("127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		if err := s.Stop(); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if err := s.Stop(); err != nil {
			t.Fatalf("second Stop: %v", err)
		}
		if err := s.Serve(); !errors.Is(err, blocking.ErrServerClosed) {
			t.Fatalf("Serve after Stop: %v, want ErrServerClosed", err)
		}
		if c, err := echoclient.Dial(s.Addr(), time.Second); err == nil {
			c.Close()
			t.Fatalf("connected to a stopped server")
		}
	})
}

// Stop, called twice at once from two goroutines while clients are connected, returns only when
// Serve has closed every descriptor: at that moment the process holds no more than the clients'
// own. The clients see an orderly EOF.
func TestServersStopWithClients(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*Server, error)) {
		testutil.CheckLeaks(t)
		before := len(testutil.OpenFDs(t))
		s, err := newServer("127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		testutil.CheckStopWithClients(t, s, before)
	})
}

// A server given no Logger reports on slog.Default() instead of crashing when it first has
// something to say.
func TestServersNilLoggerUsesDefault(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*Server, error)) {
		testutil.CheckLeaks(t)
		logs := testutil.DefaultLog(t)
		s, err := newServer("127.0.0.1:0") // its Logger is nil
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- s.Serve() }()
		defer func() {
			if err := errors.Join(s.Stop(), <-served); err != nil {
				t.Errorf("Stop, Serve: %v", err)
			}
		}()
		c := testutil.Dial(t, s.Addr())
		c.Send(bytes.Repeat([]byte("x"), blocking.MaxLineLength+1))
		c.ReadToEOF()
		testutil.WaitFor(t, "the default logger to get the line", func() bool {
			return strings.Contains(logs.String(), blocking.ErrLineTooLong.Error())
		})
	})
}
