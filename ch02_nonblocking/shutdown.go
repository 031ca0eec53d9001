// The graceful stop of chapter 2's servers: no more accepts, the idle connections closed at
// once, the busy ones given a grace period to finish, all at the top of the loop's passes.
// Tornado 3.2 has none; this is net/http's Server.Shutdown and nginx's graceful quit.

package nonblocking

import "time"

// Shutdown stops the server gracefully and waits until Serve has closed every descriptor. The
// listener is closed at once, so new clients are refused; the idle connections (EchoConn.Idle)
// are closed at once; the others go on being served, each closed as soon as it is idle, so a
// client that stops sending gets every echo it is owed, then EOF. When grace is over, those still
// busy are closed anyway. Like Stop it may be called from any goroutine, and before Serve (which
// then does not run); a Stop meanwhile cuts the grace short.
func (s *Server) Shutdown(grace time.Duration) error {
	return s.life.Shutdown(func() {
		s.grace.Store(int64(grace))
		s.drain.Store(true)
		if s.waker != nil {
			s.waker.Wake()
		}
	}, s.closeFDs)
}

// draining runs at the top of every pass once Shutdown has asked (stopping calls it). The
// first time, it closes the listener and starts the grace period; every time, it closes the
// connections that have become idle. It reports whether the loop may end: no connection is
// left, or the grace period is over and those still busy have been closed.
func (l *loop) draining(now time.Time) bool {
	if l.graceEnd.IsZero() {
		l.graceEnd = now.Add(time.Duration(l.s.grace.Load()))
		l.s.closeListener(l.log)
	}
	for _, c := range l.conns {
		if c.Idle() {
			l.drop(c)
		}
	}
	if len(l.conns) > 0 && now.Before(l.graceEnd) {
		return false
	}
	if len(l.conns) > 0 {
		l.log.Warn("the grace period is over; closing the connections still busy",
			"connections", len(l.conns))
	}
	for _, c := range l.conns {
		l.closeBusy(c)
	}
	return true
}

// closeBusy ends a connection still busy when the grace period is over: what it is owed and
// what it sent are dropped.
func (l *loop) closeBusy(c *EchoConn) { l.drop(c) }

// graceLeft is how long the grace period still runs, for tick; 0 when not draining.
func (l *loop) graceLeft(now time.Time) time.Duration {
	if l.graceEnd.IsZero() {
		return 0
	}
	return l.graceEnd.Sub(now)
}
