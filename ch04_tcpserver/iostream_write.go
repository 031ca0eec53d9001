// The writes: send now what the transport takes, keep the rest in chapter 2's OutBuf, and tell
// each writer when its bytes have gone. Mirrors write, _handle_write and writing in
// tornado/iostream.py (3.2).

package tcpserver

import nonblocking "tornadotcp/ch02_nonblocking"

// Write sends data, at once as far as the kernel takes it, and buffers the rest, which the
// loop sends when the socket is writable; data itself is not kept, so the caller may reuse it
// when Write returns. cb, if not nil, runs once data and everything written before it have gone
// to the kernel (for empty data: once everything written before has). A Write that would take
// the buffered output past MaxWriteBufferSize returns ErrWriteBufferFull and sends nothing:
// wait for an earlier Write's callback and try again. On a closed stream, or once
// LingeringClose has been called, it returns ErrStreamClosed. A failure to send (the peer reset
// the connection) closes the stream, as a failure to read does, and is reported by Error and the
// close callback, not here.
func (s *IOStream) Write(data []byte, cb func()) error {
	if s.closed || s.lingering {
		return ErrStreamClosed
	}
	if s.cfg.maxWrite > 0 && s.owed()+len(data) > s.cfg.maxWrite {
		return ErrWriteBufferFull
	}
	if len(data) > 0 {
		s.queued += int64(len(data))
		if _, err := s.out.WriteVia(s.t.Write, data); err != nil {
			s.fail(err)
		} else {
			s.flushTransport()
		}
	}
	if cb != nil && !s.closed {
		if s.writeCBs == nil {
			s.writeCBs = s.wcInline[:0] // a second waiting callback moves them to the heap
		}
		s.writeCBs = append(s.writeCBs, writeCallback{end: s.queued, fn: cb})
	}
	s.afterCall()
	return nil
}

// writeCallback runs once the first end bytes ever written have gone to the kernel.
type writeCallback struct {
	end int64
	fn  func()
}

// owed is the output waiting for the descriptor: in the stream's buffer, and inside a
// transport that holds output of its own (an OutputHolder, such as TLS with records to send).
func (s *IOStream) owed() int {
	return s.out.Len() + s.heldOutput()
}

// flush sends what is owed when the loop says the descriptor is writable: the stream's buffer
// into the transport, then what the transport holds.
func (s *IOStream) flush() {
	before := s.owed()
	if _, err := s.out.FlushVia(s.t.Write); err != nil {
		s.unexplained = false
		s.fail(err)
		return
	}
	s.flushTransport()
	if s.owed() != before {
		s.unexplained = false // bytes went: the event's error is not the send's to report
	}
}

// flushTransport asks a transport that can hold output (an OutputHolder) to send it.
func (s *IOStream) flushTransport() {
	if s.ext == nil || s.ext.out == nil || s.closed {
		return
	}
	if err := s.ext.out.Flush(); err != nil && !nonblocking.WouldBlock(err) {
		s.unexplained = false
		s.fail(err)
	}
}

// writeCallbackReady reports whether the oldest waiting write callback's bytes have gone: the
// stream has handed them to the transport, and the transport holds nothing back.
func (s *IOStream) writeCallbackReady() bool {
	if s.wcHead == len(s.writeCBs) || s.writeCBs[s.wcHead].end > s.queued-int64(s.out.Len()) {
		return false
	}
	return s.heldOutput() == 0
}

// runWriteCallback runs the oldest write callback. The slice is kept for the next writes, so a
// writer that passes a callback every time allocates nothing.
func (s *IOStream) runWriteCallback() {
	fn := s.writeCBs[s.wcHead].fn
	s.writeCBs[s.wcHead] = writeCallback{}
	s.wcHead++
	if s.wcHead == len(s.writeCBs) {
		s.writeCBs, s.wcHead = s.writeCBs[:0], 0
	}
	s.call(fn)
}

// dropWriteCallbacks forgets the waiting write callbacks: their bytes will never go.
func (s *IOStream) dropWriteCallbacks() {
	clear(s.writeCBs)
	clear(s.wcInline[:])
	s.writeCBs, s.wcHead = nil, 0
}
