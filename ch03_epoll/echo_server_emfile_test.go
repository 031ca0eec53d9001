// The echo server out of descriptors: chapter 2's EMFILE test, on the loop.

package ioloop_test

import (
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// Out of descriptors, accept fails with EMFILE while the client waits in the queue. The server
// says so once, spends its spare descriptor on the waiting client (whose connection is closed at
// once), does not spin, keeps serving the clients it has, serves a new client once descriptors
// are free again, and says that too.
func TestEchoServerSurvivesEMFILE(t *testing.T) {
	forEachMonitor(t, func(t *testing.T, m monitor) {
		s, logs := serveNew(t, m)
		first := testutil.Dial(t, s.Addr())
		testutil.Echo(t, first, "before\n")

		// Fill the descriptor table but for one slot, and let the next client's socket take
		// that slot: the server then has none.
		release := testutil.ExhaustDescriptors(t)
		refused := testutil.Dial(t, s.Addr())
		if rest, err := refused.ReadToEOF(); err != nil || len(rest) != 0 {
			t.Errorf("the client at the limit read %q, %v; want its connection closed", rest, err)
		}
		testutil.WaitFor(t, "the server to log EMFILE", func() bool {
			return strings.Contains(logs.String(), "too many open files")
		})
		if rate := testutil.CPURate(t, 300*time.Millisecond); rate > 0.3 {
			t.Errorf("%.2f CPU s/s while out of descriptors: the loop spins on accept", rate)
		}
		testutil.Echo(t, first, "still serving\n")

		release()
		fresh := testutil.Dial(t, s.Addr())
		testutil.Echo(t, fresh, "accepted once descriptors were free again\n")
		log := logs.String()
		if n := strings.Count(log, "\n"); n != 2 || !strings.Contains(log, "accepting again") {
			t.Errorf("want two log lines, the shortage and its end; got %d:\n%s", n, log)
		}
	})
}
