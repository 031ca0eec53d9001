// The echo server's optional idle timeout: an idle connection is closed, a busy one is kept.

package ioloop_test

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/testutil"
)

// With an idle timeout, a connection that sends nothing for that long is closed, counted from
// what it last sent, while one that keeps sending lines outlives the timeout many times over;
// nothing is logged, an idle client is no fault.
func TestEchoServerIdleTimeout(t *testing.T) {
	const idle = 400 * time.Millisecond
	forEachMonitor(t, func(t *testing.T, m monitor) {
		s, logs := newServer(t, m, nil)
		s.SetIdleTimeout(idle)
		serve(t, s)
		quiet, busy := testutil.Dial(t, s.Addr()), testutil.Dial(t, s.Addr())
		// The server counts from when it read the line, which is after the client sent it and
		// before the echo came back: count from the send, or a loaded machine's round trip
		// makes a correct close look early.
		last := time.Now()
		testutil.Echo(t, quiet, "one line, then nothing\n")
		closed := make(chan time.Duration, 1)
		go func() {
			expectClosed(t, quiet)
			closed <- time.Since(last)
		}()

		tick := time.NewTicker(idle / 8)
		defer tick.Stop()
		for start := time.Now(); time.Since(start) < 3*idle; <-tick.C {
			testutil.Echo(t, busy, "still here\n")
		}
		after := <-closed
		if after < idle {
			t.Errorf("the idle connection was closed %v after its last line, before the %v timeout", after, idle)
		}
		testutil.Echo(t, busy, "kept open while it talks\n")
		if logs.String() != "" {
			t.Errorf("unexpected log: %s", logs)
		}
	})
}

// expectClosed reads until the server closes c, failing the test if it sends anything first.
func expectClosed(t *testing.T, c *echoclient.Conn) {
	rest, err := c.ReadToEOF()
	if len(rest) != 0 || err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("waiting for the server to close: %q, %v", rest, err)
	}
}
