// The input buffer: memory only while there is unread input. Mirrors _read_to_buffer and
// _consume in tornado/iostream.py (3.2), which keep a list of the chunks each recv returned.
//
// Every recv lands in a chunk lent by a pool for one read event. Most of the time the pending
// read takes all of it (a request, a line of an echo): the callback sees the chunk itself, and
// the chunk goes back to the pool, so the stream never owned a byte. Only what is left unread
// when the event ends (half a line) is copied into memory of the stream's own, sized to it, and
// later input is appended there until the read completes. An idle stream with nothing unread
// holds no buffer at all, however large the chunks; Tornado's idle stream holds none either,
// but allocates a new string for every recv.

package tcpserver

import "sync"

// chunks lends read chunks. A pool is per process, not per loop, and hands out a chunk to one
// borrower at a time, so streams on different loops (goroutines) may share it.
var chunks sync.Pool // of *[]byte

func getChunk(size int) *[]byte {
	if p, ok := chunks.Get().(*[]byte); ok && cap(*p) >= size {
		*p = (*p)[:size]
		return p
	}
	b := make([]byte, size)
	return &b
}

func putChunk(p *[]byte) { chunks.Put(p) }

// ingest takes n new bytes of input from the chunk. With nothing unread, the chunk becomes the
// buffer (borrowed, until tidy); otherwise the bytes join the stream's own buffer.
func (s *IOStream) ingest(p []byte) {
	if s.pos == len(s.buf) {
		s.buf, s.pos, s.borrowed = p, 0, true
		return
	}
	unread := len(s.buf) - s.pos
	// Slide the unread bytes to the front when the consumed prefix is as large (each byte then
	// moves at most once per doubling of the buffer) or when appending would reallocate anyway.
	if s.pos > 0 && (s.pos >= unread || len(s.buf)+len(p) > cap(s.buf)) {
		n := copy(s.buf, s.buf[s.pos:])
		s.buf, s.pos = s.buf[:n], 0
	}
	s.buf = append(s.buf, p...)
}

// shrinkMin is the capacity below which an owned buffer is never reallocated to a smaller one.
const shrinkMin = 4 << 10

// tidy runs when no callback is running: input nobody has read is given memory of the stream's
// own (the chunk goes back to the pool after the event), consumed input is let go, and a
// buffer that grew for a large read and now holds a little is replaced by a small one.
func (s *IOStream) tidy() {
	unread := len(s.buf) - s.pos
	switch {
	case unread == 0:
		s.buf, s.pos, s.borrowed = nil, 0, false
	case s.borrowed:
		s.buf, s.pos, s.borrowed = append([]byte(nil), s.buf[s.pos:]...), 0, false
	case cap(s.buf) > shrinkMin && cap(s.buf) > 4*unread:
		s.buf, s.pos = append(make([]byte, 0, 2*unread), s.buf[s.pos:]...), 0
	}
}
