// PeriodicCallback: a function run every interval on the loop. Mirrors tornado/ioloop.py (3.2)
// PeriodicCallback.

package ioloop

import (
	"fmt"
	"time"
)

// PeriodicCallback runs fn every interval on its loop. Its runs are due at start + k*interval;
// when a run overruns (fn, or the rest of the loop, took longer than an interval), the runs that
// were missed are skipped, not made up in a burst: the next run is the first one still in the
// future. Start and Stop belong to the loop's goroutine, like every method but AddCallback and
// Stop on the loop.
type PeriodicCallback struct {
	loop     *IOLoop
	fn       func()
	interval time.Duration
	running  bool
	next     time.Duration // deadline of the next run (of the current one, while fn runs)
	timeout  *Timeout
	runFn    func() // p.run, bound once rather than at every schedule
}

// NewPeriodicCallback prepares fn to run every interval on loop, or on Current() when loop is
// nil. It does nothing until Start. A zero or negative interval is an error matching
// ErrInterval (Tornado raises ValueError).
func NewPeriodicCallback(fn func(), interval time.Duration, loop *IOLoop) (*PeriodicCallback, error) {
	if interval <= 0 {
		return nil, fmt.Errorf("ioloop: periodic callback: %w, got %v", ErrInterval, interval)
	}
	if loop == nil {
		var err error
		if loop, err = Current(); err != nil {
			return nil, err
		}
	}
	p := &PeriodicCallback{loop: loop, fn: fn, interval: interval}
	p.runFn = p.run
	return p, nil
}

// Start schedules the first run one interval from now. Starting a running callback does nothing.
func (p *PeriodicCallback) Start() {
	if p.running {
		return
	}
	p.running = true
	p.next = p.loop.now()
	p.scheduleNext()
}

// Stop cancels the next run. It may be called from fn itself.
func (p *PeriodicCallback) Stop() {
	p.running = false
	p.loop.RemoveTimeout(p.timeout)
	p.timeout = nil
}

// IsRunning reports whether the callback is started.
func (p *PeriodicCallback) IsRunning() bool { return p.running }

func (p *PeriodicCallback) run() {
	p.timeout = nil
	if !p.running {
		return
	}
	p.loop.call("periodic callback", p.fn)
	if p.running && p.timeout == nil { // fn may have stopped and restarted it
		p.scheduleNext()
	}
}

// scheduleNext moves the deadline past now by whole intervals: one when on time, more when runs
// were missed (Tornado adds interval in a loop until the deadline is in the future; the division
// does the same in one step).
func (p *PeriodicCallback) scheduleNext() {
	if now := p.loop.now(); p.next <= now {
		p.next += ((now-p.next)/p.interval + 1) * p.interval
	}
	p.timeout = p.loop.scheduleAt(p.next, p.runFn)
}
