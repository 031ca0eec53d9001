// Callbacks: the one way into the loop from another goroutine. Mirrors tornado/ioloop.py (3.2)
// add_callback and the callback phase at the top of PollIOLoop.start.

package ioloop

import (
	"fmt"
	"runtime/debug"
)

// AddCallback runs fn on the loop's goroutine at its next pass. It is safe from any goroutine,
// and the only way for another goroutine to touch the loop's state. If the loop is asleep in its
// monitor, the first callback added wakes it through the waker; further callbacks, and callbacks
// added from the loop itself (which is not asleep), cost no system call. After Close it returns
// ErrLoopClosed.
func (l *IOLoop) AddCallback(fn func()) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("ioloop: add callback: %w", ErrLoopClosed)
	}
	l.callbacks = append(l.callbacks, fn)
	l.wakeLocked()
	return nil
}

// runCallbacks runs the callbacks queued before this pass began. Callbacks they add wait for the
// next pass, after the monitor has been asked once: a callback that keeps re-adding itself cannot
// starve I/O. The two slices are swapped pass by pass so neither is reallocated.
func (l *IOLoop) runCallbacks() {
	l.mu.Lock()
	batch := l.callbacks
	l.callbacks = l.spare
	l.mu.Unlock()
	for _, fn := range batch {
		l.call("callback", fn)
	}
	clear(batch) // closures may hold a lot of memory; let it go before the loop sleeps
	l.spare = batch[:0]
}

// call runs fn so that its panic is logged and the loop goes on. kind names what fn was.
func (l *IOLoop) call(kind string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			l.log.Error("ioloop: panic in "+kind, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	fn()
}
