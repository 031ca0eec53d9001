// Serve once, Stop from anywhere: the life of every server in the book.

package blocking

import "sync"

// Lifecycle is the state a server keeps about its own life, the promises of net/http's Server
// made once for every server of the book. Serve may run once; Stop may come from any goroutine,
// any number of times, before, during or after Serve, and returns only once everything the
// server owned is released. The zero value is ready to use.
type Lifecycle struct {
	mu       sync.Mutex
	stopping bool          // Stop was called, or Serve has ended
	draining bool          // Shutdown was called: Serve is finishing its connections' work
	serving  bool          // Serve was called
	done     chan struct{} // closed when Serve has released everything
}

// doneLocked returns the channel Serve closes at its end, making it on first use.
func (lc *Lifecycle) doneLocked() chan struct{} {
	if lc.done == nil {
		lc.done = make(chan struct{})
	}
	return lc.done
}

// Begin is the first thing Serve does: it returns ErrServerClosed if Stop came first or
// Serve already ran, and otherwise marks the server as serving.
func (lc *Lifecycle) Begin() error {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.stopping || lc.serving {
		return ErrServerClosed
	}
	lc.serving = true
	return nil
}

// End is the last thing Serve does, once its loop has ended: release runs under the lock (so it
// cannot race with a Stop waking the loop through a descriptor it closes), then every Stop
// waiting is let go. It returns release's error.
func (lc *Lifecycle) End(release func() error) error {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	lc.stopping = true
	err := release()
	close(lc.doneLocked())
	return err
}

// Stop ends the server. The first call either wakes a running Serve (wake, under the lock) or,
// before any Serve, releases at once; every call returns once Serve, if it ran, has ended.
func (lc *Lifecycle) Stop(wake func(), release func() error) error {
	lc.mu.Lock()
	var err error
	if !lc.stopping {
		lc.stopping = true
		if lc.serving {
			wake()
		} else {
			err = release()
		}
	}
	serving, done := lc.serving, lc.doneLocked()
	lc.mu.Unlock()
	if serving {
		<-done
	}
	return err
}

// Shutdown is Stop's graceful form, net/http's Server.Shutdown: the first Shutdown or Stop wakes
// a running Serve with drain, which lets the connections finish their work before Serve ends,
// or, before any Serve, releases at once. A Stop after a Shutdown still wakes Serve, with its
// own wake, to cut the draining short: an impatient second signal. Like Stop, it returns once
// Serve, if it ran, has ended.
func (lc *Lifecycle) Shutdown(drain func(), release func() error) error {
	lc.mu.Lock()
	var err error
	if !lc.stopping && !lc.draining {
		lc.draining = true
		if lc.serving {
			drain()
		} else {
			lc.stopping = true
			err = release()
		}
	}
	serving, done := lc.serving, lc.doneLocked()
	lc.mu.Unlock()
	if serving {
		<-done
	}
	return err
}
