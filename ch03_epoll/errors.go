// The loop's named errors, for errors.Is. Tornado 3.2 raises RuntimeError("IOLoop is closing")
// from add_callback after close and TimeoutError from run_sync; the other situations it lets
// pass (see ErrAlreadyRunning).

package ioloop

import "errors"

var (
	// ErrLoopClosed: the loop was closed; it takes no more callbacks, handlers or runs.
	ErrLoopClosed = errors.New("loop is closed")
	// ErrAlreadyRunning: Start (or RunSync, or Close) on a loop that is running. Tornado 3.2's
	// start runs a nested loop inside the running one, on the same state; Tornado 4.0 made it
	// RuntimeError("IOLoop is already running"), which is the rule here.
	ErrAlreadyRunning = errors.New("loop is already running")
	// ErrTimeout: RunSync's function did not finish in time.
	ErrTimeout = errors.New("operation timed out")
	// ErrStopped: RunSync's loop was stopped by someone else before its function finished.
	ErrStopped = errors.New("loop stopped before the function finished")
	// ErrPanicked: RunSync's function panicked; the error carries the panic value.
	ErrPanicked = errors.New("function panicked")
	// ErrInterval: a PeriodicCallback needs a positive interval.
	ErrInterval = errors.New("interval must be positive")
)
