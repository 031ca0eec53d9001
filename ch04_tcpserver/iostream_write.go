// Writing: send now what the kernel takes, keep the rest in chapter 2's OutBuf, and tell each
// writer when its bytes have gone. Mirrors write and _handle_write in tornado/iostream.py (3.2).

package tcpserver

// writeCallback runs once the first end bytes ever written have gone to the kernel.
type writeCallback struct {
	end int64
	fn  func()
}

// Write sends data, at once as far as the kernel takes it, and buffers the rest, which the
// loop sends when the socket is writable; data itself is not kept, so the caller may reuse it
// when Write returns. cb, if not nil, runs once data and everything written before it have gone
// to the kernel (for empty data: once everything written before has). A Write that would take
// the buffered output past MaxWriteBufferSize returns ErrWriteBufferFull and sends nothing:
// wait for an earlier Write's callback and try again. On a closed stream it returns
// ErrStreamClosed. A failure to send (the peer reset the connection) closes the stream, as a
// failure to read does, and is reported by Error and the close callback, not here.
func (s *IOStream) Write(data []byte, cb func()) error {
	if s.closed {
		return ErrStreamClosed
	}
	if s.cfg.maxWrite > 0 && s.out.Len()+len(data) > s.cfg.maxWrite {
		return ErrWriteBufferFull
	}
	if len(data) > 0 {
		s.queued += int64(len(data))
		if _, err := s.out.WriteVia(s.t.Write, data); err != nil {
			s.fail(err)
			s.afterCall()
			return nil
		}
	}
	if cb != nil {
		s.writeCBs = append(s.writeCBs, writeCallback{end: s.queued, fn: cb})
	}
	s.afterCall()
	return nil
}

// flush sends buffered output when the loop says the socket is writable, and reports whether
// anything happened (bytes sent, or an error that closed the stream).
func (s *IOStream) flush() (progress bool) {
	before := s.out.Len()
	if _, err := s.out.FlushVia(s.t.Write); err != nil {
		s.fail(err)
		return true
	}
	return s.out.Len() != before
}

// writeCallbackReady reports whether the oldest waiting write callback's bytes have gone.
func (s *IOStream) writeCallbackReady() bool {
	return s.wcHead < len(s.writeCBs) && s.writeCBs[s.wcHead].end <= s.queued-int64(s.out.Len())
}

// runWriteCallback runs the oldest write callback if its bytes have gone. The slice is kept
// for the next writes, so a writer that passes a callback every time allocates nothing.
func (s *IOStream) runWriteCallback() bool {
	if !s.writeCallbackReady() {
		return false
	}
	fn := s.writeCBs[s.wcHead].fn
	s.writeCBs[s.wcHead] = writeCallback{}
	s.wcHead++
	if s.wcHead == len(s.writeCBs) {
		s.writeCBs, s.wcHead = s.writeCBs[:0], 0
	}
	s.call(fn)
	return true
}

// dropWriteCallbacks forgets the waiting write callbacks: their bytes will never go.
func (s *IOStream) dropWriteCallbacks() {
	clear(s.writeCBs)
	s.writeCBs, s.wcHead = nil, 0
}
