// One connection of the echo server: chapter 2's EchoConn driven by the loop's events, and what
// the loop watches for it kept in step with what it wants. Mirrors tornado/iostream.py (3.2)
// _handle_events, which reads, writes or closes as the events say and then recomputes the
// stream's state for the loop, calling update_handler only when it changed.

package ioloop

import (
	blocking "tornadotcp/ch01_blocking"
	nonblocking "tornadotcp/ch02_nonblocking"
)

// echoConn is an EchoConn, the events the loop watches for it now, besides ERROR, its idle
// deadline (nil without an idle timeout), and the timer that ends its lingering close.
type echoConn struct {
	*nonblocking.EchoConn
	events uint32
	idle   *Deadline
	linger *Timeout
}

// open gives a new connection its handler, watching for READ: an idle connection waits in the
// monitor, costing no pass anything.
func (s *EchoServer) open(fd int) {
	c := &echoConn{EchoConn: nonblocking.NewEchoConn(fd), events: READ}
	handler := func(_ int, events uint32) { s.handle(c, events) }
	if err := s.loop.AddHandler(fd, handler, READ); err != nil {
		s.log.Warn("cannot watch a new connection; closing it", "fd", fd, "err", err)
		c.Close()
		return
	}
	s.conns[fd] = c
	if s.idleTimeout > 0 {
		c.idle = s.loop.NewDeadline(func() { s.drop(c, nil) })
		c.idle.Set(s.idleTimeout)
	}
}

// handle is c's handler. Each event is one non-blocking recv (READ), or one flush of what is owed
// (WRITE), or the end (ERROR: a reset, or an error the kernel holds for the socket). One recv per
// event suffices because the monitor is level-triggered: data left unread is reported again on
// the next pass, and reading until EAGAIN would cost an extra, empty, recv per message.
//
// A connection that has begun its lingering close (a line too long, or the end of a grace
// period: the echoes owed have gone and the socket is half-closed) is logged with the reason and
// gets a timer on the loop: it is closed at the client's EOF, after LingerMaxBytes, or when
// LingerTimeout has passed, whichever comes first.
func (s *EchoServer) handle(c *echoConn, events uint32) {
	was := c.Lingering()
	switch {
	case events&ERROR != 0 && was:
		// Both directions are shut down, a hang-up: the client's FIN has come, but what it sent
		// before may still be unread, and closing now would reset the connection. The recv
		// returns that input, then EOF (or the error, after a reset).
		events |= READ
	case events&ERROR != 0:
		s.drop(c, nonblocking.SocketError(c.FD(), "socket"))
		return
	}
	var err error
	if events&READ != 0 {
		c.idle.Set(s.idleTimeout)
		err = c.HandleRead(s.buf)
	}
	if err == nil && events&WRITE != 0 && c.WantWrite() {
		err = c.HandleWrite()
	}
	s.settle(c, was, err)
}

// settle closes c after its handler if it is done or broken, or idle while the server drains;
// otherwise it starts the linger's timer if the handler began a lingering close (was says
// whether c was lingering before) and watches for what c wants now.
func (s *EchoServer) settle(c *echoConn, was bool, err error) {
	switch {
	case err != nil:
		s.drop(c, err)
	case c.Finished(), s.draining && c.Idle():
		s.drop(c, nil)
	default:
		if !was && c.Lingering() {
			if c.Err() != nil {
				s.log.Warn("closing connection", "fd", c.FD(), "err", c.Err())
			}
			c.linger = s.loop.CallLater(nonblocking.LingerTimeout, func() { s.drop(c, nil); s.stopIfDrained() })
		}
		s.watch(c)
	}
	s.stopIfDrained()
}

// watch tells the loop what c wants now: READ while it reads and is not too far behind
// (MaxPendingOutput), WRITE while output is owed. After the client's EOF that is WRITE alone: a
// level-triggered monitor reports a socket at EOF as readable on every pass, so watching READ
// then would spin. The usual case, a line read and its echo sent at once, changes nothing and
// costs no system call.
func (s *EchoServer) watch(c *echoConn) {
	var want uint32
	if c.WantRead() {
		want |= READ
	}
	if c.WantWrite() {
		want |= WRITE
	}
	if want == c.events {
		return
	}
	if err := s.loop.UpdateHandler(c.FD(), want); err != nil {
		s.drop(c, err)
		return
	}
	c.events = want
}

// drop takes c off the loop and closes it, logging why unless the client simply went away (a
// reset, a broken pipe), or was idle too long, or the server is stopping (err nil).
func (s *EchoServer) drop(c *echoConn, err error) {
	fd := c.FD()
	if err != nil && !blocking.PeerGone(err) {
		s.log.Warn("closing connection", "fd", fd, "err", err)
	}
	c.idle.Stop()
	s.loop.RemoveHandler(fd)
	s.loop.RemoveTimeout(c.linger) // nil unless lingering
	delete(s.conns, fd)
	if err := c.Close(); err != nil {
		s.log.Warn("close connection", "fd", fd, "err", err)
	}
}
