// PeriodicCallback: runs on its interval, skips the runs an overrun missed (Tornado's
// PeriodicCallback does the same), stops, survives a panic.

package ioloop

import (
	"errors"
	"testing"
	"time"
)

type periodicRun struct {
	deadline, start, end time.Duration // on the loop's clock
}

// The first run blocks for 5.5 intervals. The runs due meanwhile are skipped: the next run is due
// at the first whole interval after the overrun ended, not at once (and then again, and again,
// in a burst that makes up the missed ones). Blocking here is the behaviour under test, not a
// way to wait for something.
func TestPeriodicCallbackSkipsOverruns(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		const interval = 20 * time.Millisecond
		var runs []periodicRun
		var pc *PeriodicCallback
		pc, err := NewPeriodicCallback(func() {
			r := periodicRun{deadline: pc.next, start: l.now()}
			if len(runs) == 0 {
				time.Sleep(interval * 11 / 2)
			}
			r.end = l.now()
			runs = append(runs, r)
			if len(runs) == 3 {
				pc.Stop()
				l.Stop()
			}
		}, interval, l)
		if err != nil {
			t.Fatal(err)
		}
		l.AddCallback(pc.Start)
		run(t, l)
		if len(runs) != 3 {
			t.Fatalf("%d runs, want 3", len(runs))
		}
		for i, r := range runs {
			if r.start < r.deadline {
				t.Errorf("run %d started %v before its deadline", i, r.deadline-r.start)
			}
			if (r.deadline-runs[0].deadline)%interval != 0 {
				t.Errorf("run %d's deadline is not a whole number of intervals after the first", i)
			}
			if i > 0 && r.deadline <= runs[i-1].end {
				t.Errorf("run %d was due %v before run %d ended: a missed run was made up, not skipped",
					i, runs[i-1].end-r.deadline, i-1)
			}
		}
		if skipped := (runs[1].deadline-runs[0].deadline)/interval - 1; skipped < 5 {
			t.Errorf("after an overrun of 5.5 intervals, %d runs were skipped, want at least 5", skipped)
		}
	})
}

func TestPeriodicCallbackStopAndRestartFromInside(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		runs := 0
		var pc *PeriodicCallback
		pc, err := NewPeriodicCallback(func() {
			runs++
			switch runs {
			case 1: // a restart from inside must not leave two runs scheduled
				pc.Stop()
				pc.Start()
			case 3:
				pc.Stop()
				l.CallLater(5*time.Millisecond, l.Stop) // a few more passes, to see it stays stopped
			}
		}, time.Millisecond, l)
		if err != nil {
			t.Fatal(err)
		}
		pc.Start()
		if !pc.IsRunning() {
			t.Fatal("IsRunning false after Start")
		}
		pc.Start() // starting twice does nothing
		if n := liveTimeouts(l); n != 1 {
			t.Fatalf("after Start twice, %d runs scheduled, want 1", n)
		}
		run(t, l)
		if runs != 3 {
			t.Fatalf("%d runs, want 3 (stopped after the third)", runs)
		}
		if pc.IsRunning() || liveTimeouts(l) != 0 {
			t.Fatal("a stopped periodic callback is still scheduled")
		}
	})
}

func TestPeriodicCallbackPanicIsLoggedAndItGoesOn(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, logs := newLoop(t, b)
		runs := 0
		var pc *PeriodicCallback
		pc, err := NewPeriodicCallback(func() {
			runs++
			if runs == 1 {
				panic("boom in periodic")
			}
			pc.Stop()
			l.Stop()
		}, time.Millisecond, l)
		if err != nil {
			t.Fatal(err)
		}
		pc.Start()
		run(t, l)
		if runs != 2 {
			t.Fatalf("%d runs, want 2", runs)
		}
		if out := logs.String(); !contains(out, "panic in periodic callback", "boom in periodic") {
			t.Fatalf("log does not report the panic:\n%s", out)
		}
	})
}

func TestPeriodicCallbackNeedsAPositiveInterval(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		if _, err := NewPeriodicCallback(func() {}, d, nil); !errors.Is(err, ErrInterval) {
			t.Errorf("interval %v: err = %v, want ErrInterval", d, err)
		}
	}
}

// liveTimeouts counts the timeouts in l's heap that will still run.
func liveTimeouts(l *IOLoop) int {
	n := 0
	for _, t := range l.timers.heap {
		if t.fn != nil {
			n++
		}
	}
	return n
}
