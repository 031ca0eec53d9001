// Giving the memory of closed connections back to the OS. Tornado needs nothing of the kind:
// CPython frees a buffer the moment its last reference goes (reference counting).

package nonblocking

import (
	"runtime/debug"
	"sync"
	"time"
)

// Memory a server lets go is not given back to the OS when the last reference goes. It becomes
// garbage, which the Go heap frees at its next collection, and a collection comes when the
// program has allocated as much again as was live after the last one, or every two minutes
// (the runtime's forced GC). A server whose stalled clients have just left allocates almost
// nothing, so it waits the two minutes. Freed, the pages are still in the process's RSS until
// the runtime's background scavenger (runtime/mgcscavenge.go) returns them: it works at about
// 1% of one CPU, keeps 10% above the heap's goal, and skips memory that was densely used during
// the last cycle, so most of it waits for the forced GC after that. Measured on ch03/epoll, 300
// stalled clients left 366 MiB behind for about three minutes.
//
// debug.FreeOSMemory collects at once and returns every free page, whatever the scavenger's
// heuristics. It costs one full collection and the release itself (measured: 5 to 12 ms with
// 24 MiB to give back beside a live heap of 4 to 35 MiB, of which the loop stood still only for
// the collector's pauses, a millisecond at most) and page faults for memory allocated again
// later, so it is asked for only after a large release, at most once per returnDelay, and on a
// goroutine of its own: the loop goes on serving meanwhile.
const (
	// ReturnThreshold is how many bytes of buffers closing connections must let go before the
	// process gives free memory back to the OS: 1 MiB, sixteen stalled clients at
	// MaxPendingOutput. Connections that close owing nothing, the usual case, count nothing.
	ReturnThreshold = 1 << 20
	// returnDelay is how long the return waits once the threshold is crossed, so that a crowd
	// of clients leaving together is returned in one collection.
	returnDelay = 500 * time.Millisecond
)

// returner counts what closing connections let go, for every server in the process.
var returner struct {
	mu       sync.Mutex
	released int   // bytes let go since the last return
	total    int64 // bytes let go since the process started
	armed    bool  // a return is scheduled
}

// LetGo records that a closing connection let go of a buffer of n bytes (its capacity). Once
// ReturnThreshold bytes have gone, a return of free memory to the OS is scheduled returnDelay
// later. Any goroutine may call it.
func LetGo(n int) {
	if n <= 0 {
		return
	}
	returner.mu.Lock()
	defer returner.mu.Unlock()
	returner.released += n
	returner.total += int64(n)
	if returner.armed || returner.released < ReturnThreshold {
		return
	}
	returner.armed = true
	time.AfterFunc(returnDelay, returnMemory)
}

// LetGoTotal is how many bytes closing connections have let go (LetGo) since the process
// started: what a test reads to know whether a return to the OS is due.
func LetGoTotal() int64 {
	returner.mu.Lock()
	defer returner.mu.Unlock()
	return returner.total
}

// returnMemory runs on the timer's goroutine: the buffers counted so far are garbage by now.
func returnMemory() {
	returner.mu.Lock()
	returner.released, returner.armed = 0, false
	returner.mu.Unlock()
	debug.FreeOSMemory()
}
