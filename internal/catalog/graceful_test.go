package catalog

import (
	"errors"
	"testing"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/testutil"
)

// Every server of chapter 2 on can stop gracefully; `chapters run` relies on it.
func TestGracefulEntries(t *testing.T) {
	testutil.CheckLeaks(t)
	for _, e := range All() {
		if e.Chapter() < 2 {
			continue
		}
		s, err := e.Listen("127.0.0.1:0")
		if err != nil {
			t.Fatalf("%s: listen: %v", e.ID, err)
		}
		if _, ok := s.(Graceful); !ok {
			t.Errorf("%s has no Shutdown", e.ID)
		}
		s.Stop()
	}
}

// The runner of ch04/echo shuts down gracefully: idle clients closed at once, busy ones served
// to the end, the grace period's end, a Stop that cuts it short.
func TestRunnerShutdown(t *testing.T) {
	t.Run("idle and busy", func(t *testing.T) {
		testutil.CheckLeaks(t)
		r, err := listenEcho("127.0.0.1:0", Options{})
		if err != nil {
			t.Fatal(err)
		}
		testutil.CheckShutdown(t, r)
	})
	t.Run("cut", func(t *testing.T) {
		testutil.CheckLeaks(t)
		testutil.CheckShutdownCut(t, func() testutil.Graceful {
			r, err := listenEcho("127.0.0.1:0", Options{})
			if err != nil {
				t.Fatal(err)
			}
			return r
		})
	})
}

// Shutdown before Serve closes everything at once; Serve then refuses to run.
func TestRunnerShutdownBeforeServe(t *testing.T) {
	testutil.CheckLeaks(t)
	r, err := listenHelloWorld("127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(0); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := r.Serve(); !errors.Is(err, blocking.ErrServerClosed) {
		t.Errorf("Serve after Shutdown: %v, want ErrServerClosed", err)
	}
	testutil.ExpectRefused(t, r.Addr())
}
