// The echo server's graceful stop: no more accepts, the idle connections closed at once, the
// busy ones given a grace period to finish, on the loop's timer. Tornado 3.2 has none; this is
// net/http's Server.Shutdown and nginx's graceful quit, for the echo protocol.

package ioloop

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	nonblocking "tornadotcp/ch02_nonblocking"
)

// Shutdown stops the server gracefully and waits until Serve has closed every descriptor. The
// listener is closed at once, so new clients are refused; the idle connections (every echo
// sent, no partial line, nothing unread: EchoConn.Idle) are closed at once; the others go on
// being served, each closed as soon as it is idle, so a client that stops sending gets every
// echo it is owed, then EOF. When grace is over, those still busy are ended with a lingering
// close (closeBusy), which takes at most LingerTimeout more; then whatever is left is closed.
// Like Stop it may be called from any goroutine, and before Serve (which then does not run); a
// Stop meanwhile cuts the grace, and the lingering, short.
func (s *EchoServer) Shutdown(grace time.Duration) error {
	return s.life.Shutdown(func() {
		_ = s.loop.AddCallback(func() { s.drain(grace) }) // run by Start's first pass at the latest
	}, s.closeFDs)
}

// drain begins the graceful stop, on the loop.
func (s *EchoServer) drain(grace time.Duration) {
	s.draining = true
	s.loop.RemoveHandler(s.listener)
	if err := unix.Close(s.listener); err != nil {
		s.log.Warn("close listener", "err", err)
	}
	s.listener = -1
	for _, c := range s.conns {
		if c.Idle() {
			s.drop(c, nil)
		}
	}
	s.loop.CallLater(grace, s.endGrace)
	s.stopIfDrained()
}

// endGrace ends the connections still busy when the grace period is over with a lingering
// close, and gives them LingerTimeout to finish it, sending what they owe included.
func (s *EchoServer) endGrace() {
	if len(s.conns) > 0 {
		s.log.Warn("the grace period is over; closing the connections still busy",
			"connections", len(s.conns))
	}
	for _, c := range s.conns {
		s.closeBusy(c)
	}
	s.loop.CallLater(nonblocking.LingerTimeout, s.endLingers)
	s.stopIfDrained()
}

// closeBusy ends a connection still busy when the grace period is over as the server ends one it
// has chosen to end (chapter 2's EchoConn.LingeringClose): no more lines are read, the echoes
// owed are sent, then it half-closes and drains. A plain close would make the kernel reset the
// connection if the client had sent more, and the reset can destroy echoes not yet read.
func (s *EchoServer) closeBusy(c *echoConn) {
	was := c.Lingering()
	s.settle(c, was, c.LingeringClose())
}

// endLingers closes the connections whose lingering close has not finished within
// LingerTimeout of the grace period's end: the client reads no more, or sends for ever.
func (s *EchoServer) endLingers() {
	for _, c := range s.conns {
		s.drop(c, nil)
	}
	s.stopIfDrained()
}

// stopIfDrained ends the loop, and so Serve, once a draining server has no connection left.
func (s *EchoServer) stopIfDrained() {
	if s.draining && len(s.conns) == 0 {
		s.loop.Stop()
	}
}

// closeListener closes the listener unless drain has already.
func (s *EchoServer) closeListener() error {
	if s.listener < 0 {
		return nil
	}
	if err := unix.Close(s.listener); err != nil {
		return fmt.Errorf("close listener: %w", err)
	}
	return nil
}
