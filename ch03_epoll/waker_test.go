// The wakers: readable after wake, however many times, and empty after consume.

package ioloop

import (
	"testing"

	"tornadotcp/internal/testutil"
)

func TestWakers(t *testing.T) {
	for _, c := range []struct {
		name string
		new  func() (waker, error)
	}{
		{"default", newWaker},
		{"pipe", newPipeWaker},
	} {
		t.Run(c.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			w, err := c.new()
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := w.close(); err != nil {
					t.Errorf("close: %v", err)
				}
			}()
			if readable(t, w.fd()) {
				t.Fatal("readable before any wake")
			}
			w.wake()
			if !readable(t, w.fd()) {
				t.Fatal("not readable after wake")
			}
			w.consume()
			if readable(t, w.fd()) {
				t.Fatal("still readable after consume")
			}
			// Far more wakes than a pipe holds (64 KiB): wake must not block, and one
			// consume must empty it, as an edge-triggered monitor needs.
			for range 100_000 {
				w.wake()
			}
			w.consume()
			if readable(t, w.fd()) {
				t.Fatal("still readable after consuming 100,000 wakes")
			}
		})
	}
}
