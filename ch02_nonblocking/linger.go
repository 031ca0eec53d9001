// The lingering close: how a server ends a connection it has chosen to end without losing what
// it already sent. Tornado 3.2 has none (its IOStream.close closes the socket at once); this is
// what Apache's lingering_close and nginx's lingering_close do.

package nonblocking

import "time"

// A socket closed with input still unread in the kernel is not closed with a FIN: the kernel
// answers with a reset (RST), and a reset makes the peer's kernel throw away what it had not yet
// handed to the application, answers included. A server that ends a connection while the
// client is still sending (a line too long, and the pipelined lines behind it) must therefore
// not just close. It sends what it owes, shuts down its sending side (the client reads all of
// it, then EOF), reads and drops whatever the client still sends until the client closes its
// side, and only then closes: nothing is unread, so nothing is reset.
//
// A client that never closes must not hold the connection for ever, so the draining has two
// bounds, whichever comes first.
const (
	// LingerTimeout is how long a half-closed connection is drained at most: 2 s, counted from
	// the half-close. A client that reads its last answer closes within a round trip; nginx waits
	// up to 30 s in all (lingering_time) and 5 s between two reads (lingering_timeout), Apache 30 s
	// (MAX_SECS_TO_LINGER), Go's net/http does not read at all but waits 500 ms before it closes.
	LingerTimeout = 2 * time.Second
	// LingerMaxBytes is how much a half-closed connection may send before it is closed anyway:
	// 8 MiB, a few times what the kernels' buffers between the two ends hold (a client that
	// wrote everything before it read has that much in flight), and a bound on the work a client
	// that floods can make the server do in LingerTimeout.
	LingerMaxBytes = 8 << 20
)

// lingerQueue holds the connections that are draining, oldest first, each with its deadline.
// Every linger lasts LingerTimeout, so a connection that starts lingering later also ends later:
// a plain FIFO is in deadline order, and a pass looks only at its front. (Chapter 3's loop keeps
// timers of any length, and needs a heap for that.) A connection that finished draining early
// stays queued until its deadline comes round and is then skipped: it is no longer in the
// loop's table, or that descriptor number belongs to a newer connection.
type lingerQueue struct {
	waiting []lingerDeadline
}

type lingerDeadline struct {
	c        *EchoConn
	deadline time.Time
}

// add queues c, which has just half-closed.
func (q *lingerQueue) add(c *EchoConn, now time.Time) {
	q.waiting = append(q.waiting, lingerDeadline{c: c, deadline: now.Add(LingerTimeout)})
}

// expire removes the connections whose deadline has passed, calling end for each, and returns
// how long until the next deadline, or 0 when none is queued.
func (q *lingerQueue) expire(now time.Time, end func(*EchoConn)) time.Duration {
	n := 0
	for n < len(q.waiting) && !now.Before(q.waiting[n].deadline) {
		end(q.waiting[n].c)
		n++
	}
	clear(q.waiting[:n])
	q.waiting = q.waiting[n:]
	if len(q.waiting) == 0 {
		q.waiting = nil
		return 0
	}
	return q.waiting[0].deadline.Sub(now)
}
