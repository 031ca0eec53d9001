// Graceful shutdown: stop accepting, close the idle connections at once, let the busy ones
// finish for at most a grace period, then end what is left with a lingering close; net/http's Server.Shutdown and
// nginx's graceful quit, on the loop's timers. Tornado 3.2 has nothing of the kind: its
// TCPServer.stop closes the listening sockets and leaves every connection to its handler, and
// Tornado 4.0's HTTPServer.close_all_connections closes every connection, busy or not.

package tcpserver

import (
	"time"

	nonblocking "tornadotcp/ch02_nonblocking"
	ioloop "tornadotcp/ch03_epoll"
)

// Idle reports whether the stream holds nothing in either direction: no output owed, and no
// input unread, in the stream, in its transport or in the kernel's receive buffer. Closing an
// idle stream loses nothing, and the kernel, with no input unread, ends the connection with FIN,
// not with a reset that could destroy the last answer before the peer reads it. What idle means
// for a protocol (between requests, not halfway through one) is the application's to add. A
// stream whose kernel buffer cannot be asked about counts as busy; a closed one is idle.
func (s *IOStream) Idle() bool {
	if s.closed {
		return true
	}
	if s.owed() > 0 || s.unread() > 0 || s.heldInput() > 0 {
		return false
	}
	n, err := nonblocking.InputPending(s.t.FD())
	return err == nil && n == 0
}

// shutdown is the graceful shutdown of a server that keeps its connections (EchoServer,
// HTTPServer): while draining, each connection closes as soon as it is idle; a timer ends the
// grace period, and another the lingering close of the connections still busy then.
type shutdown struct {
	draining bool
	deadline *ioloop.Timeout // the end of the grace period, then of the lingering after it
	graceEnd func()          // what the first deadline runs; nil once it has run
	done     func()          // runs once, when the last connection has closed
}

// begin stops the server from accepting, at once, and gives its open connections grace to
// finish: when it is over, closeBusyConns ends those still open with a lingering close and says
// how many there were; the streams' linger time (WithLinger, 2 s by default) later, closeAll
// closes whatever is left. done runs when the last connection has closed (closed reports
// each), at once if none is open. It returns false, and does nothing, if a shutdown has begun
// already.
func (d *shutdown) begin(s *TCPServer, grace time.Duration, open int,
	closeBusyConns func() int, closeAll func(), done func()) bool {
	if d.draining {
		return false
	}
	d.draining, d.done = true, done
	s.Stop()
	if open == 0 {
		d.finish(s.loop)
		return true
	}
	d.graceEnd = func() {
		d.graceEnd = nil
		d.deadline = s.loop.CallLater(s.streamCfg.lingerTime, closeAll)
		n := closeBusyConns()
		s.log.Warn("tcpserver: the grace period is over; closing the connections still busy",
			"grace", grace, "connections", n)
	}
	d.deadline = s.loop.CallLater(grace, d.graceEnd)
	return true
}

// endGrace ends the grace period now, as its timer would: the connections still busy get
// their lingering close. It does nothing unless a grace period is running.
func (d *shutdown) endGrace(loop *ioloop.IOLoop) {
	if d.graceEnd == nil {
		return
	}
	loop.RemoveTimeout(d.deadline)
	d.graceEnd()
}

// closed is told by each connection's close callback how many are still open.
func (d *shutdown) closed(loop *ioloop.IOLoop, open int) {
	if d.draining && open == 0 {
		d.finish(loop)
	}
}

// finish ends the grace period early, the work being done, and runs done once.
func (d *shutdown) finish(loop *ioloop.IOLoop) {
	if d.deadline != nil {
		loop.RemoveTimeout(d.deadline)
		d.deadline = nil
	}
	d.graceEnd = nil
	if done := d.done; done != nil {
		d.done = nil
		done()
	}
}

// closeBusy ends a connection that is still busy when the grace period is over as the server
// ends one it has chosen to end: with a lingering close, which sends what is owed, half-closes
// and drains. A plain close would make the kernel reset the connection if the client had sent
// more, and the reset can destroy answers the client has not read yet. The lingering close's
// own bounds start at the half-close; begin's second timer bounds the whole of it, the sending
// included.
func closeBusy(stream *IOStream) { stream.LingeringClose() }

// closeIdle ends an idle connection at the start of a shutdown: it owes nothing and has nothing
// unread, so it closes at once, after the half-close that lets a TLS transport send close_notify
// (IOStream.closeAtEnd). If the socket cannot take that message at once, the connection ends as
// a busy one does, with a lingering close, which sends it first.
func closeIdle(stream *IOStream) {
	stream.closeAtEnd()
	if !stream.closed {
		stream.LingeringClose()
	}
	stream.afterCall()
}

// endIdle is an idle timeout's end of a connection: closeIdle when the stream is idle, a plain
// close otherwise (half a message unread, or output a stalled client is not taking, which a
// polite end would wait for without a bound).
func endIdle(stream *IOStream) {
	if stream.Idle() {
		closeIdle(stream)
		return
	}
	stream.Close()
}
