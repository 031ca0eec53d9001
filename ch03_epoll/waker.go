// The waker: how another goroutine interrupts a loop asleep in epoll_wait. Mirrors the Waker of
// tornado/platform/posix.py (3.2), which the loop registers as an ordinary READ handler.

package ioloop

// A waker is a descriptor the loop watches for READ. wake makes it readable, so the loop's Wait
// returns; the loop's handler calls consume to make it unreadable again. wake is safe from any
// goroutine, and waking an already woken loop does nothing more: the byte or count already
// pending is enough. Both are written to survive edge-triggered polling: consume drains fully.
type waker interface {
	fd() int
	wake()
	consume()
	close() error
}
