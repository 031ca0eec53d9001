// Timeouts: tornado/test/ioloop_test.py's remove-after-fire and cleanup cases, and the heap's
// hold on the monitor's timeout.

package ioloop

import (
	"fmt"
	"testing"
	"time"
)

func TestTimeoutsRunInDeadlineOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		var order []string
		note := func(s string) func() { return func() { order = append(order, s) } }
		l.CallLater(20*time.Millisecond, func() { order = append(order, "20ms"); l.Stop() })
		l.CallLater(10*time.Millisecond, note("10ms"))
		l.CallAt(time.Now().Add(5*time.Millisecond), note("5ms (CallAt)"))
		l.CallLater(0, note("0 first"))
		l.CallLater(0, note("0 second")) // equal deadlines: first come, first served
		cancelled := l.CallLater(0, note("cancelled"))
		l.RemoveTimeout(cancelled)
		start := time.Now()
		run(t, l)
		want := "[0 first 0 second 5ms (CallAt) 10ms 20ms]"
		if got := fmt.Sprint(order); got != want {
			t.Fatalf("order = %s, want %s", got, want)
		}
		if elapsed := time.Since(start); elapsed < 20*time.Millisecond {
			t.Fatalf("a 20 ms timeout ran after %v", elapsed)
		}
	})
}

func TestRemoveTimeoutAfterItFiredIsHarmless(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		handle := l.CallLater(0, l.Stop)
		run(t, l)
		before := l.timers.cancelled
		l.RemoveTimeout(handle)
		l.RemoveTimeout(handle)
		l.RemoveTimeout(nil)
		if n := l.timers.cancelled - before; n != 0 {
			t.Fatalf("removing a fired timeout counted %d cancellations", n)
		}
		// The loop still works.
		l.CallLater(0, l.Stop)
		run(t, l)
	})
}

// Tornado's test_remove_timeout_cleanup: 2000 timeouts set and cancelled. Here the heap is
// checked directly: it never holds much more than the 512 cancellations that trigger compaction,
// even before the loop runs, and it is empty after a pass.
func TestCancelledTimeoutsDoNotGrowTheHeap(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		// A live timeout ahead of them, so that cancelled entries never reach the top of the
		// heap and only compaction can remove them.
		live := l.CallLater(time.Hour, func() {})
		largest := 0
		for range 2000 {
			l.RemoveTimeout(l.CallLater(2*time.Hour, func() {}))
			largest = max(largest, len(l.timers.heap))
		}
		if limit := 2*compactMin + 2; largest > limit {
			t.Fatalf("the heap grew to %d entries for 1 live timeout, want at most %d", largest, limit)
		}
		l.RemoveTimeout(live)
		// Two passes, as in Tornado's test; a callback is always pending, so the loop never
		// sleeps and needs no watchdog (whose timer would sit in the heap).
		l.AddCallback(func() { l.AddCallback(l.Stop) })
		if err := l.Start(); err != nil {
			t.Fatal(err)
		}
		if n := len(l.timers.heap); n != 0 {
			t.Fatalf("after a pass the heap holds %d entries, want 0", n)
		}
		if n := l.timers.cancelled; n != 0 {
			t.Fatalf("cancellation count = %d, want 0", n)
		}
	})
}

// The earliest deadline bounds the monitor's sleep; nothing scheduled means an hour; a pending
// callback means no sleep at all.
func TestNextDeadlineSetsTheWaitTimeout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		if got := l.runTimeouts(); got != maxWait {
			t.Fatalf("nothing scheduled: wait %v, want %v", got, maxWait)
		}
		l.CallLater(10*time.Hour, func() {})
		if got := l.runTimeouts(); got != maxWait {
			t.Fatalf("next deadline in 10 h: wait %v, want the %v cap", got, maxWait)
		}
		l.CallLater(time.Minute, func() {})
		if got := l.runTimeouts(); got <= 0 || got > time.Minute {
			t.Fatalf("next deadline in 1 min: wait %v, want (0, 1m]", got)
		}
		if got, ok := l.prepareWait(time.Minute); !ok || got != time.Minute {
			t.Fatalf("prepareWait(1m) = %v, %v; want 1m, true", got, ok)
		}
		l.AddCallback(func() {})
		if got, ok := l.prepareWait(time.Minute); !ok || got != 0 {
			t.Fatalf("callback pending: prepareWait(1m) = %v, %v; want 0, true", got, ok)
		}
	})
}

// A timeout that keeps scheduling an already-due timeout does not keep the pass from reaching
// the monitor: the new one runs in the next pass.
func TestDueTimeoutsDoNotStarveIO(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		fds := newFDSet(t)
		a, peer := fds.socketpair()
		write(t, peer, "x")
		spins := 0
		var spin func()
		spin = func() {
			spins++
			l.CallLater(0, spin)
		}
		l.CallLater(0, spin)
		l.AddHandler(a, func(fd int, _ uint32) {
			drain(t, fd)
			l.RemoveHandler(fd)
			l.Stop()
		}, READ)
		run(t, l)
		if spins != 2 {
			t.Fatalf("the self-scheduling timeout ran %d times before I/O was handled, want 2", spins)
		}
	})
}

func TestTimeoutPanicIsLoggedAndLoopContinues(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, logs := newLoop(t, b)
		l.CallLater(0, func() { panic("boom in timeout") })
		l.CallLater(0, l.Stop)
		run(t, l)
		if out := logs.String(); !contains(out, "panic in timeout", "boom in timeout") {
			t.Fatalf("log does not report the timeout's panic:\n%s", out)
		}
	})
}
