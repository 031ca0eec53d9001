// Stalled clients: connections that send and never read. Every non-blocking server must stop
// reading them at a bounded cost, keep serving a fresh client beside them, and once they leave
// let go of what they cost and give it back to the OS. Tornado 3.2's IOStream has no bound on
// its write buffer: an application that writes without waiting for the write to finish buffers
// whatever such a client sends.

package tests

import (
	"crypto/tls"
	"testing"

	nonblocking "tornadotcp/ch02_nonblocking"
	"tornadotcp/internal/catalog"
	"tornadotcp/internal/testutil"
)

const (
	// stalledClients is how many clients stall at once: enough that what each costs stands out
	// of the heap's noise, few enough for select's wall and a quick suite.
	stalledClients = 50
	// stalledBudget is the most heap a stalled client may cost any of the servers: each
	// chapter's own test holds its servers to a tighter, derived bound.
	stalledBudget = 128 << 10
	// stalledSlack is how far above its baseline the heap may stay once they have left.
	stalledSlack = 2 << 20
)

func TestFaultStalledClients(t *testing.T) {
	for _, e := range catalog.All() {
		if e.Chapter() < 2 {
			continue // blocking servers: a thread stuck in send stops reading by itself
		}
		t.Run(e.ID, func(t *testing.T) {
			if e.Procs && e.Chapter() == 5 {
				t.Skip("its connections are served in child processes, and this measures this process's heap")
			}
			testutil.CheckLeaks(t)
			srv := start(t, e)
			payload := testutil.EchoPayload
			if isHTTP(e) {
				payload = testutil.HTTPPayload
			}
			// Over TLS the clients handshake, then send records; their own TLS state is in
			// this process's heap too, so the budget covers both ends.
			var cfg *tls.Config
			if e.TLS() {
				cfg = insecureTLS()
			}
			st := testutil.StallClientsTLS(t, srv.Addr(), stalledClients, payload, cfg)
			t.Logf("%d stalled clients: %.1f KiB of heap each", stalledClients, float64(st.PerClient)/1024)
			if st.PerClient > stalledBudget {
				t.Errorf("a stalled client costs %d bytes of heap, want at most %d", st.PerClient, stalledBudget)
			}
			if err := freshPeer(e, srv.Addr()); err != nil {
				t.Errorf("a fresh client beside %d stalled ones: %v", stalledClients, err)
			}
			letGo := nonblocking.LetGoTotal()
			st.Leave()
			st.WaitFreed(t, stalledSlack)
			letGo = nonblocking.LetGoTotal() - letGo
			// The servers give memory back once their closed connections have let go of
			// nonblocking.ReturnThreshold in buffers; less is not worth a collection, and the
			// heap reuses it. What they let go is counted by the server itself: the heap's
			// growth per client measured here also holds the clients' own buffers (they run in
			// this process), which a return gives back with the rest.
			// Over TLS, what a stalled client costs is mostly crypto/tls's record buffers at
			// both ends, in this process: the server counts only its ciphertext buffers towards
			// the return, so whether one is due cannot be told from here; the live heap must
			// still go back.
			switch {
			case letGo == 0:
				t.Errorf("the server's closing connections let go of no buffer (nonblocking.LetGo)")
			case e.TLS():
				t.Logf("the server let go of %d KiB; both ends' TLS state is in this heap: the return to the OS is not asserted over TLS", letGo>>10)
			case letGo >= nonblocking.ReturnThreshold:
				st.WaitReturned(t, stalledSlack)
			default:
				t.Logf("the server let go of %d KiB: below the %d KiB worth giving back", letGo>>10, nonblocking.ReturnThreshold>>10)
			}
		})
	}
}
