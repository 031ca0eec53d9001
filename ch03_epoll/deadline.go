// Deadline: one timeout per connection that moves with the connection's activity. Tornado 3.2
// has no connection timeouts; Tornado 4.0's HTTP server wraps each read in gen.with_timeout,
// which adds a timeout to the heap and removes it again for every request.

package ioloop

import (
	"container/heap"
	"time"
)

// A Deadline runs its function on the loop once the time given to its last Set has passed,
// unless it is set again or cleared first: a read deadline for one connection, which a server
// pushes back each time the connection shows life (net.Conn's SetReadDeadline, on the loop).
//
// Set and Clear cost a clock read and a store, not a timeout each. The Deadline owns one heap
// entry, reused for ever. Moving the deadline later leaves the entry where it is: when it comes
// due, it finds the deadline has moved and goes back into the heap for the time that is left
// (Netty's IdleStateHandler waits for idle connections the same way). Clear leaves it too, and
// it then leaves the heap without running anything. Only a deadline moved earlier than the
// entry's time moves the entry, in place. So a connection that answers a request every
// millisecond, setting its deadline each time, costs the heap one operation per timeout period.
//
// A nil *Deadline is one that is never set: its methods do nothing, so a server without a
// timeout passes nil around and costs nothing. Like all of the loop, a Deadline belongs to the
// loop's goroutine.
type Deadline struct {
	timer   Timeout       // the heap entry: in the heap while armed; its fn is fire then
	at      time.Duration // when fn is due, on the loop's clock, while set
	set     bool
	stopped bool
	fn      func()
	fire    func() // d.expire, made into a value once
}

// NewDeadline makes a Deadline that runs fn. It is not set.
func (l *IOLoop) NewDeadline(fn func()) *Deadline {
	d := &Deadline{fn: fn}
	d.timer = Timeout{loop: l, index: -1}
	d.fire = d.expire
	return d
}

// Set makes fn due after dur, counted from now, in place of any earlier Set. A dur of zero or
// less makes it due at once: it runs in the loop's next pass. After Stop, Set does nothing.
func (d *Deadline) Set(dur time.Duration) {
	if d == nil || d.stopped {
		return
	}
	l := d.timer.loop
	d.at, d.set = addSat(l.now(), dur), true
	switch t := &d.timer; {
	case t.index >= 0 && t.deadline <= d.at:
		// Armed no later than needed: expire puts it back for the rest.
	case t.index >= 0:
		t.deadline = d.at
		heap.Fix(&l.timers.heap, t.index)
	case t.fn != nil:
		// Taken off the heap to run in this pass: expire will see the new time.
	default:
		l.push(t, d.at, d.fire)
	}
}

// Clear unsets the deadline: fn will not run until Set is called again.
func (d *Deadline) Clear() {
	if d != nil {
		d.set = false
	}
}

// Stop clears the deadline for good and takes its entry off the loop, so that nothing the
// deadline's function holds (a closed connection) stays reachable from the heap. Call it when
// the connection closes.
func (d *Deadline) Stop() {
	if d == nil {
		return
	}
	d.set, d.stopped = false, true
	d.timer.loop.RemoveTimeout(&d.timer)
}

// expire runs when the entry comes due; runTimeouts has taken it off the heap.
func (d *Deadline) expire() {
	if !d.set {
		return
	}
	l := d.timer.loop
	if d.at > l.now() {
		l.push(&d.timer, d.at, d.fire)
		return
	}
	d.set = false
	d.fn()
}
