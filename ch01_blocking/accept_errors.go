// What an error of accept(2) means, and how long to leave a listener alone when the process is
// out of descriptors: written once for every accept loop of the book, blocking or not. Mirrors
// the error handling of tornado/netutil.py add_accept_handler (3.2), and goes further.

package blocking

import (
	"errors"
	"log/slog"
	"time"

	"golang.org/x/sys/unix"
)

// The rule every accept loop of the book follows, error by error:
//   - EAGAIN (non-blocking listeners only): the queue is empty; stop accepting until the
//     listener is readable again.
//   - AcceptAgain: that one connection failed, or a signal came; accept the next at once.
//   - OutOfDescriptors: the connection stays queued and the listener stays readable, so an
//     accept tried again at once fails again. Spend the Reserve on the waiting client (Refuse);
//     with nobody waiting, wait for the next client for at most an AcceptBackoff pause (a loop
//     watches the listener; a blocking one calls WaitForClient); where the reserve cannot help,
//     leave the listener alone for the pause.
//   - Anything else: a server that owns its loop stops and returns the error (chapters 1 to 3,
//     as net/http's Serve returns an error that is not temporary); chapter 4's accept handler,
//     which shares its loop with the application, backs off instead.

// AcceptAgain reports an accept that failed for the waiting connection's own reasons, or for a
// signal (EINTR): the next accept may succeed. ECONNABORTED, a client that reset while it was
// queued, is the one Tornado 3.2 skips and Go's net package retries too (internal/poll's
// FD.Accept). Linux's accept(2) also passes on the network errors of the new connection (EPROTO,
// ENOPROTOOPT, EOPNOTSUPP, ENETDOWN, ENETUNREACH, EHOSTDOWN, EHOSTUNREACH, and ENONET, which only
// Linux defines and this list, compiled for the BSDs too, leaves out) and asks that they be
// treated like EAGAIN; Tornado lets them escape and Go's net returns them, so a net/http server
// stops on EPROTO. Here they are skipped.
func AcceptAgain(err error) bool {
	for _, errno := range []unix.Errno{
		unix.ECONNABORTED, unix.EINTR, unix.EPROTO, unix.ENOPROTOOPT, unix.EOPNOTSUPP,
		unix.ENETDOWN, unix.ENETUNREACH, unix.EHOSTDOWN, unix.EHOSTUNREACH,
	} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// OutOfDescriptors reports an accept that failed for want of a descriptor (EMFILE for the
// process, ENFILE for the system) or of kernel memory (ENOBUFS, ENOMEM).
func OutOfDescriptors(err error) bool {
	return errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) ||
		errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.ENOMEM)
}

const (
	// FirstAcceptPause and MaxAcceptPause bound the pauses of an AcceptBackoff: 10 ms, doubling
	// up to 1 s, as Go's net/http Server backs off (5 ms to 1 s) from a temporary accept error.
	FirstAcceptPause = 10 * time.Millisecond
	MaxAcceptPause   = time.Second
)

// AcceptBackoff is what an accept loop keeps while accept fails for want of resources: how long
// to leave the listener alone, and the episode to report. However long the shortage lasts and
// however many retries and refusals it takes, it is logged twice: when it starts and when it ends.
// A server held at its descriptor limit by a steady stream of clients would otherwise log for
// every connection that comes or goes. The zero value is ready: no shortage.
type AcceptBackoff struct {
	since    time.Time     // when the episode began; zero while accept works
	pause    time.Duration // the last pause; 0 until the episode has had one
	failures int           // accepts that failed in the episode
	refused  int           // connections a Reserve closed at once in the episode
}

// Failed notes an accept that failed with err and returns how long to leave the listener alone:
// FirstAcceptPause at first, doubling up to MaxAcceptPause while retries take nothing. progress
// says the attempt took connections before it failed: descriptors are coming back a few at a
// time, and the pause starts again from FirstAcceptPause. The first failure of an episode is
// logged on log.
func (b *AcceptBackoff) Failed(log *slog.Logger, err error, progress bool) time.Duration {
	b.begin(log, err,
		"accept failed; not accepting for a while, retrying with back-off until it works",
		"first_pause", FirstAcceptPause, "max_pause", MaxAcceptPause)
	b.failures++
	if b.pause == 0 || progress {
		b.pause = FirstAcceptPause
	} else {
		b.pause = min(2*b.pause, MaxAcceptPause)
	}
	return b.pause
}

// Refused notes an accept that failed with err, after which a Reserve closed the waiting
// connection: part of the episode like a failure, but with no pause. The first failure of an
// episode is logged on log.
func (b *AcceptBackoff) Refused(log *slog.Logger, err error) {
	b.begin(log, err, "accept failed; closing new connections at once until it works")
	b.failures++
	b.refused++
}

// begin starts an episode, with a line on log, unless one is under way.
func (b *AcceptBackoff) begin(log *slog.Logger, err error, msg string, attrs ...any) {
	if !b.since.IsZero() {
		return
	}
	b.since = time.Now()
	log.Warn(msg, append([]any{"err", err}, attrs...)...)
}

// Succeeded ends the episode, if there is one, with a line on log saying how long it lasted.
// Call it when a batch of accepts ends without a shortage: a non-blocking accept found the queue
// empty (on Linux, accept looks for a free descriptor first, so it had one), or the batch took
// all it may; a blocking loop calls it for each connection it accepts.
func (b *AcceptBackoff) Succeeded(log *slog.Logger) {
	if b.since.IsZero() {
		return
	}
	log.Info("accepting again", "after", time.Since(b.since).Round(time.Millisecond),
		"failed_attempts", b.failures, "refused", b.refused)
	*b = AcceptBackoff{}
}
