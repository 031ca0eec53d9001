// RunSync: tornado/test/ioloop_test.py's TestIOLoopRunSync (result, exception, timeout), with
// done standing in for the Future.

package ioloop

import (
	"errors"
	"testing"
	"time"
)

func TestRunSyncReturnsTheResult(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		got, err := l.RunSync(func(done Done) { done(42, nil) }, watchdog)
		if err != nil || got != 42 {
			t.Fatalf("RunSync = %v, %v; want 42, nil", got, err)
		}
		// Later, from a timeout on the loop (the asynchronous case).
		got, err = l.RunSync(func(done Done) {
			l.CallLater(time.Millisecond, func() { done("later", nil) })
		}, watchdog)
		if err != nil || got != "later" {
			t.Fatalf("RunSync = %v, %v; want later, nil", got, err)
		}
		// From another goroutine.
		got, err = l.RunSync(func(done Done) {
			go done("elsewhere", nil)
		}, watchdog)
		if err != nil || got != "elsewhere" {
			t.Fatalf("RunSync = %v, %v; want elsewhere, nil", got, err)
		}
	})
}

func TestRunSyncReturnsTheError(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		failure := errors.New("division by zero")
		if _, err := l.RunSync(func(done Done) { done(nil, failure) }, watchdog); !errors.Is(err, failure) {
			t.Fatalf("err = %v, want %v", err, failure)
		}
		_, err := l.RunSync(func(Done) { panic("boom in RunSync") }, watchdog)
		if !errors.Is(err, ErrPanicked) || !contains(err.Error(), "boom in RunSync") {
			t.Fatalf("panicking function: err = %v, want ErrPanicked with the panic value", err)
		}
	})
}

// The function waits an hour; RunSync gives up after 10 ms. The loop is left clean: a late done
// from the abandoned function does not stop the next run.
func TestRunSyncTimesOut(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		var late Done
		start := time.Now()
		_, err := l.RunSync(func(done Done) {
			late = done
			l.CallLater(time.Hour, func() { done("too late", nil) })
		}, 10*time.Millisecond)
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("err = %v, want ErrTimeout", err)
		}
		if elapsed := time.Since(start); elapsed < 10*time.Millisecond {
			t.Fatalf("timed out after %v, before the 10 ms timeout", elapsed)
		}
		late("too late", nil)
		got, err := l.RunSync(func(done Done) {
			l.AddCallback(func() { l.AddCallback(func() { done("next", nil) }) })
		}, watchdog)
		if err != nil || got != "next" {
			t.Fatalf("next RunSync = %v, %v; want next, nil (a stale done must not end it)", got, err)
		}
	})
}

func TestRunSyncOnARunningLoopIsAnError(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		_, err := l.RunSync(func(done Done) {
			_, nested := l.RunSync(func(done Done) { done(nil, nil) }, 0)
			done(nil, nested)
		}, watchdog)
		if !errors.Is(err, ErrAlreadyRunning) {
			t.Fatalf("nested RunSync: err = %v, want ErrAlreadyRunning", err)
		}
	})
}

// A stop left over from before (Stop before Start) ends the run before the function runs; the
// function is then dropped, not run by some later Start.
func TestRunSyncStoppedBeforeItRan(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		l.Stop()
		ran := false
		if _, err := l.RunSync(func(done Done) { ran = true; done(nil, nil) }, watchdog); !errors.Is(err, ErrStopped) {
			t.Fatalf("err = %v, want ErrStopped", err)
		}
		l.AddCallback(func() { l.AddCallback(l.Stop) })
		run(t, l)
		if ran {
			t.Fatal("the abandoned function ran in a later Start")
		}
	})
}
