// The end of a stream: the close callback, Close, the half-close and the lingering close that
// Tornado 3.2's IOStream did not have, and the failures that close it. Mirrors
// set_close_callback, close, _maybe_run_close_callback and closed in tornado/iostream.py (3.2).

package tcpserver

import (
	"errors"

	blocking "tornadotcp/ch01_blocking"
	nonblocking "tornadotcp/ch02_nonblocking"
	ioloop "tornadotcp/ch03_epoll"
)

var (
	// ErrNoHalfClose is returned by CloseWrite when the stream's transport cannot shut down its
	// sending side alone.
	ErrNoHalfClose = errors.New("tcpserver: the transport cannot half-close")
	// ErrWritePending is returned by CloseWrite while written bytes are still waiting for the
	// kernel.
	ErrWritePending = errors.New("tcpserver: output is still pending")
	// errHangUp is a stream's error when the loop reported an error on its descriptor that
	// neither reading nor writing could explain.
	errHangUp = errors.New("tcpserver: the loop reported an error on the descriptor")
)

// SetCloseCallback makes fn run once the stream has closed, after the reads the buffer could
// satisfy and the callbacks already due. On a closed stream it runs soon, from the loop. While
// a close callback is set, an idle stream watches for its peer leaving (see IOStream).
func (s *IOStream) SetCloseCallback(fn func()) {
	s.closeCB = fn
	s.afterCall()
}

// Close closes the stream now: the descriptor is unregistered and closed, unsent output is
// dropped, write callbacks not yet run are dropped. A pending ReadUntilClose receives the
// unread input; another pending read completes if the unread input satisfies it. Closing twice
// does nothing.
func (s *IOStream) Close() {
	s.closeWith(nil)
	s.afterCall()
}

// Closed reports whether the stream is closed.
func (s *IOStream) Closed() bool { return s.closed }

// Error says why the stream closed: nil after Close or a clean end of input, the I/O error, a
// wrapped ErrBufferFull or ErrCallbackPanicked otherwise.
func (s *IOStream) Error() error { return s.err }

// CloseWrite shuts down the stream's sending side: the peer reads EOF after everything written,
// and the stream can still read what the peer sends. Call it when nothing is left to send, from
// the last Write's callback; with output pending (in the stream, or held by the transport) it
// returns ErrWritePending and changes nothing. LingeringClose is built on it. Tornado 3.2's
// IOStream had no such call; net/http's server half-closes before it closes a connection it
// ends.
func (s *IOStream) CloseWrite() error {
	switch {
	case s.closed:
		return ErrStreamClosed
	case s.owed() > 0:
		return ErrWritePending
	}
	hc, ok := s.t.(CloseWriter)
	if !ok {
		return ErrNoHalfClose
	}
	err := hc.CloseWrite()
	s.afterCall() // a transport may hold output of its own for the half-close (TLS close_notify)
	return err
}

// LingeringClose ends the stream the way a server ends a connection it has chosen to end while
// the peer may still be sending (Apache's and nginx's lingering close): once the output already
// written has gone, the stream shuts down its sending side, so the peer reads everything and
// then EOF; it reads and drops what the peer still sends until the peer closes its side, or
// sends more than the byte bound, or the time bound passes (WithLinger: 8 MiB and 2 s from the
// half-close by default); then it closes. A plain close with input unread would make the kernel
// reset the connection, and a reset can destroy output the peer has not read yet. Tornado 3.2
// closes at once, and so does Tornado 6.5.
//
// From the call on, the application gets nothing more from the stream but its close callback,
// once, at the very end: the pending read and the write callbacks not yet run are dropped, and
// Write and the reads return ErrStreamClosed. Closed stays false until the end, and Error is
// nil then unless the connection failed meanwhile. Sending the output has no bound of its own
// here, as with Write; Close still closes at once. On a transport that cannot half-close, or
// after the peer's EOF, the stream closes as soon as the output has gone. Calling it again, or
// on a closed stream, does nothing.
func (s *IOStream) LingeringClose() {
	if s.closed || s.lingering {
		return
	}
	s.lingering = true
	s.read = readRequest{}
	s.dropWriteCallbacks()
	s.afterCall()
}

