// Start, Stop and Close: a Stop before Start (which Tornado 3.2's start honours by returning at
// once), a nested Start (allowed by Tornado 3.2, an error since 4.0), and the closing rules.

package ioloop

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

func TestStopBeforeStart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		ran := false
		if err := l.AddCallback(func() { ran = true }); err != nil {
			t.Fatal(err)
		}
		l.Stop()
		if err := l.Start(); err != nil {
			t.Fatalf("Start after Stop: %v", err)
		}
		if ran {
			t.Fatal("Start after Stop ran a pass; it must return at once")
		}
		// The stop was used up: the next Start runs, and runs what was queued.
		if err := l.AddCallback(l.Stop); err != nil {
			t.Fatal(err)
		}
		run(t, l)
		if !ran {
			t.Fatal("second Start did not run the queued callback")
		}
	})
}

func TestNestedStartIsAnError(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		var nested error
		l.AddCallback(func() {
			nested = l.Start()
			l.Stop()
		})
		run(t, l)
		if !errors.Is(nested, ErrAlreadyRunning) {
			t.Fatalf("Start inside the loop: err = %v, want ErrAlreadyRunning", nested)
		}
	})
}

func TestStartFromAnotherGoroutineWhileRunning(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		started := make(chan struct{})
		l.AddCallback(func() { close(started) })
		wait := goStart(t, l)
		<-started
		if err := l.Start(); !errors.Is(err, ErrAlreadyRunning) {
			t.Errorf("second Start: err = %v, want ErrAlreadyRunning", err)
		}
		if err := l.Close(); !errors.Is(err, ErrAlreadyRunning) {
			t.Errorf("Close while running: err = %v, want ErrAlreadyRunning", err)
		}
		eventually(t, "the loop to sleep", l.isSleeping)
		l.Stop() // from another goroutine: must wake the sleeping loop
		if err := wait(); err != nil {
			t.Fatalf("Start: %v", err)
		}
	})
}

func TestClosedLoopRefusesWork(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		fds := newFDSet(t)
		a, _ := fds.socketpair()
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := l.Start(); !errors.Is(err, ErrLoopClosed) {
			t.Errorf("Start: err = %v, want ErrLoopClosed", err)
		}
		if err := l.AddHandler(a, func(int, uint32) {}, READ); !errors.Is(err, ErrLoopClosed) {
			t.Errorf("AddHandler: err = %v, want ErrLoopClosed", err)
		}
		if _, err := l.RunSync(func(done Done) { done(nil, nil) }, 0); !errors.Is(err, ErrLoopClosed) {
			t.Errorf("RunSync: err = %v, want ErrLoopClosed", err)
		}
		l.Stop() // harmless
	})
}

func TestCloseAllClosesRegisteredFDs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		fds := newFDSet(t)
		a, peer := fds.socketpair()
		if err := l.AddHandler(a, func(int, uint32) {}, READ); err != nil {
			t.Fatal(err)
		}
		if err := l.CloseAll(); err != nil {
			t.Fatalf("CloseAll: %v", err)
		}
		fds.forget(a)
		if _, err := unix.FcntlInt(uintptr(a), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
			t.Errorf("registered fd after CloseAll: fcntl err = %v, want EBADF", err)
		}
		if _, err := unix.FcntlInt(uintptr(peer), unix.F_GETFD, 0); err != nil {
			t.Errorf("unregistered fd was closed too: %v", err)
		}
	})
}
