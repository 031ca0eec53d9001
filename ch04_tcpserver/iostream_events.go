// The stream's side of the loop: the handler the loop calls, the one state machine that decides
// what is due, the runner that does it without recursion, and what the stream asks the loop to
// watch. Mirrors _handle_events, _run_callback, _handle_read, _maybe_add_error_listener and
// _add_io_state in tornado/iostream.py (3.2).
//
// One echoed line, from the loop and back: the loop calls handleEvents (READ); run asks next
// what is due, and next says readInput, so readToBuffer reads the line into the buffer; next
// says the pending ReadUntil can complete, so advanceRead calls the application's callback with
// the line; the callback calls Write, which adds it to the run's batch, and asks for the next
// line with ReadUntil, both only recorded while run is busy; next says the batch is due, and
// sendBatch sends it; then the write callback, if there is one; and run ends by telling the loop
// what to watch.
//
// Tornado never calls a stream's callback directly: it queues it on the IOLoop, so a callback
// that starts a read the buffer satisfies does not grow the stack, and the close callback waits
// until the queued callbacks have run (_pending_callbacks). Each queued callback costs a trip
// through the loop. Here the same two promises come from a loop in the stream itself: run does
// one due thing at a time and, after each callback returns, asks again, so ten thousand
// pipelined lines are ten thousand turns of one loop, not ten thousand frames; requests a
// callback makes are only recorded while run is busy, and the close callback comes after
// everything else that is due. The IOLoop's queue is used only when a call from outside a
// callback (a timeout, HandleStream) makes something due, so that no callback runs inside the
// call that asked for it.

package tcpserver

import (
	"fmt"
	"runtime/debug"

	nonblocking "tornadotcp/ch02_nonblocking"
	ioloop "tornadotcp/ch03_epoll"
)

// handleEvents is the stream's handler: where the loop calls in. It sends what is owed if the
// descriptor is writable, notes that it is readable, and runs the stream. An ERROR event (a
// reset, a hang-up) makes whatever the stream watches ready: the read or the send then returns
// the input still there, EOF, or the error itself, and the stream ends as it would for them.
func (s *IOStream) handleEvents(_ int, events uint32) {
	if s.closed {
		return
	}
	if events&ioloop.ERROR != 0 {
		events |= s.events
		s.unexplained = true
	}
	if events&s.events&ioloop.WRITE != 0 {
		s.flush()
	}
	s.readable = events&s.events&ioloop.READ != 0
	s.run()
}

// maxReadsPerRun bounds the transport reads of one run: one chunk per pass of the loop, so that
// a peer sending as fast as the stream reads gets the same share of a pass as any other, and a
// client that has just connected waits for one chunk's work per busy connection, not for all
// they have sent (the accept loop's 128 per event is the same idea). What is left is read on a
// later pass: the loop is level-triggered and reports the descriptor again, and input a
// transport holds makes the stream schedule itself (run).
const maxReadsPerRun = 1

// A task is one thing a run does.
type task uint8

const (
	nothingDue    task = iota
	advance            // the pending read can be fed, completed, or ended for a broken limit
	writeDone          // the oldest write callback's bytes have gone
	dropRead           // the stream closed under a pending read that can never advance
	halfClose          // a lingering close's output has gone: half-close and drain
	endInput           // after EOF, the application can want nothing more
	closeEnded         // the stream has ended and its output has gone
	closeCallback      // the stream is closed: its close callback runs
	flushBatch         // the callbacks' writes wait in the run's batch
	readInput          // the transport has input the stream wants
	hangUp             // the loop reported an error that no read or send has explained
)

// next is the stream's state machine, each rule stated once. The order is the promise: input to
// the pending read first, then write callbacks, then the end of the stream, the close callback
// after everything else that is due; then the batch of what the callbacks wrote goes out, so the
// answers to everything one read brought leave in one write; and more input only when nothing
// else is.
func (s *IOStream) next() (task, int, readAction) {
	if s.read.kind != readNone {
		if n, act := s.planRead(); act != readWait {
			return advance, n, act
		}
	}
	switch {
	case s.writeCallbackReady():
		return writeDone, 0, 0
	case s.read.kind != readNone && s.closed:
		return dropRead, 0, 0
	case s.lingering && !s.halfClosed && !s.closed && s.owed() == 0:
		return halfClose, 0, 0
	case s.eof && !s.ended && (s.read.kind != readNone || s.unread() == 0):
		// A read that cannot advance now never will: the application has asked past the end.
		// With no read pending and nothing unread, EOF came to an idle stream (Tornado's
		// long-poll case): the peer cannot be told from one that has left.
		return endInput, 0, 0
	case s.ended && !s.closed && s.owed() == 0:
		return closeEnded, 0, 0
	case s.closed && s.closeCB != nil:
		return closeCallback, 0, 0
	case s.batched() > 0:
		return flushBatch, 0, 0
	case s.wantsInput() && s.reads < maxReadsPerRun &&
		(s.readable || s.heldInput() > 0):
		return readInput, 0, 0
	case s.unexplained && !s.closed:
		return hangUp, 0, 0
	}
	return nothingDue, 0, 0
}

