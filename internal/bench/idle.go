// Idle connections: what holding them costs in memory, threads and CPU.

package bench

import (
	"fmt"
	"time"
)

// afterFailure is how long a server gets to finish dying once a connection to it has failed:
// a Go program that hit the thread limit is still printing its stacks for a moment.
const afterFailure = 5 * time.Second

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
	after, err := p.Sample()
	if why, died := p.Died(); died {
		r.Died = why
		return r
	}
	if err != nil {
		r.Error = fmt.Sprintf("reading /proc after: %v", err)
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
