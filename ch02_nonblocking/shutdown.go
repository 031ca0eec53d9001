// The graceful stop of chapter 2's servers: no more accepts, the idle connections closed at
// once, the busy ones given a grace period to finish, all at the top of the loop's passes.
// Tornado 3.2 has none; this is net/http's Server.Shutdown and nginx's graceful quit.

package nonblocking

import "time"

// Shutdown stops the server gracefully and waits until Serve has closed every descriptor. The
// listener is closed at once, so new clients are refused; the idle connections (EchoConn.Idle)
// are closed at once; the others go on being served, each closed as soon as it is idle, so a
// client that stops sending gets every echo it is owed, then EOF. When grace is over, those still
// busy are ended with a lingering close (closeBusy), which takes at most LingerTimeout more; then
// whatever is left is closed. Like Stop it may be called from any goroutine, and before Serve
// (which then does not run); a Stop meanwhile cuts the grace, and the lingering, short.
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
// connections that have become idle. When the grace period is over it ends those still busy
// with a lingering close, once. It reports whether the loop may end: no connection is left, or
// LingerTimeout has passed since the grace period ended and the rest have been closed.
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
	if !l.graceOver {
		l.graceOver = true
		if len(l.conns) > 0 {
			l.log.Warn("the grace period is over; closing the connections still busy",
				"connections", len(l.conns))
		}
		for _, c := range l.conns {
			l.closeBusy(c)
		}
	}
	if len(l.conns) > 0 && now.Before(l.graceEnd.Add(LingerTimeout)) {
		return false
	}
	for _, c := range l.conns {
		l.drop(c) // the lingering took too long: the client reads no more, or sends for ever
	}
	return true
}

// closeBusy ends a connection still busy when the grace period is over as the server ends one it
// has chosen to end: it reads no more lines, sends the echoes already owed, half-closes and
// drains (EchoConn.LingeringClose). A plain close would make the kernel reset the connection
// if the client had sent more, and the reset can destroy echoes the client has not read yet.
// The whole of it, sending what is owed included, has LingerTimeout from the end of the grace
// period; draining closes what is left then.
func (l *loop) closeBusy(c *EchoConn) {
	was := c.Lingering()
	l.settle(c, was, c.LingeringClose())
}

// graceLeft is how long the grace period, and then the lingering that follows it, still runs,
// for tick; 0 when not draining.
func (l *loop) graceLeft(now time.Time) time.Duration {
	switch {
	case l.graceEnd.IsZero():
		return 0
	case l.graceOver:
		return l.graceEnd.Add(LingerTimeout).Sub(now)
	}
	return l.graceEnd.Sub(now)
}
