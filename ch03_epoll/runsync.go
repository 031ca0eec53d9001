// RunSync: start the loop, run one function to completion, stop. Mirrors tornado/ioloop.py (3.2)
// IOLoop.run_sync, where the function may return a Future; here it reports through done.

package ioloop

import (
	"fmt"
	"sync"
	"time"
)

// Done reports the outcome of RunSync's function. It may be called from any goroutine, once;
// later calls, and calls after RunSync has returned, are ignored.
type Done func(result any, err error)

// RunSync starts the loop, calls fn on it, and stops the loop when fn calls done, returning what
// fn passed to done. fn may call done before it returns (a synchronous result) or later from a
// handler, timeout or another goroutine (Tornado's Future). With a positive timeout, RunSync
// gives up after it with an error matching ErrTimeout; fn's work is abandoned, not cancelled. A
// panic in fn is returned as an error matching ErrPanicked. If someone else stops the loop first,
// the error matches ErrStopped. Calling it on a running loop fails with ErrAlreadyRunning.
func (l *IOLoop) RunSync(fn func(done Done), timeout time.Duration) (any, error) {
	if l.isRunning() {
		return nil, fmt.Errorf("ioloop: run sync: %w", ErrAlreadyRunning)
	}
	r := &syncRun{loop: l}
	if err := l.AddCallback(func() { r.call(fn) }); err != nil {
		return nil, err
	}
	var expiry *Timeout
	if timeout > 0 {
		expiry = l.CallLater(timeout, r.expire)
	}
	err := l.Start()
	l.RemoveTimeout(expiry)
	return r.outcome(err, timeout)
}

func (l *IOLoop) isRunning() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.running
}

// syncRun is one RunSync's state. Its lock is for the goroutine that called RunSync, which reads
// the outcome, and a later Start on another goroutine, which may still run a stale finish.
type syncRun struct {
	loop     *IOLoop
	mu       sync.Mutex
	finished bool // done was called in time
	over     bool // RunSync returned: nothing more may happen
	timedOut bool
	result   any
	err      error
}

func (r *syncRun) call(fn func(done Done)) {
	r.mu.Lock()
	over := r.over
	r.mu.Unlock()
	if over {
		return // queued by a RunSync whose Start returned at once; not this run's business
	}
	defer func() {
		if p := recover(); p != nil {
			r.done(nil, fmt.Errorf("ioloop: run sync: %w: %v", ErrPanicked, p))
		}
	}()
	fn(r.done)
}

// done hands the outcome to the loop's goroutine, where finish stops the loop. Going through
// AddCallback means a done that arrives after RunSync returned only reaches a later run's queue,
// where finish sees the run is over: it cannot stop a loop that is running something else.
func (r *syncRun) done(result any, err error) {
	r.loop.AddCallback(func() { r.finish(result, err) }) // fails only once the loop is closed
}

func (r *syncRun) finish(result any, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished || r.over || r.timedOut {
		return
	}
	r.finished, r.result, r.err = true, result, err
	r.loop.Stop()
}

func (r *syncRun) expire() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.finished {
		r.timedOut = true
		r.loop.Stop()
	}
}

// outcome is read after Start has returned; from then on done is ignored.
func (r *syncRun) outcome(startErr error, timeout time.Duration) (any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.over = true
	switch {
	case startErr != nil:
		return nil, startErr
	case r.finished:
		return r.result, r.err
	case r.timedOut:
		return nil, fmt.Errorf("ioloop: run sync after %v: %w", timeout, ErrTimeout)
	}
	return nil, fmt.Errorf("ioloop: run sync: %w", ErrStopped)
}
