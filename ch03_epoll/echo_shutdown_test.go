// The echo server's graceful stop: idle connections closed at once, busy ones finished, the
// grace period's end, a Stop that cuts it short, and Shutdown before Serve.

package ioloop_test

import (
	"errors"
	"strings"
	"testing"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/testutil"
)

// An idle client reads EOF at once and new clients are refused; a client halfway through a line
// and one with megabytes of echoes owed are served to the end, then read EOF.
func TestEchoServerShutdownIdleAndBusy(t *testing.T) {
	forEachMonitor(t, func(t *testing.T, m monitor) {
		s, logs := newServer(t, m, nil)
		testutil.CheckShutdown(t, s)
		if strings.Contains(logs.String(), "level=WARN") {
			t.Errorf("a shutdown within its grace period logged a warning:\n%s", logs)
		}
	})
}

// A client that never ends its line is closed when the grace period is over, or when a Stop
// cuts the grace short.
func TestEchoServerShutdownCut(t *testing.T) {
	forEachMonitor(t, func(t *testing.T, m monitor) {
		testutil.CheckShutdownCut(t, func() testutil.Graceful {
			s, _ := newServer(t, m, nil)
			return s
		})
	})
}

// Shutdown before Serve releases everything at once, as Stop does; Serve then refuses to start.
func TestEchoServerShutdownBeforeServe(t *testing.T) {
	forEachMonitor(t, func(t *testing.T, m monitor) {
		s, _ := newServer(t, m, nil)
		if err := s.Shutdown(0); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if err := s.Serve(); !errors.Is(err, blocking.ErrServerClosed) {
			t.Fatalf("Serve after Shutdown: %v, want ErrServerClosed", err)
		}
		testutil.ExpectRefused(t, s.Addr())
	})
}
