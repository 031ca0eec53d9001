// Fairness: while busy clients send all a server takes, a fresh client is still answered soon,
// on every server that serves many clients from one loop. The reference is chapter 3's epoll
// loop, which reads one 4 KiB buffer per connection per pass, measured in the same test.
// (Go's net package is no reference here: its echo writes a line at a time, so its goroutines
// never run dry and the scheduler's 10 ms slices make a fresh client wait long.)

package tests

import (
	"slices"
	"testing"
	"time"

	"tornadotcp/internal/bench"
	"tornadotcp/internal/catalog"
	"tornadotcp/internal/testutil"
)

const (
	// busyClients send as fast as the server takes it: enough that a loop which serves a busy
	// connection until it has nothing more makes a fresh client wait seconds.
	busyClients = 20
	// fairnessProbes fresh clients are timed one after another, and the median is compared.
	fairnessProbes = 15
	// fairnessSlack is how many times the reference's median wait a loop server may take.
	fairnessSlack = 10
	// fairnessFloor keeps the bound from shrinking below what the race detector and a shared
	// 2-core machine cost: they slow the stream's per-request work much more than chapter 3's
	// raw handler. What the test catches is a loop pass of seconds.
	fairnessFloor = 250 * time.Millisecond
	// fairnessReference is the server every loop server is compared with.
	fairnessReference = "ch03/epoll"
)

// The loop servers: every non-blocking server, echo and HTTP.
var fairnessServers = []string{"ch02/busypoll", "ch02/select", "ch02/poll", "ch03/poll", "ch04/echo", "ch04/http"}

// TestFaultFairness: under busyClients that stream echo lines (or pipeline GET /), a fresh
// client's median wait for its one answer on a loop server is within fairnessSlack times the
// reference's (or fairnessFloor), the busy clients are answered meanwhile, and the server
// serves on. The TLS servers are held to the same bound (fault_fairness_tls_test.go).
func TestFaultFairness(t *testing.T) {
	var ref time.Duration
	t.Run(fairnessReference, func(t *testing.T) { ref = fairnessMedian(t, fairnessReference) })
	if ref == 0 {
		t.Fatalf("no reference measured")
	}
	bound := max(fairnessSlack*ref, fairnessFloor)
	for _, id := range fairnessServers {
		t.Run(id, func(t *testing.T) {
			if got := fairnessMedian(t, id); got > bound {
				t.Errorf("a fresh client waited %v (median of %d) under %d busy clients; want at most %v (%s's %v × %d, at least %v)",
					got, fairnessProbes, busyClients, bound, fairnessReference, ref, fairnessSlack, fairnessFloor)
			}
		})
	}
	fairnessTLS(t, bound)
}

// fairnessMedian starts server id, loads it with busy clients, and returns the median wait of
// fairnessProbes fresh clients. It fails the test if a probe fails, if the busy clients were not
// answered while the probes ran, or if the server does not serve a client afterwards.
func fairnessMedian(t *testing.T, id string) time.Duration {
	t.Helper()
	testutil.CheckLeaks(t)
	e, err := catalog.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	http := e.Protocol == "http"
	srv := start(t, e)
	flood, err := bench.StartFlood(srv.Addr(), busyClients, http)
	if err != nil {
		t.Fatal(err)
	}
	defer flood.Stop()
	// The probes start once every busy client could have been answered: the server is busy.
	deadline := time.Now().Add(ioTimeout)
	for flood.Answered() < busyClients<<16 {
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes answered to %d busy clients in %v", flood.Answered(), busyClients, ioTimeout)
		}
		time.Sleep(time.Millisecond)
	}
	before := flood.Answered()
	waits := make([]time.Duration, 0, fairnessProbes)
	for range fairnessProbes {
		d, err := bench.Probe(srv.Addr(), http, ioTimeout)
		if err != nil {
			t.Fatalf("fresh client %d: %v", len(waits)+1, err)
		}
		waits = append(waits, d)
	}
	if flood.Answered() == before {
		t.Errorf("the busy clients got nothing while the fresh ones were answered")
	}
	if err := flood.Stop(); err != nil {
		t.Errorf("a busy client failed: %v", err)
	}
	if _, err := bench.Probe(srv.Addr(), http, ioTimeout); err != nil {
		t.Errorf("after the busy clients left: %v", err)
	}
	slices.Sort(waits)
	median := waits[len(waits)/2]
	t.Logf("%s: fresh clients waited %v (median), %v (slowest) under %d busy clients", id, median, waits[len(waits)-1], busyClients)
	return median
}
