// What every pass of every chapter 2 loop does once it knows (or guesses) which sockets are
// ready: accept, read, write, close. Mirrors the accept loop of tornado/netutil.py
// add_accept_handler and the event dispatch of tornado/iostream.py _handle_events (3.2).

package nonblocking

import (
	"log/slog"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
)

const (
	// AcceptBatch is the most connections taken from the listener in one pass, as Tornado does
	// since 4.0.2: a flood of new clients must not starve those already connected.
	AcceptBatch = 128
	// reportInterval is the least time between two log lines about refused connections.
	reportInterval = time.Second
)

// loop is the state of one Serve call. Only the loop's goroutine touches it: no locks.
type loop struct {
	s     *Server
	log   *slog.Logger
	conns map[int]*EchoConn
	// buf is the one read buffer of the whole server, RecvBufferSize bytes: every recv lands
	// here and EchoConn keeps nothing of it, so an idle connection owns no read buffer.
	buf []byte
	// resumeAccept: while the process is out of descriptors, the listener is not watched (nor,
	// by busy-poll, called) until then.
	resumeAccept time.Time
	backoff      blocking.AcceptBackoff
	refused      burst       // connections closed at once because the server cannot watch them
	lingering    lingerQueue // connections draining after a half-close, until their deadline
	// graceEnd is when the grace period of a Shutdown ends; zero until one begins.
	graceEnd time.Time
	// graceOver: the grace period has ended, and the connections still busy then are lingering.
	graceOver bool
}

func newLoop(s *Server) *loop {
	return &loop{
		s:       s,
		log:     s.log(),
		conns:   make(map[int]*EchoConn),
		buf:     make([]byte, blocking.RecvBufferSize),
		refused: burst{msg: "closed a new connection at once", interval: reportInterval},
	}
}

// stopping says whether the loop is to end now: after Stop, or once a Shutdown's draining is
// done.
func (l *loop) stopping() bool {
	if l.s.stop.Load() {
		return true
	}
	return l.s.drain.Load() && l.draining(time.Now())
}

// accepting says whether to watch the listener in this pass: not once draining has closed it.
func (l *loop) accepting(now time.Time) bool {
	return l.graceEnd.IsZero() && !now.Before(l.resumeAccept)
}

// accept takes up to AcceptBatch connections from the listener, until it says EAGAIN, following
// chapter 1's rules: a connection's own error is skipped, and an error the server cannot live
// with ends the loop.
//
// Out of descriptors (EMFILE, ENFILE) the connection stays in the queue and the listener stays
// readable, so a loop that simply retried would spin at full speed writing log lines. Instead
// chapter 1's Reserve turns the waiting client away, one per pass: the listener, still readable
// if more wait, brings the next pass back here after the connections already open. Where the
// spare cannot help, the loop stops watching the listener for chapter 1's AcceptBackoff pause
// (10 ms, doubling up to 1 s). The shortage is logged when it starts and when it ends.
func (l *loop) accept() error {
	progress := false
	for range AcceptBatch {
		fd, err := Accept(l.s.listener)
		switch {
		case err == nil:
			progress = true
		case WouldBlock(err):
			l.backoff.Succeeded(l.log)
			return nil
		case blocking.AcceptAgain(err):
			continue
		case blocking.OutOfDescriptors(err):
			refused, rerr := l.s.reserve.Refuse(l.s.listener, err)
			switch {
			case refused:
				l.backoff.Refused(l.log, err)
			case rerr != nil:
				l.resumeAccept = time.Now().Add(l.backoff.Failed(l.log, err, progress))
			}
			return nil
		default:
			return err
		}
		if l.s.admit != nil {
			if err := l.s.admit(fd); err != nil {
				unix.Close(fd)
				l.refused.add(err)
				continue
			}
		}
		l.conns[fd] = NewEchoConn(fd)
	}
	l.backoff.Succeeded(l.log)
	return nil
}

// read runs c's read handler and closes c if it is done or broken; it reports whether c is
// still open.
func (l *loop) read(c *EchoConn) bool {
	was := c.Lingering()
	return l.settle(c, was, c.HandleRead(l.buf))
}

// write runs c's write handler, likewise.
func (l *loop) write(c *EchoConn) bool {
	was := c.Lingering()
	return l.settle(c, was, c.HandleWrite())
}

// settle closes c after its handler if it is done or broken. When the handler began a lingering
// close, it says why (a line too long) and starts the linger's clock; was says whether c was
// lingering before.
func (l *loop) settle(c *EchoConn, was bool, err error) bool {
	if err == nil && !c.Finished() {
		if !was && c.Lingering() {
			if c.Err() != nil {
				l.log.Warn("closing connection", "fd", c.FD(), "err", c.Err())
			}
			l.lingering.add(c, time.Now())
		}
		return true
	}
	l.end(c, err)
	return false
}

// end closes c, logging err unless it only says that the client went away.
func (l *loop) end(c *EchoConn, err error) {
	if err != nil && !blocking.PeerGone(err) {
		l.log.Warn("closing connection", "fd", c.FD(), "err", err)
	}
	l.drop(c)
}

// endLinger closes c when its linger's time is up, unless it has gone already.
func (l *loop) endLinger(c *EchoConn) {
	if l.conns[c.FD()] == c {
		l.end(c, nil)
	}
}

func (l *loop) drop(c *EchoConn) {
	delete(l.conns, c.FD())
	if err := c.Close(); err != nil {
		l.log.Warn("close connection", "fd", c.FD(), "err", err)
	}
}

// tick ends a pass: it closes the lingering connections whose time is up, writes the log lines
// that are due and says how long the loop may sleep before something is due on the clock (the
// next linger's end, accepting again, a held log line). ok is false when nothing is: the loop
// may sleep until a socket is ready.
func (l *loop) tick(now time.Time) (wait time.Duration, ok bool) {
	for _, d := range []time.Duration{
		l.lingering.expire(now, l.endLinger),
		l.resumeAccept.Sub(now),
		l.refused.report(now, l.log),
		l.graceLeft(now),
	} {
		if d > 0 && (!ok || d < wait) {
			wait, ok = d, true
		}
	}
	return wait, ok
}

// closeAll ends every connection (what is owed is dropped: the server is stopping) and writes
// the log lines still held.
func (l *loop) closeAll() {
	for _, c := range l.conns {
		l.drop(c)
	}
	l.refused.flush(l.log)
}
