// The loop's thread, seen through gettid.

package ioloop

import (
	"testing"

	"golang.org/x/sys/unix"
)

// Every pass of the loop runs on the same OS thread: Start locks its goroutine to it.
func TestLoopStaysOnOneThread(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		l, _ := newLoop(t, b)
		var tids []int
		var tick func()
		tick = func() {
			tids = append(tids, unix.Gettid())
			if len(tids) == 50 {
				l.Stop()
				return
			}
			l.CallLater(0, tick) // a timeout: each one a separate pass through the monitor
		}
		l.AddCallback(tick)
		run(t, l)
		for i, tid := range tids {
			if tid != tids[0] {
				t.Fatalf("pass %d ran on thread %d, pass 0 on %d", i, tid, tids[0])
			}
		}
	})
}
