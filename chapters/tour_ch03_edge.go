// Chapter 3's lesson, continued: level- against edge-triggered epoll. In this process, on a
// socketpair, a reader that takes only part of what arrived asks chapter 3's Poller again (the
// reader itself, which needs epoll, is in tour_ch03_edge_linux.go).

package main

import (
	"errors"
	"fmt"
	"time"

	ioloop "tornadotcp/ch03_epoll"
)

// triggerFacts is what the two monitors reported to the same partial reader.
type triggerFacts struct {
	Level, Edge triggerRun
}

// triggerRun is one monitor's answers. Events are the Poller's READ, WRITE and ERROR bits.
type triggerRun struct {
	Sent      string // what the peer wrote first
	First     uint32 // the reader's events once it arrived
	Took      int    // bytes the reader took from it
	Again     uint32 // the events when it asked again, with the rest unread
	Asked     time.Duration
	More      string // what the peer wrote next (edge-triggered only)
	AfterMore uint32 // the events then
	Drained   string // what the reader then read until EAGAIN
}

// errNoStall means the monitors did not differ as chapter 3 says: level-triggered epoll must
// report the unread rest again, and edge-triggered epoll must not until something new arrives.
var errNoStall = errors.New("level- and edge-triggered epoll did not differ")

// The partial reader's script: what arrives, how much it takes, how long it waits for more.
const (
	firstSent = "hello"
	moreSent  = "!"
	takeBytes = 1
	askAgain  = 100 * time.Millisecond
)

// edgeAgainstLevel runs the partial reader against level-triggered epoll (what every server in
// this book uses) and edge-triggered epoll (what Go's runtime uses, with readers that drain).
func edgeAgainstLevel(env *tourEnv) (triggerFacts, error) {
	var f triggerFacts
	var err error
	if f.Level, err = partialReader(false); err != nil {
		return f, fmt.Errorf("level-triggered: %w", err)
	}
	if f.Edge, err = partialReader(true); err != nil {
		return f, fmt.Errorf("edge-triggered: %w", err)
	}
	rest := len(firstSent) - takeBytes
	if f.Level.Again != ioloop.READ || f.Edge.Again != ioloop.NONE || f.Edge.AfterMore != ioloop.READ {
		return f, fmt.Errorf("%w: with %d bytes unread, level said %#x and edge %#x; after more data edge said %#x",
			errNoStall, rest, f.Level.Again, f.Edge.Again, f.Edge.AfterMore)
	}
	env.say("")
	env.say("  Level- against edge-triggered epoll, on a socketpair in this process with chapter 3's Poller.")
	env.say("  %q arrives; a careless reader takes %d byte and asks the monitor again (waiting up to %s):",
		firstSent, takeBytes, askAgain)
	env.say("    level-triggered: READ again at once (%s): %d bytes are still unread, so it keeps saying so", roundDuration(f.Level.Asked), rest)
	env.say("    edge-triggered:  nothing in %s: nothing new arrived, so the %d unread bytes wait, unannounced", roundDuration(f.Edge.Asked), rest)
	env.say("  Then %q arrives: a new edge, READ, and the reader must now read until EAGAIN: it gets %q.", f.Edge.More, f.Edge.Drained)
	env.say("  ch03/epoll is level-triggered, as Tornado is, and makes one recv per event (Tornado's IOStream")
	env.say("  reads until EAGAIN): what is left is reported on the next pass. Go's own runtime registers")
	env.say("  sockets edge-triggered, and its readers drain.")
	return f, nil
}
