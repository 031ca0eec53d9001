// What this process's accept handlers did, counted: instruments for chapter 5's thundering herd,
// where several processes watch one listening socket. Tornado has none.

package tcpserver

import "sync/atomic"

// AcceptCounts are totals over every accept handler of this process since it started.
type AcceptCounts struct {
	Events   int64 // readable events handled (each is one wake-up of the loop for the listener)
	Accepted int64 // connections accepted
	// WouldBlock counts accept calls answered EAGAIN. Every batch that empties the queue ends
	// with one; a batch whose first accept gets EAGAIN woke for a connection another process took.
	WouldBlock int64
}

var acceptTotals struct{ events, accepted, wouldBlock atomic.Int64 }

// ReadAcceptCounts returns the totals so far.
func ReadAcceptCounts() AcceptCounts {
	return AcceptCounts{
		Events:     acceptTotals.events.Load(),
		Accepted:   acceptTotals.accepted.Load(),
		WouldBlock: acceptTotals.wouldBlock.Load(),
	}
}
