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
// another goroutine stops the world without waiting for the loop to wake. A wait made with
// RawSyscall would hold its P in the kernel, and runtime.GC would return only when the loop did;
// but the signal (SIGURG) with which the runtime preempts goroutines would interrupt that wait
// with EINTR and hide the fault, so the test runs in a process with that preemption turned off.
func TestGCDoesNotWaitForASleepingLoop(t *testing.T) {
	t.Setenv("GODEBUG", "asyncpreemptoff=1") // read by the fresh process as it starts
	if testutil.InFreshProcess(t) {
		return
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		const sleep = 4 * watchdog // the loop's wait, which a stalled collection would last
		dog := l.CallLater(sleep, l.Stop)
		wait := goStart(t, l)
		eventually(t, "the loop to sleep", l.isSleeping)
		start := time.Now()
		runtime.GC() // on this goroutine: a stalled world stops the test's timers too
		if took := time.Since(start); took > watchdog {
			t.Errorf("runtime.GC took %v while the loop slept", took)
		}
		l.Stop()
		if err := wait(); err != nil {
			t.Fatal(err)
		}
		l.RemoveTimeout(dog)
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
