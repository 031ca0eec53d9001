// What every pass of every chapter 2 loop does once it knows (or guesses) which sockets are
// ready: accept, read, write, close. Mirrors the accept loop of tornado/netutil.py
// add_accept_handler and the event dispatch of tornado/iostream.py _handle_events (3.2).

package nonblocking

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
)

const (
	// AcceptBatch is the most connections taken from the listener in one pass, as Tornado does
	// since 4.1: a flood of new clients must not starve those already connected.
	AcceptBatch = 128
	// AcceptPause is how long the listener is left alone after accept ran out of descriptors.
	AcceptPause = 100 * time.Millisecond
	// reportInterval is the least time between two log lines about the same kind of trouble.
	reportInterval = time.Second
)

// loop is the state of one Serve call. Only the loop's goroutine touches it: no locks.
type loop struct {
	s     *Server
	conns map[int]*EchoConn
	// buf is the one read buffer of the whole server, RecvBufferSize bytes: every recv lands
	// here and EchoConn keeps nothing of it, so an idle connection owns no read buffer.
	buf []byte
	// resumeAccept: while the process is out of descriptors, the listener is not watched (nor,
	// by busy-poll, called) until then.
	resumeAccept time.Time
	refused      burst // connections closed at once because the server cannot watch them
	starved      burst // accepts that failed for want of descriptors
}

func newLoop(s *Server) *loop {
	return &loop{
		s:       s,
		conns:   make(map[int]*EchoConn),
		buf:     make([]byte, blocking.RecvBufferSize),
		refused: burst{interval: reportInterval},
		starved: burst{interval: reportInterval},
	}
}

func (l *loop) stopping() bool { return l.s.stop.Load() }

// accepting says whether to watch the listener in this pass.
func (l *loop) accepting(now time.Time) bool { return !now.Before(l.resumeAccept) }

// accept takes up to AcceptBatch connections from the listener, until it says EAGAIN. A client
// that gave up while waiting in the queue (ECONNABORTED) is skipped. An error it cannot live
// with ends the loop.
//
// Out of descriptors (EMFILE, ENFILE) the connection stays in the queue and the listener stays
// readable, so a loop that simply retried would spin at full speed writing log lines. Instead
// it stops watching the listener for AcceptPause and logs once per burst. That is the least
// that works; chapter 4's accept handler does it properly.
func (l *loop) accept() error {
	for range AcceptBatch {
		fd, err := Accept(l.s.listener)
		switch {
		case err == nil:
		case WouldBlock(err):
			return nil
		case AcceptAgain(err):
			continue
		case OutOfDescriptors(err):
			l.resumeAccept = time.Now().Add(AcceptPause)
			l.starved.add(fmt.Sprintf("%v; not accepting for %v", err, AcceptPause))
			return nil
		default:
			return err
		}
		if l.s.admit != nil {
			if err := l.s.admit(fd); err != nil {
				unix.Close(fd)
				l.refused.add(fmt.Sprintf("closed a new connection at once: %v", err))
				continue
			}
		}
		l.conns[fd] = NewEchoConn(fd)
	}
	return nil
}

// read runs c's read handler and closes c if it is done or broken; it reports whether c is
// still open.
func (l *loop) read(c *EchoConn) bool { return l.settle(c, c.HandleRead(l.buf)) }

// write runs c's write handler, likewise.
func (l *loop) write(c *EchoConn) bool { return l.settle(c, c.HandleWrite()) }

func (l *loop) settle(c *EchoConn, err error) bool {
	if err == nil && !c.Finished() {
		return true
	}
	if err == nil {
		err = c.Err()
	}
	if err != nil && !PeerGone(err) {
		l.s.logf("connection fd %d: %v; closing it", c.FD(), err)
	}
	l.drop(c)
	return false
}

func (l *loop) drop(c *EchoConn) {
	delete(l.conns, c.FD())
	if err := c.Close(); err != nil {
		l.s.logf("connection fd %d: %v", c.FD(), err)
	}
}

// tick ends a pass: it writes the log lines that are due and says how long the loop may sleep
// before something is due on the clock (accepting again, a held log line). ok is false when
// nothing is: the loop may sleep until a socket is ready.
func (l *loop) tick(now time.Time) (wait time.Duration, ok bool) {
	for _, d := range []time.Duration{
		l.resumeAccept.Sub(now),
		l.refused.report(now, l.s.logf),
		l.starved.report(now, l.s.logf),
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
	l.refused.flush(l.s.logf)
	l.starved.flush(l.s.logf)
}
