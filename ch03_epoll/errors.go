// The loop's named errors, for errors.Is. Tornado raises RuntimeError("IOLoop is closing"),
// RuntimeError("IOLoop is already running") and TimeoutError for the same situations.

package ioloop

import "errors"

var (
	// ErrLoopClosed: the loop was closed; it takes no more callbacks, handlers or runs.
	ErrLoopClosed = errors.New("ioloop: loop is closed")
	// ErrAlreadyRunning: Start (or RunSync, or Close) on a loop that is running.
	ErrAlreadyRunning = errors.New("ioloop: loop is already running")
	// ErrTimeout: RunSync's function did not finish in time.
	ErrTimeout = errors.New("ioloop: operation timed out")
	// ErrStopped: RunSync's loop was stopped by someone else before its function finished.
	ErrStopped = errors.New("ioloop: loop stopped before the function finished")
	// ErrPanicked: RunSync's function panicked; the error carries the panic value.
	ErrPanicked = errors.New("ioloop: function panicked")
	// ErrInterval: a PeriodicCallback needs a positive interval.
	ErrInterval = errors.New("ioloop: periodic callback interval must be positive")
)
