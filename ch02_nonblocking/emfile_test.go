package nonblocking

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// Out of descriptors, accept fails with EMFILE while the client waits in the queue. The server
// logs it, spends its spare descriptor on the waiting client (whose connection is closed at
// once, instead of waiting in the queue for as long as the shortage lasts), does not spin
// (select and poll sleep until the next client), keeps serving the clients it has, and serves
// a new client once descriptors are free again.
func TestServersSurviveEMFILE(t *testing.T) {
	forEachServer(t, func(t *testing.T, newServer func(string) (*Server, error)) {
		testutil.CheckLeaks(t)
		s, logs := serve(t, newServer)
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
		if s.name != "busypoll" {
			if rate := testutil.CPURate(t, 300*time.Millisecond); rate > 0.3 {
				t.Errorf("%.2f CPU s/s while out of descriptors: the loop spins on accept", rate)
			}
		}
		testutil.Echo(t, first, "still serving\n")

		release()
		fresh := testutil.Dial(t, s.Addr())
		testutil.Echo(t, fresh, fmt.Sprintf("accepted once %s had descriptors again\n", s.name))
		if n := strings.Count(logs.String(), "\n"); n > 3 {
			t.Errorf("%d log lines: %s", n, logs)
		}
	})
}