// halfCloseAndDrain is the second half of a lingering close, run once the output has gone: the
// half-close, then a ReadUntilClose of the stream's own whose pieces are dropped, ended by the
// peer's EOF (the read completes and the stream closes, as after any ReadUntilClose), by the
// byte bound or by a timer on the loop (either closes the stream, which completes the read).
func (s *IOStream) halfCloseAndDrain() {
	if s.eof {
		s.closeAtEnd() // the peer has sent everything: nothing is left unread
		return
	}
	s.halfClosed = true
	switch err := s.CloseWrite(); {
	case errors.Is(err, ErrNoHalfClose):
		s.closeWith(nil)
		return
	case err != nil:
		s.closeWith(err) // the peer reset the connection: quietly, as a failed read would
		return
	}
	d := &drain{stream: s, left: s.cfg.lingerBytes}
	d.timer = s.loop.CallLater(s.cfg.lingerTime, s.Close)
	s.read = readRequest{kind: readClose, cb: d.done, streaming: d.drop}
}

// drain is the state of a lingering close's draining, kept out of the stream (which has no room
// for it in its five cache lines) and reached through the callbacks of its read.
type drain struct {
	stream *IOStream
	left   int // bytes the peer may still send
	timer  *ioloop.Timeout
}

// drop drops a piece of the peer's input, and closes the stream once the peer has sent more
// than the bound: it is flooding, not finishing.
func (d *drain) drop(p []byte) {
	if d.left -= len(p); d.left < 0 {
		d.stream.Close()
	}
}

// done runs when the read ends, however the stream closes: the timer is no longer needed.
func (d *drain) done([]byte) { d.stream.loop.RemoveTimeout(d.timer) }

// fail closes the stream after an I/O error or a broken limit, logging the error unless it only
// says the peer went away.
func (s *IOStream) fail(err error) {
	if !blocking.PeerGone(err) { // Tornado's _ERRNO_CONNRESET: closed quietly
		s.cfg.log.Warn("tcpserver: stream error, closing", "fd", s.t.FD(), "err", err)
	}
	s.closeWith(err)
}

// closeAtEnd closes a stream that owes nothing and has nothing left to read, after a half-close:
// a transport whose end is a message of its own says it then (TLS's close_notify, without which
// a TLS client cannot tell the end from a truncation, an attacker's cut); on a plain socket the
// FIN goes either way. When the transport holds its message, the stream stays open until it has
// gone (next calls closeAtEnd again once nothing is owed). A half-close that fails means the
// peer has gone: the stream closes at once.
func (s *IOStream) closeAtEnd() {
	if hc, ok := s.t.(CloseWriter); ok && !s.endSaid {
		s.endSaid = true
		if hc.CloseWrite() == nil && s.owed() > 0 {
			return
		}
	}
	s.closeWith(nil)
}

// closeWith closes the descriptor and drops the output; the input stays for the reads it can
// still satisfy. err, the first reason given, is what Error reports. Both buffers count towards
// chapter 2's return of memory to the OS (nonblocking.LetGo): the input's is garbage as soon as
// the stream is.
func (s *IOStream) closeWith(err error) {
	if s.closed {
		return
	}
	s.closed = true
	s.err = err
	s.lastBatch()
	if s.events != ioloop.NONE {
		s.loop.RemoveHandler(s.t.FD())
		s.events = ioloop.NONE
	}
	if cerr := s.t.Close(); cerr != nil {
		s.cfg.log.Warn("tcpserver: closing stream", "fd", s.t.FD(), "err", cerr)
		if s.err == nil {
			s.err = cerr
		}
	}
	s.out.Release()
	if !s.borrowed {
		nonblocking.LetGo(cap(s.buf))
	}
	s.dropWriteCallbacks()
}
