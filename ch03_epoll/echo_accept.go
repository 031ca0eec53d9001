// The echo server's accept handler: take the waiting connections, give each a handler of its
// own. Mirrors the accept_handler that tornado/netutil.py add_accept_handler (3.2) registers for
// READ on the listener, with the batch limit of Tornado 4.0.2, and a spare descriptor or a pause
// when out of descriptors.

package ioloop

import (
	blocking "tornadotcp/ch01_blocking"
	nonblocking "tornadotcp/ch02_nonblocking"
)

// handleAccept runs when the listener is readable: it accepts up to nonblocking.AcceptBatch
// connections, until the queue is empty (EAGAIN), following chapter 1's rules for accept's
// errors. The listener is level-triggered, so connections left in the queue after a full batch
// are reported again by the next pass, after the connections already open have had their turn.
//
// Out of descriptors (EMFILE, ENFILE), the connection stays queued and the listener stays
// readable: a level-triggered loop would call this handler again at once, for ever. So chapter
// 1's Reserve turns the waiting client away, one per pass (the listener, readable while more
// wait, brings the loop back here); where the spare cannot help, the listener leaves the loop for
// chapter 1's AcceptBackoff pause. The shortage is logged when it starts and when it ends.
func (s *EchoServer) handleAccept(int, uint32) {
	for range nonblocking.AcceptBatch {
		fd, err := nonblocking.Accept(s.listener)
		switch {
		case err == nil:
		case nonblocking.WouldBlock(err):
			s.backoff.Succeeded(s.log)
			return
		case blocking.AcceptAgain(err):
			continue
		case blocking.OutOfDescriptors(err):
			refused, rerr := s.reserve.Refuse(s.listener, err)
			switch {
			case refused:
				s.backoff.Refused(s.log, err)
			case rerr != nil:
				s.pauseAccepting(err)
			}
			return
		default:
			s.fatal = err
			s.log.Error("accept failed; stopping", "err", err)
			s.loop.Stop()
			return
		}
		s.open(fd)
	}
	s.backoff.Succeeded(s.log)
}

// pauseAccepting takes the listener off the loop and puts it back after the back-off's pause.
func (s *EchoServer) pauseAccepting(err error) {
	s.loop.RemoveHandler(s.listener)
	s.loop.CallLater(s.backoff.Failed(s.log, err, false), s.resumeAccepting)
}

func (s *EchoServer) resumeAccepting() {
	if s.draining {
		return // Shutdown has closed the listener meanwhile
	}
	if err := s.loop.AddHandler(s.listener, s.accept, READ); err != nil {
		s.fatal = err
		s.log.Error("cannot watch the listener again; stopping", "err", err)
		s.loop.Stop()
	}
}
