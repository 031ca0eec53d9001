// Current on Linux tells goroutines apart by their thread.

package ioloop

import (
	"testing"
)

// While two loops run on two goroutines, each sees itself as Current, and a third goroutine,
// running no loop, gets the Instance loop.
func TestCurrentTellsGoroutinesApart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		one, _ := newLoop(t, b)
		two, _ := newLoop(t, b)
		seen := make(chan *IOLoop, 2)
		for _, l := range []*IOLoop{one, two} {
			l.AddCallback(func() {
				current, err := Current()
				if err != nil {
					t.Error(err)
				}
				seen <- current
			})
		}
		waitOne, waitTwo := goStart(t, one), goStart(t, two)
		first, second := <-seen, <-seen
		if !(first == one && second == two || first == two && second == one) {
			t.Error("a running loop's callback did not see its own loop as Current")
		}

		outside, err := Current()
		if err != nil {
			t.Fatal(err)
		}
		instance, err := Instance()
		if err != nil {
			t.Fatal(err)
		}
		defer instance.Close()
		if outside != instance || outside == one || outside == two {
			t.Error("Current outside any loop is not the Instance loop")
		}
		one.Stop()
		two.Stop()
		if err := waitOne(); err != nil {
			t.Error(err)
		}
		if err := waitTwo(); err != nil {
			t.Error(err)
		}
	})
}
