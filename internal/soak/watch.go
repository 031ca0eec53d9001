// Watching the server process: its descriptors and memory before, during and after a fault, and
// the checks that call what is left a leak.

package soak

import (
	"sync"
	"time"

	"tornadotcp/internal/bench"
	"tornadotcp/internal/proctree"
)

// Usage is what the server holds at one moment: its process's, and its children's (chapter 5's
// servers serve in children; a child restarted during a fault is counted in its place).
type Usage struct {
	FDs     int   // open descriptors
	Sockets int   // of which sockets: the listener and the connections
	RSSKiB  int64 // resident memory
	Procs   int   // processes counted
}

func readUsage(pid int) (Usage, error) {
	kids, err := proctree.Children(pid)
	if err != nil {
		return Usage{}, err
	}
	var u Usage
	for i, p := range append([]int{pid}, kids...) {
		d, err := bench.ReadDescriptors(p)
		if err == nil {
			var s bench.Sample
			s, err = bench.Read(p)
			u.RSSKiB += s.RSSKiB
		}
		if err != nil {
			if i == 0 {
				return Usage{}, err
			}
			continue // a child that ended meanwhile
		}
		u.FDs += d.Total
		u.Sockets += d.Sockets
		u.Procs++
	}
	return u, nil
}

// The leak checks' bounds.
const (
	// runtimeFDs are the descriptors other than sockets that a server may gain during a fault
	// without leaking: the Go runtime's own epoll instance and its eventfd, which it opens the
	// first time a runtime timer is set, perhaps only once the fault has begun. Sockets have no
	// allowance: every connection the fault opened must be closed once its client has gone.
	runtimeFDs = 2 // per process
	// rssSlackKiB is the growth of RSS between the first and the second half of a repeating fault
	// that is not called a leak, however small the server: a Go server's RSS moves by a few MiB
	// when the runtime grows its heap or its stacks, with nothing kept.
	rssSlackKiB = 8 << 10
	// sampleEvery is how often the server is read while a fault runs.
	sampleEvery = 100 * time.Millisecond
	// maxSamples bounds the samples kept per fault, however long it runs.
	maxSamples = 100_000
)

// fdLeak is how many descriptors after holds beyond before and the allowance.
func fdLeak(before, after Usage) int {
	sockets := max(0, after.Sockets-before.Sockets)
	others := max(0, (after.FDs-after.Sockets)-(before.FDs-before.Sockets)-runtimeFDs*max(1, after.Procs))
	return sockets + others
}

// rssLeak is how far the peak RSS of a fault's second half exceeds the first half's peak plus
// the allowance (0 when it does not): a fault that repeats the same thing over and over levels
// off in memory unless something is kept per repetition. The allowance is a quarter of the
// first half's peak (with GOGC=100 the heap may grow to twice what is live before a collection,
// and a collection may fall in either half) or rssSlackKiB, whichever is larger.
func rssLeak(firstHalf, secondHalf int64) int64 {
	return max(0, secondHalf-firstHalf-max(rssSlackKiB, firstHalf/4))
}

type sample struct {
	at time.Time
	Usage
}

// watcher reads the server every sampleEvery until stopped.
type watcher struct {
	pid     int
	stop    chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	samples []sample
}

func watch(pid int) *watcher {
	w := &watcher{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *watcher) run() {
	defer close(w.done)
	tick := time.NewTicker(sampleEvery)
	defer tick.Stop()
	for {
		if u, err := readUsage(w.pid); err == nil {
			w.mu.Lock()
			if len(w.samples) < maxSamples {
				w.samples = append(w.samples, sample{time.Now(), u})
			}
			w.mu.Unlock()
		}
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
	}
}

// Stop ends the sampling and returns the samples taken.
func (w *watcher) Stop() []sample {
	close(w.stop)
	<-w.done
	return w.samples
}

// peak is the largest of each reading over samples.
func peak(samples []sample) Usage {
	var p Usage
	for _, s := range samples {
		p.FDs = max(p.FDs, s.FDs)
		p.Sockets = max(p.Sockets, s.Sockets)
		p.RSSKiB = max(p.RSSKiB, s.RSSKiB)
	}
	return p
}

// halves are the peak RSS over the first and over the second half of [start, end]; ok is false
// when a half has no sample to judge by (reading 10,000 descriptors takes a while, and a short
// window may hold only a few readings).
func halves(samples []sample, start, end time.Time) (first, second int64, ok bool) {
	mid := start.Add(end.Sub(start) / 2)
	var inFirst, inSecond bool
	for _, s := range samples {
		switch {
		case s.at.Before(start) || s.at.After(end):
		case s.at.Before(mid):
			first, inFirst = max(first, s.RSSKiB), true
		default:
			second, inSecond = max(second, s.RSSKiB), true
		}
	}
	return first, second, inFirst && inSecond
}

// settle waits up to timeout for the server's descriptors to come back to before (within the
// allowance), reading them every 20 ms, and returns the last reading: a server closes a
// connection when it notices its client has gone, a moment after the client has.
func settle(pid int, before Usage, timeout time.Duration) (Usage, error) {
	deadline := time.Now().Add(timeout)
	for {
		u, err := readUsage(pid)
		if err != nil || fdLeak(before, u) == 0 || time.Now().After(deadline) {
			return u, err
		}
		time.Sleep(20 * time.Millisecond) // nothing announces a close in another process
	}
}
