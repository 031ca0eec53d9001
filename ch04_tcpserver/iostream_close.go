// The end of a stream: the close callback, Close, the half-close that Tornado 3.2's IOStream did
// not have, and the failures that close it. Mirrors set_close_callback, close,
// _maybe_run_close_callback and closed in tornado/iostream.py (3.2).

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
// returns ErrWritePending and changes nothing. A server that refuses a client still sending
// uses it so that the kernel has no unread input to answer with a reset (which could destroy
// the refusal before the client reads it). Tornado 3.2's IOStream had no such call; net/http's
// server half-closes before it closes a connection it refused.
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

// fail closes the stream after an I/O error or a broken limit, logging the error unless it only
// says the peer went away.
func (s *IOStream) fail(err error) {
	if !blocking.PeerGone(err) { // Tornado's _ERRNO_CONNRESET: closed quietly
		s.cfg.log.Warn("tcpserver: stream error, closing", "fd", s.t.FD(), "err", err)
	}
	s.closeWith(err)
}

// closeWith closes the descriptor and drops the output; the input stays for the reads it can
// still satisfy. err, the first reason given, is what Error reports.
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
	s.out = nonblocking.OutBuf{}
	s.dropWriteCallbacks()
}
