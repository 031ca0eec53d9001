package nonblocking

import (
	"fmt"
	"testing"
	"time"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/testutil"
)

// connectIdle opens n clients, checks each is served once, and leaves them idle.
func connectIdle(t *testing.T, addr string, n int) []*echoclient.Conn {
	t.Helper()
	conns := make([]*echoclient.Conn, n)
	for i := range conns {
		conns[i] = testutil.Dial(t, addr)
		testutil.Echo(t, conns[i], fmt.Sprintf("idle client %d\n", i))
	}
	return conns
}

// The chapter's lesson as a measurement: with every client idle, busy-poll burns a core and the
// servers that sleep in select or poll burn nothing. Three short windows; the best (busy-poll)
// or quietest (the others) counts, so a noisy neighbour on the machine does not decide.
func TestIdleCPU(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*Server, error)) {
		testutil.CheckLeaks(t)
		s, _ := serve(t, newServer)
		connectIdle(t, s.Addr(), 20)
		var rates []float64
		for range 3 {
			rates = append(rates, testutil.CPURate(t, 300*time.Millisecond))
		}
		t.Logf("%s with 20 idle clients: %.2f CPU s/s (three windows of 300ms: %.2f)", s.name, max(rates[0], rates[1], rates[2]), rates)
		if s.name == "busypoll" {
			if best := max(rates[0], rates[1], rates[2]); best < 0.5 {
				t.Errorf("busy-poll used only %.2f CPU s/s while idle, want about 1 (at least 0.5)", best)
			}
		} else if quietest := min(rates[0], rates[1], rates[2]); quietest >= 0.1 {
			t.Errorf("%s used %.2f CPU s/s while idle, want about 0 (under 0.1)", s.name, quietest)
		}
	})
}

// One OS thread does all the I/O: 200 more connections add no threads (chapter 1's threaded
// server would add 200). The count is of the whole process, so a few threads of the Go runtime
// may come and go; what must not happen is growth with the connections.
func TestOneThreadServesAll(t *testing.T) {
	if _, err := blocking.OSThreads(0); err != nil {
		t.Skipf("cannot count threads here: %v", err)
	}
	forEachServer(t, func(t *testing.T, newServer func(string) (*Server, error)) {
		testutil.CheckLeaks(t)
		s, _ := serve(t, newServer)
		connectIdle(t, s.Addr(), 1)
		before, _ := blocking.OSThreads(0)
		conns := connectIdle(t, s.Addr(), 200)
		for i, c := range conns {
			testutil.Echo(t, c, fmt.Sprintf("again %d\n", i))
		}
		after, _ := blocking.OSThreads(0)
		t.Logf("%s: %d OS threads with 1 connection, %d with 201", s.name, before, after)
		if after-before > 3 {
			t.Errorf("threads grew from %d to %d with 200 connections", before, after)
		}
	})
}
