// Timeouts: functions to run at a time, on a heap whose earliest deadline sets how long the loop
// may sleep in its monitor. Mirrors tornado/ioloop.py (3.2) add_timeout, remove_timeout, _Timeout
// and the timeout phase of PollIOLoop.start.

package ioloop

import (
	"container/heap"
	"math"
	"time"
)

// compactMin is how many cancelled timeouts may wait in the heap before it is compacted (when
// they are also more than half of it): Tornado's 512.
const compactMin = 512

// A Timeout is the handle CallLater and CallAt return, for RemoveTimeout.
type Timeout struct {
	loop     *IOLoop
	deadline time.Duration // on the loop's clock (IOLoop.now)
	seq      uint64        // order of creation: equal deadlines run first come, first served
	fn       func()        // nil once run or cancelled
	index    int           // position in the heap, -1 when not in it
}

type timerState struct {
	heap      timeoutHeap
	cancelled int // cancelled timeouts still in the heap
	seq       uint64
	due       []*Timeout // reused by runTimeouts
}

// CallLater runs fn on the loop after d (Tornado 3.2's add_timeout with a timedelta; the names
// call_later and call_at arrived in Tornado 4.0).
func (l *IOLoop) CallLater(d time.Duration, fn func()) *Timeout {
	return l.scheduleAt(addSat(l.now(), d), fn)
}

// CallAt runs fn on the loop at t. A t from time.Now carries a monotonic reading, and the wait is
// measured on it; a t built from a date is compared on the wall clock once, here (Tornado 3.2's
// add_timeout with a number, a deadline on the loop's clock).
func (l *IOLoop) CallAt(t time.Time, fn func()) *Timeout {
	return l.scheduleAt(addSat(l.now(), time.Until(t)), fn)
}

func (l *IOLoop) scheduleAt(deadline time.Duration, fn func()) *Timeout {
	t := &Timeout{loop: l}
	l.push(t, deadline, fn)
	return t
}

// push puts t, which is not in the heap, into it to run fn at deadline.
func (l *IOLoop) push(t *Timeout, deadline time.Duration, fn func()) {
	ts := &l.timers
	ts.seq++
	t.deadline, t.seq, t.fn = deadline, ts.seq, fn
	heap.Push(&ts.heap, t)
}

// RemoveTimeout cancels t. A timeout that has already run, or was cancelled, or is nil, is left
// alone. Like Tornado, it only marks the entry: taking it out of the middle of the heap is not
// needed, as a cancelled entry is dropped when it reaches the top. So that a program which sets
// and cancels many timeouts (one per request, say) does not grow the heap without end, the heap
// is compacted once the cancelled entries pass compactMin and half the heap; that costs O(n)
// after at least n/2 cancellations, so O(1) each. Go's runtime does the same with its stopped
// timers (its "zombies", cleaned out once they pass a quarter of the heap). Tornado compacts
// during the loop's pass; here it happens at once, so the heap stays bounded even while the loop
// is not running.
func (l *IOLoop) RemoveTimeout(t *Timeout) {
	if t == nil || t.loop != l || t.fn == nil {
		return
	}
	t.fn = nil
	if t.index < 0 {
		return // taken off the heap to run in this pass
	}
	ts := &l.timers
	ts.cancelled++
	if ts.cancelled > compactMin && ts.cancelled > len(ts.heap)/2 {
		ts.compact()
	}
}

func (ts *timerState) compact() {
	live := ts.heap[:0]
	for _, t := range ts.heap {
		if t.fn == nil {
			t.index = -1
			continue
		}
		t.index = len(live)
		live = append(live, t)
	}
	clear(ts.heap[len(live):])
	ts.heap = live
	ts.cancelled = 0
	heap.Init(&ts.heap)
}

// runTimeouts runs every timeout that is due and returns how long the loop may then sleep: until
// the next deadline, at most maxWait. The due ones are taken off the heap first and run after,
// so a timeout that schedules another already-due one cannot keep this pass going for ever (the
// new one runs in the next pass, after I/O has had its turn).
func (l *IOLoop) runTimeouts() time.Duration {
	ts := &l.timers
	if len(ts.heap) == 0 {
		return maxWait
	}
	now := l.now()
	due := ts.due[:0]
	for len(ts.heap) > 0 {
		top := ts.heap[0]
		if top.fn != nil && top.deadline > now {
			break
		}
		heap.Pop(&ts.heap)
		if top.fn == nil {
			ts.cancelled--
			continue
		}
		due = append(due, top)
	}
	for _, t := range due {
		if fn := t.fn; fn != nil { // an earlier one in this batch may have cancelled it
			t.fn = nil
			l.call("timeout", fn)
		}
	}
	clear(due)
	ts.due = due[:0]
	if len(ts.heap) == 0 {
		return maxWait
	}
	return min(max(ts.heap[0].deadline-l.now(), 0), maxWait)
}

// addSat adds without overflowing: CallLater(math.MaxInt64) means never, not the distant past.
func addSat(a, b time.Duration) time.Duration {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// timeoutHeap is a min-heap by deadline for container/heap; each entry knows its index so that
// compaction and the "already run" test need no search.
type timeoutHeap []*Timeout

func (h timeoutHeap) Len() int { return len(h) }

func (h timeoutHeap) Less(i, j int) bool {
	if h[i].deadline != h[j].deadline {
		return h[i].deadline < h[j].deadline
	}
	return h[i].seq < h[j].seq
}

func (h timeoutHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *timeoutHeap) Push(x any) {
	t := x.(*Timeout)
	t.index = len(*h)
	*h = append(*h, t)
}

func (h *timeoutHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}
