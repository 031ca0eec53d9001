// EchoServer's optional idle timeout: a connection with no complete line for that long is
// closed, quietly; one that keeps sending lines is kept.

package tcpserver

import (
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// The quiet client's last line and a half line after it do not keep its connection past the
// idle timeout, counted from that last line; a client that sends a line every eighth of the
// timeout is served throughout (the margin is for a loaded machine under -race, where a
// goroutine can wait a hundred milliseconds to run).
func TestEchoServerIdleTimeout(t *testing.T) {
	testutil.CheckLeaks(t)
	const idle = 400 * time.Millisecond
	et := newEchoTest(t, WithIdleTimeout(idle))
	quiet, busy := serverTestDial(t, "tcp", et.addr), serverTestDial(t, "tcp", et.addr)
	sent := time.Now()
	expectEcho(t, quiet, "one line\n")
	if _, err := quiet.Write([]byte("then half a line")); err != nil {
		t.Fatal(err)
	}
	type ending struct {
		rest  []byte
		err   error
		after time.Duration
	}
	closed := make(chan ending, 1)
	go func() {
		rest, err := readAllConn(quiet)
		closed <- ending{rest, err, time.Since(sent)}
	}()

	tick := time.NewTicker(idle / 8)
	defer tick.Stop()
	for start := time.Now(); time.Since(start) < 3*idle; <-tick.C {
		expectEcho(t, busy, "still here\n")
	}
	if e := <-closed; len(e.rest) != 0 || e.after < idle {
		t.Errorf("the quiet connection ended with %q, %v, %v after its line; want the close after %v",
			e.rest, e.err, e.after, idle)
	}
	expectEcho(t, busy, "kept open while it talks\n")
	et.waitConns(1)
	assertNoLog(t, et.logs, "level=WARN", "level=ERROR", "level=INFO")
}
