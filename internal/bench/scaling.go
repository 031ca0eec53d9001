// Multi-process scaling: a CPU-bound request ("burn N", chapter 5) that one process serves one
// at a time on its loop, so requests per second grow only with processes on more cores.

package bench

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"tornadotcp/internal/echoclient"
)

// The scaling scenarios: Conns connections each sending "burn BurnRounds" and waiting for the
// answer, again and again: requests per second, and how many CPUs the server kept busy.
// KindBurn makes the connections one at a time, each answered before the next, as clients
// arriving over time would; KindBurnBurst makes them all at once, and on a socket the
// processes share, the first to wake may accept the whole burst in one batch.
const (
	KindBurn      Kind = "burn"
	KindBurnBurst Kind = "burn-burst"
)

// BurnRounds is the SHA-256 rounds of one request: a few hundred µs of one core, so that the
// request, not the round trip, is what a process spends its time on.
const BurnRounds = 2000

// Burn runs c connections of burn requests, made one at a time.
func Burn(c int) Scenario { return Scenario{Kind: KindBurn, Conns: c} }

// BurnBurst runs c connections of burn requests, made at once.
func BurnBurst(c int) Scenario { return Scenario{Kind: KindBurnBurst, Conns: c} }

// ErrBurnAnswer is an answer to "burn N" that is not "burned N ...".
var ErrBurnAnswer = errors.New("wrong answer to burn")

// BurnResult is what the burn clients got.
type BurnResult struct {
	Conns      int     `json:"conns"`
	Requests   int64   `json:"requests"` // answered in the window
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"requests_per_second"`
	P50Micros  float64 `json:"p50_us"`
	CPUSeconds float64 `json:"server_cpu_seconds"` // every process of the server
	// CPUPerWallSecond is how many cores the server kept busy: near 1 for one process, near 2
	// for two that scale.
	CPUPerWallSecond float64 `json:"cpu_per_wall_second"`
	// ByTask is the connections per process, by whoami's task: a process with none adds nothing.
	ByTask map[string]int `json:"by_task"`
}

// runBurn opens sc.Conns connections, warms up, and counts the answers over t.PingPong.
func runBurn(p *Proc, sc Scenario, t Timing) Result {
	r := Result{Server: p.ID, Scenario: sc}
	var conns []*echoclient.Conn
	var err error
	if sc.Kind == KindBurnBurst {
		conns, err = openServed(p.Addr, sc.Conns)
	} else {
		conns, err = openOneByOne(p.Addr, sc.Conns)
	}
	defer closeAll(conns)
	if err != nil {
		return failed(p, r, err)
	}
	var phase atomic.Int32
	lat := make([][]time.Duration, len(conns))
	errs := make([]error, len(conns))
	deadline := time.Now().Add(t.WarmUp + t.PingPong + serveTimeout)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() { lat[i], errs[i] = burnLoop(c, &phase, deadline) })
	}
	cpu, wall, err := measureWindow(p, t, &phase, wg.Wait)
	if err := errors.Join(append(errs, err)...); err != nil {
		return failed(p, r, err)
	}
	all := sortedLatencies(lat)
	res := &BurnResult{Conns: len(conns), Requests: int64(len(all)), Seconds: wall.Seconds(),
		P50Micros: Micros(Percentile(all, 50)), CPUSeconds: cpu, ByTask: map[string]int{}}
	for _, c := range conns {
		task, _, err := ask(c, "whoami")
		if err != nil {
			return failed(p, r, err)
		}
		res.ByTask[task]++
	}
	res.PerSecond = float64(res.Requests) / res.Seconds
	res.CPUPerWallSecond = res.CPUSeconds / res.Seconds
	r.Burn = res
	return r
}

// openOneByOne opens n connections to addr, each served one echo line before the next is made.
func openOneByOne(addr string, n int) ([]*echoclient.Conn, error) {
	var conns []*echoclient.Conn
	buf := make([]byte, 0, LineSize)
	for i := range n {
		c, err := echoclient.Dial(addr, dialTimeout)
		if err != nil {
			return conns, err
		}
		conns = append(conns, c)
		if err := c.SetDeadline(time.Now().Add(serveTimeout)); err != nil {
			return conns, err
		}
		if err := roundTrip(c, buf, i, 0); err != nil {
			return conns, err
		}
	}
	return conns, nil
}

// burnLoop is one connection: "burn BurnRounds", then the answer, until the phase is finished.
// It returns the latencies of the requests that started and ended while measuring.
func burnLoop(c *echoclient.Conn, phase *atomic.Int32, deadline time.Time) ([]time.Duration, error) {
	if err := c.SetDeadline(deadline); err != nil {
		return nil, err
	}
	req := fmt.Appendf(nil, "burn %d\n", BurnRounds)
	want := fmt.Appendf(nil, "burned %d ", BurnRounds)
	var lat []time.Duration
	for {
		before := phase.Load()
		if before == finished {
			return lat, nil
		}
		start := time.Now()
		if err := c.Send(req); err != nil {
			return lat, err
		}
		in, err := c.ReadLine()
		if err != nil {
			return lat, err
		}
		if !bytes.HasPrefix(in, want) {
			return lat, fmt.Errorf("got %q: %w", in, ErrBurnAnswer)
		}
		if before == measuring && phase.Load() == measuring {
			lat = append(lat, time.Since(start))
		}
	}
}
