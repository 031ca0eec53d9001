// Echo ping-pong: each connection sends a line and waits for its echo, again and again.

package bench

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"tornadotcp/internal/echoclient"
)

// Ping-pong phases: the connections run through all three without stopping, and only round
// trips completed while measuring count.
const (
	warmingUp int32 = iota
	measuring
	finished
)

// connStats is one connection's share of a run.
type connStats struct {
	latencies  []time.Duration
	mismatches int64
	err        error
}

// runPingPong opens sc.Idle idle connections, then sc.Conns active ones, warms up, and
// measures round trips and the server's CPU over t.PingPong.
func runPingPong(p *Proc, sc Scenario, t Timing) Result {
	r := Result{Server: p.ID, Scenario: sc}
	idle, err := openServed(p.Addr, sc.Idle)
	defer closeAll(idle)
	if err != nil {
		return failed(p, r, fmt.Errorf("idle connections: %w", err))
	}
	active, err := openServed(p.Addr, sc.Conns)
	defer closeAll(active)
	if err != nil {
		return failed(p, r, err)
	}

	var phase atomic.Int32
	stats := make([]connStats, len(active))
	deadline := time.Now().Add(t.WarmUp + t.PingPong + serveTimeout)
	var wg sync.WaitGroup
	for i, c := range active {
		wg.Go(func() { stats[i] = pingPong(c, i, &phase, deadline) })
	}

	before, after, wall, err := measureWindow(p, t, &phase)
	wg.Wait()
	if err != nil {
		return failed(p, r, err)
	}
	res := &PingPongResult{Conns: len(active), IdleConns: len(idle), Seconds: wall.Seconds()}
	var perConn [][]time.Duration
	var connErr error
	for _, s := range stats {
		if s.err != nil && connErr == nil {
			connErr = s.err
		}
		perConn = append(perConn, s.latencies)
		res.Mismatches += s.mismatches
	}
	if connErr != nil {
		return failed(p, r, fmt.Errorf("after %d mismatches: %w", res.Mismatches, connErr))
	}
	all := sortedLatencies(perConn)
	res.Messages = int64(len(all))
	res.PerSecond = float64(res.Messages) / res.Seconds
	res.P50Micros = Micros(Percentile(all, 50))
	res.P99Micros = Micros(Percentile(all, 99))
	res.MaxMicros = Micros(Percentile(all, 100))
	res.CPUSeconds = after.CPUSeconds() - before.CPUSeconds()
	if res.Messages > 0 {
		res.CPUMicrosPerMsg = res.CPUSeconds * 1e6 / float64(res.Messages)
	}
	r.PingPong = res
	return r
}

// measureWindow runs the phases of a timed scenario whose clients are running: it lets them
// warm up, samples the server, lets them run for t.PingPong, and samples it again. The clients
// stop once phase is finished.
func measureWindow(p *Proc, t Timing, phase *atomic.Int32) (before, after Sample, wall time.Duration, err error) {
	time.Sleep(t.WarmUp)
	before, beforeErr := p.Sample()
	phase.Store(measuring)
	start := time.Now()
	time.Sleep(t.PingPong) // the measurement window
	phase.Store(finished)
	wall = time.Since(start)
	after, afterErr := p.Sample()
	return before, after, wall, errors.Join(beforeErr, afterErr)
}

// pingPong is one connection's loop. It runs until the phase is finished, recording the latency
// of every round trip that both started and ended while measuring. A mismatch is counted and
// the loop goes on; any other error ends it.
func pingPong(c *echoclient.Conn, conn int, phase *atomic.Int32, deadline time.Time) connStats {
	var s connStats
	if s.err = c.SetDeadline(deadline); s.err != nil {
		return s
	}
	buf := make([]byte, 0, LineSize)
	for seq := int64(1); ; seq++ {
		before := phase.Load()
		if before == finished {
			return s
		}
		start := time.Now()
		err := roundTrip(c, buf, conn, seq)
		elapsed := time.Since(start)
		if errors.Is(err, ErrMismatch) {
			s.mismatches++
			continue
		}
		if err != nil {
			s.err = err
			return s
		}
		if before == measuring && phase.Load() == measuring {
			s.latencies = append(s.latencies, elapsed)
		}
	}
}
