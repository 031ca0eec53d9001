// Several clients at once. A server that serves them concurrently answers a second client while
// the first is still connected; the iterative server of chapter 1 cannot, and that is its lesson,
// so for it the suite asserts the wait instead. Tornado's TCPServer serves them all from one
// thread through its IOLoop; here every chapter must at least serve fifty correctly.

package tests

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// lessonWindow is how long a second client waits for an answer while the first is connected,
// on a server that should make it wait, before the suite concludes that it does. A server that
// should answer is given the full wait, so a busy machine cannot make it fail.
const lessonWindow = 200 * time.Millisecond

// The second-client scenario's one event that depends on whether the server serialises.
const (
	answeredAtOnce = "answered while a is connected"
	keptWaiting    = "not answered while a is connected"
)

func secondClient(t testing.TB, tg target) Transcript {
	a := dial(t, tg, "a")
	a.sendString("a1\n")
	a.expectString("a1\n")
	b := dial(t, tg, "b")
	b.sendString("b1\n")
	window := tg.wait
	if tg.entry.Serialises {
		window = lessonWindow
	}
	answered := b.answeredWithin(window, answeredAtOnce, keptWaiting)
	switch {
	case tg.entry.Serialises && answered:
		t.Errorf("%s serialises clients, yet answered b within %v while a was connected", tg.entry.ID, window)
	case !tg.entry.Serialises && !answered && !b.failed:
		t.Errorf("%s did not answer b within %v while a was connected", tg.entry.ID, window)
	}
	a.sendString("a2\n")
	a.expectString("a2\n")
	a.halfClose()
	a.end(EndEOF)
	// Once a has gone, b is answered in any case.
	b.expectString("b1\n")
	b.sendString("b2\n")
	b.expectString("b2\n")
	b.halfClose()
	b.end(EndEOF)
	return transcriptOf(a, b)
}

// secondClientLesson gives the transcript a server with the given Serialises must produce, from
// one produced by a server with the other: only b's answered-or-waiting event changes.
func secondClientLesson(tr Transcript, serialises bool) Transcript {
	from, to := keptWaiting, answeredAtOnce
	if serialises {
		from, to = answeredAtOnce, keptWaiting
	}
	out := Transcript{Conns: slices.Clone(tr.Conns)}
	for i, c := range out.Conns {
		if c.Name != "b" {
			continue
		}
		events := slices.Clone(c.Events)
		for j, e := range events {
			if e == from {
				events[j] = to
			}
		}
		out.Conns[i].Events = events
	}
	return out
}

const (
	manyClients    = 50
	linesPerClient = 5
)

// fiftyClients connects fifty clients, then each exchanges lines on its own goroutine. Where the
// server is concurrent, every client must have had its first answer while all fifty are
// connected; an iterative server serves them in turn, and each must still get every echo.
func fiftyClients(t testing.TB, tg target) Transcript {
	cs := make([]*client, manyClients)
	for i := range cs {
		cs[i] = dial(t, tg, fmt.Sprintf("c%02d", i))
	}
	together := !tg.entry.Serialises
	var firstAnswers sync.WaitGroup
	firstAnswers.Add(manyClients)
	allAnswered := make(chan struct{})
	go func() {
		firstAnswers.Wait()
		close(allAnswered)
	}()
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			c.sendString(fmt.Sprintf("c%02d line 0\n", i))
			c.expectString(fmt.Sprintf("c%02d line 0\n", i))
			firstAnswers.Done()
			if together && !c.failed {
				select {
				case <-allAnswered:
				case <-time.After(tg.wait):
					c.fail("not all %d clients had an answer within %v: the server does not serve them at once", manyClients, tg.wait)
				}
			}
			two := fmt.Sprintf("c%02d line 1\nc%02d line 2\n", i, i)
			c.sendString(two)
			c.expectString(two)
			for j := 3; j < linesPerClient; j++ {
				line := fmt.Sprintf("c%02d line %d\n", i, j)
				c.sendString(line)
				c.expectString(line)
			}
			c.halfClose()
			c.end(EndEOF)
		})
	}
	wg.Wait()
	return transcriptOf(cs...)
}