// step does the next due thing and reports whether there was one.
func (s *IOStream) step() bool {
	what, n, act := s.next()
	switch what {
	case nothingDue:
		return false
	case advance:
		s.advanceRead(n, act)
	case writeDone:
		s.runWriteCallback()
	case dropRead:
		s.read = readRequest{}
	case halfClose:
		s.halfCloseAndDrain()
	case endInput:
		s.read = readRequest{}
		s.ended = true
	case closeEnded:
		s.closeAtEnd()
	case closeCallback:
		fn := s.closeCB
		s.closeCB = nil
		s.call(fn)
	case flushBatch:
		s.sendBatch()
	case readInput:
		s.readToBuffer()
	case hangUp:
		s.unexplained = false
		err := nonblocking.SocketError(s.t.FD(), "socket")
		if err == nil {
			err = errHangUp
		}
		s.fail(err)
	}
	return true
}

// run does everything that is due, then tidies the input and sets the events to watch. It is
// the callback runner: every callback of the stream's runs inside it, from step.
func (s *IOStream) run() {
	if s.busy {
		return
	}
	s.busy = true
	for s.step() {
	}
	s.busy = false
	s.tidy()
	s.giveBack()
	s.readable, s.reads, s.unexplained = false, 0, false
	if what, _, _ := s.next(); what != nothingDue {
		s.schedule() // input the transport holds beyond this run's share of reads
	}
	s.updateInterest()
}

// afterCall follows every public method: where the user calls in. Outside run, it queues a run
// if the call made something due (so the callback does not run inside the caller), and updates
// the events the loop watches. Inside run, run does both when the current callback returns.
func (s *IOStream) afterCall() {
	if s.busy {
		return
	}
	if what, _, _ := s.next(); what != nothingDue {
		s.schedule()
	}
	s.updateInterest()
}

// schedule queues one run with the loop. If the loop is closed, nothing can run any more and
// the stream's callbacks are lost with it.
func (s *IOStream) schedule() {
	if s.scheduled {
		return
	}
	if s.runFromLoop == nil {
		s.runFromLoop = func() {
			s.scheduled = false
			s.run()
		}
	}
	if s.loop.AddCallback(s.runFromLoop) == nil {
		s.scheduled = true
	}
}

// wantsInput reports whether the stream wants to read: for the pending read; for a close
// callback, to notice a peer that leaves an idle stream (Tornado's _maybe_add_error_listener),
// but only while nothing is read ahead, so that input nobody asked for waits in the kernel
// instead of waking the loop on every pass; or for the transport itself (a TLS handshake).
// Never after EOF or once closed: nothing more can come.
func (s *IOStream) wantsInput() bool {
	switch {
	case s.closed || s.eof:
		return false
	case s.read.kind != readNone:
		return true
	case s.closeCB != nil && s.unread() == 0:
		return true
	}
	return s.transportInterest()&ioloop.READ != 0
}

// interest is what the loop should watch: READ while the stream wants input, WRITE while output
// that a writable descriptor would let go is owed, or the transport asks for it.
func (s *IOStream) interest() uint32 {
	want := ioloop.NONE
	if s.wantsInput() {
		want |= ioloop.READ
	}
	if s.sendableOutput() > 0 || s.transportInterest()&ioloop.WRITE != 0 {
		want |= ioloop.WRITE
	}
	return want
}

// updateInterest makes the loop watch what interest says. A stream that waits for nothing is
// not registered at all, so it costs the loop nothing, and a registered one is changed only
// when what it waits for changes: an echo connection, always reading and rarely owing, is
// registered once and never modified.
func (s *IOStream) updateInterest() {
	if s.closed {
		return
	}
	want := s.interest()
	if want == s.events {
		return
	}
	var err error
	switch {
	case want == ioloop.NONE:
		s.loop.RemoveHandler(s.t.FD())
	case s.events == ioloop.NONE:
		err = s.loop.AddHandler(s.t.FD(), s.handleEvents, want)
	default:
		err = s.loop.UpdateHandler(s.t.FD(), want)
	}
	if err != nil {
		s.fail(err)
		s.schedule() // for the close callback
		return
	}
	s.events = want
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
	s.cfg.log.Error("tcpserver: panic in stream callback, closing the stream", "fd", s.t.FD(),
		"panic", r, "stack", string(debug.Stack()))
	s.read = readRequest{}
	s.dropWriteCallbacks()
	s.closeWith(err)
}
