// A client that sends and never reads costs the server chapter 2's bound, MaxPendingOutput, and
// the server serves others beside it.

package ioloop_test

import (
	"testing"

	blocking "tornadotcp/ch01_blocking"
	nonblocking "tornadotcp/ch02_nonblocking"
	"tornadotcp/internal/testutil"
)

// stalledBudget is chapter 2's: what a connection may owe (MaxPendingOutput and the lines of the
// read that crossed it) in an array that append grew for it (up to half as much again), an
// unfinished line of that read, and the connection itself.
const stalledBudget = (nonblocking.MaxPendingOutput+blocking.RecvBufferSize)*3/2 + blocking.RecvBufferSize + 1<<10

func TestEchoServerBoundsStalledClients(t *testing.T) {
	forEachMonitor(t, func(t *testing.T, m monitor) {
		s, _ := newServer(t, m, nil)
		serve(t, s)
		st := testutil.StallClients(t, s.Addr(), 50, testutil.EchoPayload)
		t.Logf("a stalled client costs %.1f KiB of heap (budget %.1f KiB)", float64(st.PerClient)/1024, float64(stalledBudget)/1024)
		if st.PerClient > stalledBudget {
			t.Errorf("a stalled client costs %d bytes of heap, want at most %d", st.PerClient, stalledBudget)
		}
		testutil.Echo(t, testutil.Dial(t, s.Addr()), "still serving\n")
	})
}
