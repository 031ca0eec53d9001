// The text of the loop's errors: each says where it came from once.

package ioloop

import (
	"fmt"
	"testing"
	"time"
)

func TestErrorMessages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fds := newFDSet(t)
		a, _ := fds.socketpair()
		l, _ := newLoop(t, b)

		var nested error
		l.AddCallback(func() { nested = l.Start(); l.Stop() })
		run(t, l)
		_, timedOut := l.RunSync(func(Done) {}, time.Millisecond)
		_, panicked := l.RunSync(func(Done) { panic("boom") }, 0)
		_, interval := NewPeriodicCallback(func() {}, 0, l)
		updated := l.UpdateHandler(a, READ)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		want := []struct {
			what string
			err  error
			text string
		}{
			{"nested Start", nested, "ioloop: start: loop is already running"},
			{"RunSync timing out", timedOut, "ioloop: run sync after 1ms: operation timed out"},
			{"RunSync panicking", panicked, "ioloop: run sync: function panicked: boom"},
			{"zero interval", interval, "ioloop: periodic callback: interval must be positive, got 0s"},
			{"UpdateHandler unknown", updated,
				fmt.Sprintf("ioloop: update handler for fd %d: fd not registered", a)},
			{"AddCallback closed", l.AddCallback(func() {}), "ioloop: add callback: loop is closed"},
			{"Start closed", l.Start(), "ioloop: start: loop is closed"},
			{"AddHandler closed", l.AddHandler(a, func(int, uint32) {}, READ),
				fmt.Sprintf("ioloop: add handler for fd %d: loop is closed", a)},
		}
		for _, w := range want {
			if w.err == nil || w.err.Error() != w.text {
				t.Errorf("%s: err = %v, want %q", w.what, w.err, w.text)
			}
		}
	})
}

// The monitors name the system call and the fd once, then the kernel's reason.
func TestPollerErrorMessages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fds := newFDSet(t)
		a, _ := fds.socketpair()
		p := newPoller(t, b)
		if err := p.Register(a, READ); err != nil {
			t.Fatal(err)
		}
		again := p.Register(a, READ)
		call := map[string]string{"epoll": "epoll_ctl", "epoll-et": "epoll_ctl"}[b.name]
		reason := ""
		if call != "" {
			reason = " (file exists)" // epoll's EEXIST, kept beside the loop's sentinel
		} else {
			call = b.name // kqueue and poll keep their own table
		}
		want := fmt.Sprintf("%s fd %d: fd already registered%s", call, a, reason)
		if again == nil || again.Error() != want {
			t.Errorf("second Register: err = %v, want %q", again, want)
		}
	})
}
