// Tests of Lifecycle: Serve once, Stop many times from anywhere, release exactly once.

package blocking

import (
	"errors"
	"sync"
	"testing"
)

func TestLifecycleStopBeforeServeReleasesOnce(t *testing.T) {
	var lc Lifecycle
	releases := 0
	release := func() error { releases++; return nil }
	wake := func() { t.Error("woke a server that was not serving") }
	for range 3 {
		if err := lc.Stop(wake, release); err != nil {
			t.Fatalf("Stop: %v", err)
		}
	}
	if releases != 1 {
		t.Errorf("released %d times, want 1", releases)
	}
	if err := lc.Begin(); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Begin after Stop = %v, want ErrServerClosed", err)
	}
}

func TestLifecycleStopWaitsForServe(t *testing.T) {
	var lc Lifecycle
	if err := lc.Begin(); err != nil {
		t.Fatalf("Begin: %v", err)
	}
	if err := lc.Begin(); !errors.Is(err, ErrServerClosed) {
		t.Errorf("second Begin = %v, want ErrServerClosed", err)
	}
	woken := make(chan struct{})
	var released bool
	var stops sync.WaitGroup
	for range 3 {
		stops.Go(func() {
			lc.Stop(func() { close(woken) }, func() error {
				t.Error("Stop released while Serve was running")
				return nil
			})
			if !released {
				t.Error("Stop returned before Serve ended")
			}
		})
	}
	<-woken // exactly one Stop woke the loop; a second close would panic
	releaseErr := errors.New("close listener: EBADF")
	if err := lc.End(func() error { released = true; return releaseErr }); err != releaseErr {
		t.Errorf("End = %v, want the release's error", err)
	}
	stops.Wait()
}

func TestLifecycleShutdownBeforeServeReleasesOnce(t *testing.T) {
	var lc Lifecycle
	releases := 0
	release := func() error { releases++; return nil }
	drain := func() { t.Error("drained a server that was not serving") }
	if err := lc.Shutdown(drain, release); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := lc.Stop(drain, release); err != nil {
		t.Fatalf("Stop after Shutdown: %v", err)
	}
	if releases != 1 {
		t.Errorf("released %d times, want 1", releases)
	}
	if err := lc.Begin(); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Begin after Shutdown = %v, want ErrServerClosed", err)
	}
}

// A Shutdown drains a running Serve once; a second Shutdown does not drain again, but a Stop
// still wakes it, to cut the draining short; all of them return once Serve has ended.
func TestLifecycleStopCutsShutdownShort(t *testing.T) {
	var lc Lifecycle
	if err := lc.Begin(); err != nil {
		t.Fatalf("Begin: %v", err)
	}
	drained, woken := make(chan struct{}), make(chan struct{})
	var ended bool
	noRelease := func() error { t.Error("released while Serve was running"); return nil }
	var calls sync.WaitGroup
	for range 2 {
		calls.Go(func() {
			lc.Shutdown(func() { close(drained) }, noRelease)
			if !ended {
				t.Error("Shutdown returned before Serve ended")
			}
		})
	}
	<-drained // exactly one Shutdown drained; a second close would panic
	calls.Go(func() {
		lc.Stop(func() { close(woken) }, noRelease)
		if !ended {
			t.Error("Stop returned before Serve ended")
		}
	})
	<-woken
	lc.End(func() error { ended = true; return nil })
	calls.Wait()
}
