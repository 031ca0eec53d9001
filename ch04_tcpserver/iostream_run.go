// The trampoline: how a stream runs its callbacks without recursion, and how it closes. Mirrors
// _run_callback, _maybe_run_close_callback and close in tornado/iostream.py (3.2).
//
// Tornado never calls a stream's callback directly: it queues it on the IOLoop, so a callback
// that starts a read the buffer satisfies does not grow the stack, and the close callback waits
// until the queued callbacks have run (_pending_callbacks). Each queued callback costs a trip
// through the loop. Here the same two promises come from a loop in the stream itself: run
// delivers one completion at a time and, after each callback returns, looks for the next, so
// ten thousand pipelined lines are ten thousand turns of one loop, not ten thousand frames;
// requests a callback makes are only recorded while run is busy, and the close callback is the
// last thing run does. The IOLoop is used only when a call from outside a callback (a timeout,
// HandleStream) makes something due, so that no callback runs inside the call that asked for it.

package tcpserver

import (
	"errors"
	"fmt"
	"runtime/debug"

	"golang.org/x/sys/unix"

	nonblocking "tornadotcp/ch02_nonblocking"
	ioloop "tornadotcp/ch03_epoll"
)

// run delivers everything that is due, then tidies the input and sets the events to watch.
func (s *IOStream) run() {
	if s.busy {
		return
	}
	s.busy = true
	for s.step() {
	}
	s.busy = false
	s.tidy()
	s.updateInterest()
}

// step does the next due thing and reports whether there was one. The order is the promise:
// input to the pending read first, then write callbacks, then the end of the stream, and the
// close callback last of all.
func (s *IOStream) step() bool {
	if s.deliverRead() {
		return true
	}
	if s.runWriteCallback() {
		return true
	}
	if s.read.kind != readNone && (s.closed || s.eof) {
		// It can never complete: no more input will come. After EOF this is the moment the
		// application has asked past the end, so the stream closes once its output has gone.
		s.read = readRequest{}
		s.ended = s.eof
		return true
	}
	if s.ended && !s.closed && s.out.Len() == 0 {
		s.closeWith(nil)
		return true
	}
	if s.closed && s.closeCB != nil {
		fn := s.closeCB
		s.closeCB = nil
		s.call(fn)
		return true
	}
	return false
}

// afterCall follows every public method: outside run, it queues a run if the call made
// something due (so the callback does not run inside the caller), and updates the events the
// loop watches. Inside run, run does both when the current callback returns.
func (s *IOStream) afterCall() {
	if s.busy {
		return
	}
	if s.due() {
		s.schedule()
	}
	s.updateInterest()
}

// due reports whether a run would have something to do: a pending read to complete, feed or
// drop, a write callback whose bytes have gone, the end to close on, a close callback to run.
func (s *IOStream) due() bool {
	return (s.read.kind != readNone && (s.closed || s.eof || s.nextRead() != readWait)) ||
		s.writeCallbackReady() ||
		(s.ended && !s.closed && s.out.Len() == 0) ||
		(s.closed && s.closeCB != nil)
}

// schedule queues one run with the loop. If the loop is closed, nothing can run any more and
// the stream's callbacks are lost with it.
func (s *IOStream) schedule() {
	if s.scheduled {
		return
	}
	if s.runFn == nil {
		s.runFn = func() {
			s.scheduled = false
			s.run()
		}
	}
	if s.loop.AddCallback(s.runFn) == nil {
		s.scheduled = true
	}
}

// call runs a callback; a panic closes the stream instead of unwinding into the loop.
func (s *IOStream) call(fn func()) {
	defer s.recoverCallback()
	fn()
}

// callData runs a read callback with its data, as call does.
func (s *IOStream) callData(fn func([]byte), data []byte) {
	defer s.recoverCallback()
	fn(data)
}

// recoverCallback is deferred around every callback. The panic's stack is logged; the stream
// closes with the panic as its error and runs nothing else of the application's but its close
// callback: the pending read and write callbacks are dropped, as the state they expected is
// unknown. Tornado does the same with an exception (and re-raises it for the IOLoop to log).
func (s *IOStream) recoverCallback() {
	r := recover()
	if r == nil {
		return
	}
	var err error
	if e, ok := r.(error); ok {
		err = fmt.Errorf("%w: %w", ErrCallbackPanicked, e)
	} else {
		err = fmt.Errorf("%w: %v", ErrCallbackPanicked, r)
	}
	s.cfg.log.Error("tcpserver: panic in stream callback, closing the stream", "fd", s.t.FD(), "panic", r, "stack", string(debug.Stack()))
	s.read = readRequest{}
	s.dropWriteCallbacks()
	s.closeWith(err)
}

// fail closes the stream after an I/O error or a broken limit, logging the error unless it only
// says the peer went away.
func (s *IOStream) fail(err error) {
	if !peerGone(err) {
		s.cfg.log.Warn("tcpserver: stream error, closing", "fd", s.t.FD(), "err", err)
	}
	s.closeWith(err)
}

// peerGone reports the errors Tornado closes on quietly (_ERRNO_CONNRESET): the peer reset the
// connection, or aborted it, or closed it while we were writing.
func peerGone(err error) bool {
	return nonblocking.PeerGone(err) || errors.Is(err, unix.ECONNABORTED)
}

// closeWith closes the descriptor and drops the output; the input stays for the reads it can
// still satisfy. err, the first reason given, is what Error reports.
func (s *IOStream) closeWith(err error) {
	if s.closed {
		return
	}
	s.closed = true
	s.err = err
	if s.events != ioloop.NONE {
		s.loop.RemoveHandler(s.t.FD())
		s.events = ioloop.NONE
	}
	if cerr := s.t.Close(); cerr != nil {
		s.cfg.log.Warn("tcpserver: closing stream", "fd", s.t.FD(), "err", cerr)
		if s.err == nil {
			s.err = cerr
		}
	}
	s.out = nonblocking.OutBuf{}
	s.dropWriteCallbacks()
}
