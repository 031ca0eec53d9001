// The loop's wait as the Go runtime sees it: asleep it costs nothing, a stop-the-world does not
// wait for it, and it passes through the scheduler every yieldEvery.

package ioloop

import (
	"runtime"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// A loop with nothing to do sleeps in its monitor: the process uses next to no CPU.
func TestIdleLoopUsesNoCPU(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		dog := l.CallLater(watchdog, l.Stop)
		wait := goStart(t, l)
		eventually(t, "the loop to sleep", l.isSleeping)
		if rate := testutil.CPURate(t, 300*time.Millisecond); rate > 0.05 {
			t.Errorf("idle loop: the process used %.1f%% of a CPU, want under 5%%", rate*100)
		}
		l.Stop()
		if err := wait(); err != nil {
			t.Fatal(err)
		}
		l.RemoveTimeout(dog)
	})
}

// The wait is a system call the scheduler knows about, so a garbage collection started by
// another goroutine stops the world without waiting for the loop to wake. (A wait made with
// RawSyscall would hold its P in the kernel: runtime.GC would return only when the loop did.)
func TestGCDoesNotWaitForASleepingLoop(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		const sleep = time.Minute // the loop's wait; far longer than any collection
		dog := l.CallLater(sleep, l.Stop)
		wait := goStart(t, l)
		eventually(t, "the loop to sleep", l.isSleeping)
		collected := make(chan struct{})
		go func() {
			runtime.GC()
			close(collected)
		}()
		select {
		case <-collected:
		case <-time.After(watchdog):
			t.Errorf("runtime.GC still running after %v while the loop sleeps", watchdog)
		}
		l.Stop()
		if err := wait(); err != nil {
			t.Fatal(err)
		}
		l.RemoveTimeout(dog)
		<-collected
	})
}

// yield hands the loop's turn to the scheduler once yieldEvery has passed since the last time,
// and not before.
func TestYieldEveryFewMilliseconds(t *testing.T) {
	l, _ := newLoop(t, testBackends()[0])
	l.yielded = l.now()
	before := l.yielded
	l.yield()
	if l.yielded != before {
		t.Fatalf("yielded again %v after the last time, want not before %v",
			l.yielded-before, yieldEvery)
	}
	l.yielded = l.now() - yieldEvery
	before = l.now()
	l.yield()
	if l.yielded < before {
		t.Fatalf("not yielded %v after the last time", yieldEvery)
	}
}
