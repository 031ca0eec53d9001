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
		if s.busy {
			s.hold(data)
		} else {
			s.send(data)
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

// Unsent is how many bytes written to the stream have not gone to the kernel yet: those in the
// run's batch, those the kernel refused, and those a transport holds (TLS records not sent).
// An application that reads its peer's next request before the last answer has gone (so that
// the answers go out together) reads it only while this is small: a peer that does not read
// is then held back by TCP rather than by the stream's memory. Tornado 3.2's writing() says
// only whether it is zero.
func (s *IOStream) Unsent() int { return s.owed() }

// batchSize is the most output a run gathers for one write(2): a batch that a Write would take
// past it is sent first, and a Write larger than it is sent on its own.
const batchSize = 64 << 10

// send hands data to the transport at once; what the kernel refuses waits in out, behind what
// already waits there (which data does not overtake).
func (s *IOStream) send(data []byte) {
	if _, err := s.out.WriteVia(s.t.Write, data); err != nil {
		s.fail(err)
		return
	}
	s.flushTransport()
}

// hold adds data, written by a callback while the stream runs, to the run's batch, which run
// sends once nothing but more input is due (sendBatch). Output that already waits for the
// socket to be writable is not overtaken: then data joins it.
func (s *IOStream) hold(data []byte) {
	b := s.borrow()
	if len(b.batch)+len(data) > batchSize {
		s.sendBatch()
	}
	if s.closed || s.out.Len() > 0 || len(data) > batchSize {
		if !s.closed {
			s.send(data)
		}
		return
	}
	if b.batch == nil {
		b.batch = make([]byte, 0, batchSize)
	}
	b.batch = append(b.batch, data...)
}

// batched is how many bytes wait in the run's batch.
func (s *IOStream) batched() int {
	if s.lent == nil {
		return 0
	}
	return len(s.lent.batch)
}

// sendBatch sends the run's batch in one write; what the kernel refuses is copied to out.
func (s *IOStream) sendBatch() {
	if s.batched() == 0 {
		return
	}
	p := s.lent.batch
	s.lent.batch = p[:0]
	s.send(p)
}

// lastBatch sends the run's batch as the stream closes, as Write would have sent it at once: a
// close drops only what the kernel refused. A failure here only means the peer has gone.
func (s *IOStream) lastBatch() {
	if s.batched() > 0 {
		_, _ = s.out.WriteVia(s.t.Write, s.lent.batch)
		s.lent.batch = s.lent.batch[:0]
	}
}

// writeCallback runs once the first end bytes ever written have gone to the kernel.
type writeCallback struct {
	end int64
	fn  func()
}

// owed is the output waiting for the descriptor: in the run's batch, in the stream's buffer, and
// inside a transport that holds output of its own (an OutputHolder, such as TLS with records to
// send).
func (s *IOStream) owed() int {
	return s.batched() + s.out.Len() + s.heldOutput()
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
	gone := s.queued - int64(s.batched()+s.out.Len())
	if s.wcHead == len(s.writeCBs) || s.writeCBs[s.wcHead].end > gone {
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
