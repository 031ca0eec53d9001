// The echo server's accept handler: take the waiting connections, give each a handler of its
// own. Mirrors the accept_handler that tornado/netutil.py add_accept_handler (3.2) registers for
// READ on the listener, with the batch limit of Tornado 4.1 and a pause when out of descriptors.

package ioloop

import (
	nonblocking "tornadotcp/ch02_nonblocking"
)

// handleAccept runs when the listener is readable: it accepts up to nonblocking.AcceptBatch
// connections, until the queue is empty (EAGAIN). A client that gave up while queued is skipped.
// The listener is level-triggered, so connections left in the queue after a full batch are
// reported again by the next pass, after the connections already open have had their turn.
//
// Out of descriptors (EMFILE, ENFILE), the connection stays queued and the listener stays
// readable: a level-triggered loop would call this handler again at once, for ever. So the
// listener leaves the loop for nonblocking.AcceptPause, and one log line marks the start of the
// shortage and one its end. Chapter 4's accept handler does better.
func (s *EchoServer) handleAccept(int, uint32) {
	for range nonblocking.AcceptBatch {
		fd, err := nonblocking.Accept(s.listener)
		switch {
		case err == nil:
		case nonblocking.WouldBlock(err):
			return
		case nonblocking.AcceptAgain(err):
			continue
		case nonblocking.OutOfDescriptors(err):
			s.pauseAccepting(err)
			return
		default:
			s.fatal = err
			s.log.Error("accept failed; stopping", "err", err)
			s.loop.Stop()
			return
		}
		if s.starving > 0 {
			s.log.Warn("accepting again", "refused", s.starving)
			s.starving = 0
		}
		s.open(fd)
	}
}

// pauseAccepting takes the listener off the loop and puts it back after AcceptPause.
func (s *EchoServer) pauseAccepting(err error) {
	if s.starving == 0 {
		s.log.Error("accept: out of descriptors; retrying until some are free",
			"err", err, "every", nonblocking.AcceptPause)
	}
	s.starving++
	s.loop.RemoveHandler(s.listener)
	s.loop.CallLater(nonblocking.AcceptPause, s.resumeAccepting)
}

func (s *EchoServer) resumeAccepting() {
	if err := s.loop.AddHandler(s.listener, s.accept, READ); err != nil {
		s.fatal = err
		s.log.Error("cannot watch the listener again; stopping", "err", err)
		s.loop.Stop()
	}
}
