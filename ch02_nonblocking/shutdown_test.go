// The graceful stop of the three servers: idle connections closed at once, busy ones finished,
// the grace period's end, a Stop that cuts it short, and Shutdown before Serve.

package nonblocking

import (
	"errors"
	"strings"
	"testing"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/testutil"
)

// listenLogged makes a server on an ephemeral loopback port, logging into logs; the test serves
// and stops it.
func listenLogged(t *testing.T, newServer func(string) (*Server, error),
	logs *testutil.LogBuffer) *Server {
	t.Helper()
	s, err := newServer("127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s.Logger = logs.Logger()
	return s
}

// An idle client reads EOF at once and new clients are refused; a client halfway through a line
// and one with megabytes of echoes owed are served to the end, then read EOF.
func TestServersShutdownIdleAndBusy(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*Server, error)) {
		testutil.CheckLeaks(t)
		var logs testutil.LogBuffer
		testutil.CheckShutdown(t, listenLogged(t, newServer, &logs))
		if strings.Contains(logs.String(), "level=WARN") {
			t.Errorf("a shutdown within its grace period logged a warning:\n%s", logs.String())
		}
	})
}

// A client that never ends its line is closed when the grace period is over, or when a Stop
// cuts the grace short.
func TestServersShutdownCut(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*Server, error)) {
		testutil.CheckLeaks(t)
		var logs testutil.LogBuffer
		testutil.CheckShutdownCut(t, func() testutil.Graceful {
			return listenLogged(t, newServer, &logs)
		})
	})
}

// Shutdown before Serve releases everything at once, as Stop does; Serve then refuses to start.
func TestServersShutdownBeforeServe(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*Server, error)) {
		testutil.CheckLeaks(t)
		var logs testutil.LogBuffer
		s := listenLogged(t, newServer, &logs)
		if err := s.Shutdown(0); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if err := s.Serve(); !errors.Is(err, blocking.ErrServerClosed) {
			t.Fatalf("Serve after Shutdown: %v, want ErrServerClosed", err)
		}
		testutil.ExpectRefused(t, s.Addr())
	})
}
