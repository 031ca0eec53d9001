// The stream's side of the loop: what it asks the loop to watch, and what it does when the loop
// says the descriptor is ready. Mirrors _handle_events, _handle_read, _add_io_state and
// _maybe_add_error_listener in tornado/iostream.py (3.2).

package tcpserver

import (
	"errors"
	"io"

	nonblocking "tornadotcp/ch02_nonblocking"
	ioloop "tornadotcp/ch03_epoll"
)

// errHangUp is a stream's error when the loop reported an error on its descriptor that neither
// reading nor writing could explain.
var errHangUp = errors.New("tcpserver: the loop reported an error on the descriptor")

// updateInterest makes the loop watch what the stream waits for: READ while a read is pending
// and input may still come, WRITE while output is owed. A stream that waits for nothing is not
// registered at all, so it costs the loop nothing, and a registered one is changed only when
// what it waits for changes: an echo connection, always reading and rarely owing, is
// registered once and never modified. Tornado watches READ whenever it watches anything, to
// notice a peer that leaves; here a stream notices at its next read or write, so that a peer
// that half-closes still gets the answer the application is preparing.
func (s *IOStream) updateInterest() {
	if s.closed {
		return
	}
	want := ioloop.NONE
	if s.read.kind != readNone && !s.eof {
		want |= ioloop.READ
	}
	if s.out.Len() > 0 {
		want |= ioloop.WRITE
	}
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

// handleEvents is the stream's handler. An ERROR event (a reset, a hang-up) is treated as both
// readable and writable: the read or the send then returns the data still there, EOF, or the
// error itself, and the stream ends the way it would have for them.
func (s *IOStream) handleEvents(_ int, events uint32) {
	if s.closed {
		return
	}
	progress := false
	if events&(ioloop.WRITE|ioloop.ERROR) != 0 && s.out.Len() > 0 {
		progress = s.flush()
	}
	if !s.closed && events&(ioloop.READ|ioloop.ERROR) != 0 && s.events&ioloop.READ != 0 && s.readEvent() {
		return // it has delivered what came, and what the flush made due
	}
	if !s.closed && events&ioloop.ERROR != 0 && !progress {
		err := nonblocking.SocketError(s.t.FD(), "socket")
		if err == nil {
			err = errHangUp
		}
		s.fail(err)
	}
	s.run()
}

// maxReadsPerEvent bounds the recvs of one read event, so that a peer sending as fast as the
// stream reads cannot keep the loop from its other descriptors (the accept loop's 128 per event
// is the same idea). What is left is reported again on the next pass.
const maxReadsPerEvent = 16

// readEvent reads what the transport has and delivers it. It reads again only while each recv
// fills the whole chunk and a read still waits: a short recv means the kernel had no more, and
// the level-triggered loop reports the socket again when more comes, so the EAGAIN that
// Tornado's read loop ends on is never asked for (one system call fewer per message). This is
// why a stream needs a level-triggered monitor, the loop's default. It reports whether
// anything happened (input, EOF or an error), and then it has run the stream.
func (s *IOStream) readEvent() (progress bool) {
	chunk := getChunk(s.cfg.chunk)
	defer putChunk(chunk)
	for range maxReadsPerEvent {
		n, err := s.t.Read(*chunk)
		switch {
		case err == nil && n > 0:
			s.ingest((*chunk)[:n])
		case err == nil || nonblocking.WouldBlock(err):
			return progress
		case errors.Is(err, io.EOF):
			s.eof = true
		default:
			s.fail(err)
		}
		progress = true
		s.run()
		if s.closed || s.eof || n < len(*chunk) || s.read.kind == readNone {
			return progress
		}
	}
	return progress
}
