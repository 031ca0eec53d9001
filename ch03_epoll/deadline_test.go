// Deadline: runs once when due, moves later and earlier, clears, stops, and costs the heap one
// entry and no allocation however often it moves.

package ioloop

import (
	"testing"
	"time"
)

// deadlineLoop is a loop on the platform's default monitor: deadlines do not depend on it.
func deadlineLoop(t *testing.T) *IOLoop {
	t.Helper()
	l, _ := newLoop(t, testBackends()[0])
	return l
}

func TestDeadlineRunsOnceWhenDue(t *testing.T) {
	l := deadlineLoop(t)
	start := time.Now()
	var runs []time.Duration
	d := l.NewDeadline(func() { runs = append(runs, time.Since(start)) })
	d.Set(20 * time.Millisecond)
	l.CallLater(60*time.Millisecond, l.Stop)
	run(t, l)
	if len(runs) != 1 || runs[0] < 20*time.Millisecond {
		t.Fatalf("a 20 ms deadline ran after %v, want once, after 20 ms or more", runs)
	}
}

// A deadline moved later, as a connection's is at every request, runs at the last time set and
// keeps one entry in the heap.
func TestDeadlineMovedLater(t *testing.T) {
	l := deadlineLoop(t)
	start := time.Now()
	var ranAt time.Duration
	d := l.NewDeadline(func() { ranAt = time.Since(start); l.Stop() })
	d.Set(10 * time.Millisecond)
	for i := 1; i <= 4; i++ {
		l.CallLater(time.Duration(i)*5*time.Millisecond, func() {
			d.Set(20 * time.Millisecond)
			if n := liveTimeouts(l); n > 6 {
				t.Errorf("%d heap entries after moving the deadline %d times", n, i)
			}
		})
	}
	run(t, l)
	if ranAt < 40*time.Millisecond {
		t.Fatalf("set at 20 ms for 20 ms, it ran after %v, want 40 ms or more", ranAt)
	}
}

// A deadline moved earlier runs at the earlier time, not at the one its entry had.
func TestDeadlineMovedEarlier(t *testing.T) {
	l := deadlineLoop(t)
	start := time.Now()
	var ranAt time.Duration
	d := l.NewDeadline(func() { ranAt = time.Since(start); l.Stop() })
	d.Set(time.Hour)
	d.Set(10 * time.Millisecond)
	run(t, l) // the watchdog fails the test if the entry still waits for the hour
	if ranAt < 10*time.Millisecond {
		t.Fatalf("a 10 ms deadline ran after %v", ranAt)
	}
	if n := liveTimeouts(l); n != 0 {
		t.Fatalf("%d live heap entries after the deadline ran, want 0", n)
	}
}

// Clear stops it running; its entry leaves the heap when it comes due; Set arms it again.
func TestDeadlineClearAndSetAgain(t *testing.T) {
	l := deadlineLoop(t)
	runs := 0
	d := l.NewDeadline(func() { runs++; l.Stop() })
	d.Set(5 * time.Millisecond)
	d.Clear()
	l.CallLater(20*time.Millisecond, func() {
		if runs != 0 {
			t.Errorf("a cleared deadline ran")
		}
		if d.timer.index >= 0 {
			t.Errorf("a cleared deadline's entry is still in the heap after its time")
		}
		d.Set(5 * time.Millisecond)
	})
	run(t, l)
	if runs != 1 {
		t.Fatalf("set again after Clear, it ran %d times, want once", runs)
	}
}

// The function may set the deadline again, for a periodic check.
func TestDeadlineSetFromItsFunction(t *testing.T) {
	l := deadlineLoop(t)
	runs := 0
	var d *Deadline
	d = l.NewDeadline(func() {
		if runs++; runs == 3 {
			l.Stop()
			return
		}
		d.Set(time.Millisecond)
	})
	d.Set(time.Millisecond)
	run(t, l)
	if runs != 3 {
		t.Fatalf("ran %d times, want 3", runs)
	}
}

// Stop takes the entry off the loop for good: the function never runs, Set is ignored, and
// compaction can drop the entry. A nil Deadline's methods do nothing.
func TestDeadlineStop(t *testing.T) {
	l := deadlineLoop(t)
	d := l.NewDeadline(func() { t.Error("a stopped deadline ran") })
	d.Set(time.Millisecond)
	d.Stop()
	d.Set(time.Millisecond)
	if l.timers.cancelled != 1 {
		t.Fatalf("Stop counted %d cancellations, want 1", l.timers.cancelled)
	}
	l.CallLater(10*time.Millisecond, l.Stop)
	run(t, l)
	if n := liveTimeouts(l); n != 0 {
		t.Fatalf("%d live heap entries left, want 0", n)
	}
	d.Stop() // twice is harmless
	var none *Deadline
	none.Set(time.Millisecond)
	none.Clear()
	none.Stop()
}

// Moving a deadline, later or earlier, and clearing it allocate nothing.
func TestDeadlineAllocatesNothing(t *testing.T) {
	l := deadlineLoop(t)
	d := l.NewDeadline(func() {})
	d.Set(time.Hour)
	allocs := testing.AllocsPerRun(1000, func() {
		d.Set(2 * time.Hour)
		d.Clear()
		d.Set(time.Minute)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per Set, Clear, Set; want none", allocs)
	}
	if n := liveTimeouts(l); n != 1 {
		t.Fatalf("%d live heap entries, want the deadline's one", n)
	}
}

// What moving a deadline costs, the price a connection pays per request for its timeouts: a
// clock read and a store (the entry moves in the heap only when it comes due). For comparison,
// the CallLater and RemoveTimeout pair that a timeout per request would cost.
func BenchmarkDeadlineSet(b *testing.B) {
	l := benchLoop(b)
	d := l.NewDeadline(func() {})
	for b.Loop() {
		d.Set(time.Minute)
	}
}

func BenchmarkCallLaterRemoveTimeout(b *testing.B) {
	l := benchLoop(b)
	b.ReportAllocs()
	for b.Loop() {
		l.RemoveTimeout(l.CallLater(time.Minute, func() {}))
	}
}

// benchLoop is a loop on the default monitor, closed when the benchmark ends.
func benchLoop(b *testing.B) *IOLoop {
	l, err := New()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}
