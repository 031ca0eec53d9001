// AddCallback: tornado/test/ioloop_test.py's wake-up, closing and exception cases.

package ioloop

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// A callback added from the loop itself (here, from a timeout) runs in the next pass without the
// loop first sleeping in its monitor: nothing else is scheduled, so a sleep would last an hour
// and the watchdog would fail the test.
func TestAddCallbackFromLoopRunsPromptly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		called := false
		l.CallLater(0, func() {
			l.AddCallback(func() {
				called = true
				l.Stop()
			})
		})
		run(t, l)
		if !called {
			t.Fatal("callback did not run")
		}
	})
}

// A callback added from another goroutine wakes a loop asleep in its monitor.
func TestAddCallbackWakesSleepingLoop(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		var dogBarked bool
		dog := l.CallLater(watchdog, func() { dogBarked = true; l.Stop() })
		wait := goStart(t, l)
		eventually(t, "the loop to sleep", l.isSleeping)
		called := make(chan struct{})
		if err := l.AddCallback(func() { close(called); l.Stop() }); err != nil {
			t.Fatal(err)
		}
		if err := wait(); err != nil {
			t.Fatal(err)
		}
		l.RemoveTimeout(dog)
		select {
		case <-called:
		default:
			t.Fatal("callback did not run")
		}
		if dogBarked {
			t.Fatal("the loop slept until the watchdog: AddCallback did not wake it")
		}
	})
}

// Only the first callback added to a sleeping loop writes to the waker; the rest find it woken.
// The loop is not running here: it is put in the state prepareWait leaves it in before waiting,
// so that nothing races with the count.
func TestAddCallbackWakesOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		counter := &countingWaker{waker: l.waker}
		l.waker = counter
		if _, ok := l.prepareWait(time.Hour); !ok || !l.isSleeping() {
			t.Fatal("prepareWait with nothing pending did not mark the loop sleeping")
		}
		for range 100 {
			if err := l.AddCallback(func() {}); err != nil {
				t.Fatal(err)
			}
		}
		l.Stop()
		if counter.wakes != 1 {
			t.Fatalf("100 callbacks and a Stop woke the sleeping loop %d times, want 1", counter.wakes)
		}
	})
}

type countingWaker struct {
	waker
	wakes int
}

func (w *countingWaker) wake() {
	w.wakes++
	w.waker.wake()
}

// Tornado issue #635: add_callback while another thread closes the loop must fail cleanly.
func TestAddCallbackAfterCloseIsAnError(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		closed := make(chan error, 1)
		go func() {
			l.AddCallback(l.Stop)
			if err := l.Start(); err != nil {
				closed <- err
				return
			}
			closed <- l.CloseAll()
		}()
		for i := 0; ; i++ {
			err := l.AddCallback(func() {})
			if errors.Is(err, ErrLoopClosed) {
				break
			}
			if err != nil {
				t.Fatalf("AddCallback: err = %v, want nil or ErrLoopClosed", err)
			}
			if i == 1_000_000 {
				t.Fatal("AddCallback kept succeeding on a closing loop")
			}
		}
		if err := <-closed; err != nil {
			t.Fatalf("Start or CloseAll: %v", err)
		}
		if err := l.AddCallback(func() {}); !errors.Is(err, ErrLoopClosed) {
			t.Fatalf("after close: err = %v, want ErrLoopClosed", err)
		}
	})
}

// A callback's panic is logged and the loop goes on to the next one.
func TestCallbackPanicIsLoggedAndLoopContinues(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, logs := newLoop(t, b)
		after := false
		l.AddCallback(func() { panic("boom in callback") })
		l.AddCallback(func() { after = true; l.Stop() })
		run(t, l)
		if !after {
			t.Fatal("the callback after the panicking one did not run")
		}
		out := logs.String()
		if !strings.Contains(out, "panic in callback") || !strings.Contains(out, "boom in callback") {
			t.Fatalf("log does not report the callback's panic:\n%s", out)
		}
	})
}

// Callbacks run as a snapshot: one that keeps adding itself cannot starve I/O, because what it
// adds waits for the next pass, after the monitor has been asked.
func TestCallbacksAddedDuringAPassWaitForTheNext(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		fds := newFDSet(t)
		a, peer := fds.socketpair()
		write(t, peer, "x")
		spins := 0
		var spin func()
		spin = func() {
			spins++
			l.AddCallback(spin)
		}
		l.AddCallback(spin)
		l.AddHandler(a, func(fd int, _ uint32) {
			drain(t, fd)
			l.RemoveHandler(fd)
			l.Stop()
		}, READ)
		run(t, l)
		// Pass 1: spin; then a zero-timeout wait finds a readable; pass 2: spin, then leave.
		if spins != 2 {
			t.Fatalf("the self-adding callback ran %d times before I/O was handled, want 2", spins)
		}
	})
}
