// A client that sends and never reads: each server stops reading it once MaxPendingOutput is
// owed, so what it costs the heap is bounded, and the server serves others beside it.

package nonblocking

import (
	"testing"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/testutil"
)

// stalledBudget is the most heap a stalled connection may hold: what it may owe (MaxPendingOutput
// and the lines of the one read that crossed it) in an array that append grew for it (a large
// slice grows by a quarter and is rounded up to whole pages, so up to half as much again), an
// unfinished line of that read, and the connection itself.
const stalledBudget = (MaxPendingOutput+blocking.RecvBufferSize)*3/2 + blocking.RecvBufferSize + 1<<10

func TestServersBoundStalledClients(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*Server, error)) {
		testutil.CheckLeaks(t)
		s, _ := serve(t, newServer)
		st := testutil.StallClients(t, s.Addr(), 50, testutil.EchoPayload)
		t.Logf("a stalled client costs %.1f KiB of heap (budget %.1f KiB)", float64(st.PerClient)/1024, float64(stalledBudget)/1024)
		if st.PerClient > stalledBudget {
			t.Errorf("a stalled client costs %d bytes of heap, want at most %d", st.PerClient, stalledBudget)
		}
		testutil.Echo(t, testutil.Dial(t, s.Addr()), "still serving\n")
	})
}
