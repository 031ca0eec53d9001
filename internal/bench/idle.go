// Idle connections: what holding them costs in memory, threads and CPU.

package bench

import (
	"fmt"
	"time"
)

// afterFailure is how long a server gets to finish dying once a connection to it has failed:
// a Go program that hit the thread limit is still printing its stacks for a moment.
const afterFailure = 5 * time.Second

// settleTimeout bounds how long runIdle waits for the server's thread count to stop changing.
const settleTimeout = 3 * time.Second

// runIdle opens sc.Conns connections, each served one line, and reads the server's RSS and
// threads with all of them open.
func runIdle(p *Proc, sc Scenario) Result {
	r := Result{Server: p.ID, Scenario: sc}
	before, err := p.Sample()
	if err != nil {
		r.Error = fmt.Sprintf("reading /proc before: %v", err)
		return r
	}
	start := time.Now()
	conns, dialErr := openServed(p.Addr, sc.Conns)
	elapsed := time.Since(start)
	defer closeAll(conns)

	res := &IdleResult{Served: len(conns), Seconds: elapsed.Seconds(), RSSBeforeKiB: before.RSSKiB}
	r.Idle = res
	if dialErr != nil {
		return failed(p, r, dialErr)
	}
	after, err := settle(p)
	if err != nil {
		return failed(p, r, fmt.Errorf("reading /proc after: %w", err))
	}
	if why, died := p.Died(); died {
		r.Died = why
		return r
	}
	res.RSSAfterKiB = after.RSSKiB
	res.Threads = after.Threads
	if n := float64(len(conns)); n > 0 {
		res.RSSPerConnKiB = float64(after.RSSKiB-before.RSSKiB) / n
		res.ThreadsPerConn = float64(after.Threads) / n
	}
	return r
}

// settle samples the server until its thread count has held still for three readings 50 ms
// apart (or settleTimeout passes, or it dies), and returns the last sample. The client has seen
// every echo a moment before each server goroutine is back in its recv; a thread-per-connection
// server starts its last threads then, and at the runtime's limit it dies then, not before.
func settle(p *Proc) (Sample, error) {
	deadline := time.Now().Add(settleTimeout)
	last, err := p.Sample()
	for still := 0; err == nil && still < 3 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		if _, died := p.Died(); died {
			break
		}
		next, nextErr := p.Sample()
		if nextErr != nil {
			return last, nextErr
		}
		if next.Threads == last.Threads {
			still++
		} else {
			still = 0
		}
		last = next
	}
	return last, err
}

// runIdleCPU holds sc.Conns idle connections and measures the server's CPU over window.
func runIdleCPU(p *Proc, sc Scenario, window time.Duration) Result {
	r := Result{Server: p.ID, Scenario: sc}
	conns, err := openServed(p.Addr, sc.Conns)
	defer closeAll(conns)
	if err != nil {
		return failed(p, r, err)
	}
	before, err := p.Sample()
	if err != nil {
		return failed(p, r, err)
	}
	start := time.Now()
	time.Sleep(window) // the measurement window itself: nothing happens, and that is the point
	after, err := p.Sample()
	wall := time.Since(start)
	if err != nil {
		return failed(p, r, err)
	}
	if why, died := p.Died(); died {
		r.Died = why
		return r
	}
	cpu := after.CPUSeconds() - before.CPUSeconds()
	r.IdleCPU = &IdleCPUResult{
		Conns:            len(conns),
		WindowSeconds:    wall.Seconds(),
		CPUSeconds:       cpu,
		CPUPerWallSecond: cpu / wall.Seconds(),
	}
	return r
}

// failed records err as the server's death if it died, or as a client-side error if it lives.
func failed(p *Proc, r Result, err error) Result {
	if why, died := p.DiedWithin(afterFailure); died {
		r.Died = why
	} else {
		r.Error = err.Error()
	}
	return r
}
