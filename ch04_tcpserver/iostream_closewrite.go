// Half-closing a stream: no more output, input still read. Tornado 3.2's IOStream had no such
// call; net/http's server half-closes before it closes a connection it refused.

package tcpserver

import "errors"

// ErrNoHalfClose is returned by CloseWrite when the stream's transport cannot shut down its
// sending side alone.
var ErrNoHalfClose = errors.New("tcpserver: the transport cannot half-close")

// ErrWritePending is returned by CloseWrite while written bytes are still waiting for the kernel.
var ErrWritePending = errors.New("tcpserver: output is still pending")

// halfCloser is what a Transport offers when it can stop sending and go on receiving.
type halfCloser interface {
	CloseWrite() error
}

// CloseWrite shuts down the stream's sending side: the peer reads EOF after everything written,
// and the stream can still read what the peer sends. Call it when nothing is left to send, from
// the last Write's callback; with output pending it returns ErrWritePending and changes nothing.
// A server that refuses a client still sending uses it so that the kernel has no unread input
// to answer with a reset (which could destroy the refusal before the client reads it).
func (s *IOStream) CloseWrite() error {
	switch {
	case s.closed:
		return ErrStreamClosed
	case s.out.Len() > 0:
		return ErrWritePending
	}
	hc, ok := s.t.(halfCloser)
	if !ok {
		return ErrNoHalfClose
	}
	return hc.CloseWrite()
}
