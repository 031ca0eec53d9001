// Instance and Current: tornado/test/ioloop_test.py's TestIOLoopCurrent and run_sync's current.

package ioloop

import (
	"testing"

	"tornadotcp/internal/testutil"
)

func TestInstanceIsOneLoopUntilClosed(t *testing.T) {
	testutil.CheckLeaks(t)
	if Initialized() {
		t.Fatal("Initialized before any Instance call")
	}
	first, err := Instance()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Instance()
	if err != nil {
		t.Fatal(err)
	}
	if first != again || !Initialized() {
		t.Fatal("Instance returned two different loops, or Initialized is false")
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if Initialized() {
		t.Fatal("Initialized after the instance was closed")
	}
	fresh, err := Instance()
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if fresh == first {
		t.Fatal("Instance handed out the closed loop again")
	}
}

// Inside a running loop, Current is that loop, on every backend and on every OS.
func TestCurrentIsTheRunningLoop(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		got, err := l.RunSync(func(done Done) {
			current, err := Current()
			done(current, err)
		}, watchdog)
		if err != nil {
			t.Fatal(err)
		}
		if got != l {
			t.Fatal("Current inside the loop is not the running loop")
		}
		if Initialized() {
			t.Fatal("Current inside a running loop created the Instance loop")
		}
	})
}
