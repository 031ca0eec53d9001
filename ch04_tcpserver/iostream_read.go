// The reads: what the application asks for, the input buffer that answers it, and the one
// transport read that fills the buffer. Mirrors read_until, read_until_regex, read_bytes,
// read_until_close, _try_inline_read, _read_to_buffer, _read_from_buffer and _consume in
// tornado/iostream.py (3.2).

package tcpserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"

	nonblocking "tornadotcp/ch02_nonblocking"
)

// ReadUntil reads up to and including the first delim and passes it to cb. The delimiter is
// copied; the data cb receives is valid until cb returns.
func (s *IOStream) ReadUntil(delim []byte, cb func(data []byte)) error {
	return s.ReadUntilLimit(delim, 0, cb, nil)
}

// ReadUntilLimit is ReadUntil with a limit on the data cb would receive, delimiter included:
// when the delimiter has not ended by max bytes of unread input, the read ends and tooLong runs
// instead of cb. The stream stays open and nothing is logged, so the application can answer
// (HTTPServer writes 431) and close. As with MaxBufferSize, the verdict does not depend on how
// the input was split: a delimiter that ends exactly at max completes, and max bytes without a
// complete delimiter are too long whether or not more is on its way.
//
// With a nil tooLong, breaking the limit closes the stream with an error wrapping ErrBufferFull.
// A max of zero or less sets no limit of the read's own. The stream's MaxBufferSize still
// applies and, if it is the smaller, closes the stream first.
//
// Tornado 3.2 has only the stream-wide max_buffer_size, which closes; Tornado 4.0 added
// read_until's max_bytes for its HTTP/1.1 parser (it closes too). An HTTP server needs the
// report: a request head over its limit is answered 431 before the close.
func (s *IOStream) ReadUntilLimit(delim []byte, max int, cb func(data []byte), tooLong func()) error {
	if len(delim) == 0 {
		return ErrEmptyDelimiter
	}
	if err := s.readRefused(); err != nil {
		return err
	}
	if s.delim == nil {
		s.delim = s.delimInline[:0] // a longer delimiter moves to memory of its own, kept
	}
	s.delim = append(s.delim[:0], delim...)
	s.read = readRequest{kind: readDelim, cb: cb, max: max, tooLong: tooLong}
	return s.startRead()
}

// ReadUntilBlankLine reads up to and including the first empty line and passes it to cb: the
// head of a protocol whose heads are lines, as HTTP/1.1's are. A line ends in "\r\n" or in a
// bare "\n" (RFC 9112 §2.2 lets a recipient accept either), so the read ends at the first "\n"
// directly followed by "\n" or "\r\n". max and tooLong are ReadUntilLimit's, and the stream's
// MaxBufferSize counts the input before that "\n".
//
// Tornado 3.2's HTTPServer read its heads with read_until("\r\n\r\n"), so a head whose lines
// end in bare LF never ended. Tornado 4.0 reads them with read_until_regex(b"\r?\n\r?\n"), which
// searches the whole unread input again whenever a piece arrives: a head sent a byte at a time
// costs time quadratic in its length. This search, like ReadUntil's, resumes where it stopped.
func (s *IOStream) ReadUntilBlankLine(max int, cb func(data []byte), tooLong func()) error {
	if s.read.kind != readNone {
		return ErrReadPending
	}
	s.read = readRequest{kind: readBlankLine, cb: cb, max: max, tooLong: tooLong}
	return s.startRead()
}

// ReadUntilRegex reads up to and including the first match of re and passes it to cb. Unlike
// ReadUntil, each new piece of input makes it search the whole unread input again (a match may
// begin anywhere), so a pattern that only matches far into a large input costs quadratic time,
// bounded by MaxBufferSize; Tornado's does the same. A nil re is ErrEmptyDelimiter.
func (s *IOStream) ReadUntilRegex(re *regexp.Regexp, cb func(data []byte)) error {
	if re == nil {
		return ErrEmptyDelimiter
	}
	if err := s.readRefused(); err != nil {
		return err
	}
	s.read = readRequest{kind: readRegex, cb: cb, re: re}
	return s.startRead()
}

// ReadBytes reads exactly n bytes and passes them to cb; n may be zero, and cb then receives
// empty data. With a streaming callback, each piece of input goes to streaming as it arrives
// (never more than n bytes in all) and cb receives empty data once n bytes have been streamed;
// input beyond n stays unread for the next read.
func (s *IOStream) ReadBytes(n int, cb func(data []byte), streaming func(chunk []byte)) error {
	if n < 0 {
		return ErrNegativeCount
	}
	if err := s.readRefused(); err != nil {
		return err
	}
	s.read = readRequest{kind: readBytes, cb: cb, streaming: streaming, n: n}
	return s.startRead()
}

// ReadUntilClose reads everything until the peer shuts down its side (or the stream closes)
// and passes it to cb; without a streaming callback all of it must fit in MaxBufferSize. With
// one, each piece goes to streaming as it arrives and cb receives empty data at the end. After
// cb, the stream sends the output written so far (cb may still write) and closes. On a stream
// that has closed already, cb receives the input that was left unread.
func (s *IOStream) ReadUntilClose(cb func(data []byte), streaming func(chunk []byte)) error {
	if err := s.readRefused(); err != nil {
		return err
	}
	s.read = readRequest{kind: readClose, cb: cb, streaming: streaming}
	return s.startRead()
}

// readRefused says why a read cannot start: another is pending (ErrReadPending), or the
// application has ended the stream with LingeringClose (ErrStreamClosed).
func (s *IOStream) readRefused() error {
	switch {
	case s.lingering:
		return ErrStreamClosed
	case s.read.kind != readNone:
		return ErrReadPending
	}
	return nil
}

// startRead ends every read method: on a closed stream only the unread input can answer, and a
// read it cannot advance is ErrStreamClosed at once (Tornado's _try_inline_read looks at the
// buffer before it checks for a closed stream in the same way).
func (s *IOStream) startRead() error {
	if s.closed {
		if _, act := s.planRead(); act == readWait || act == readOver {
			s.read = readRequest{}
			return ErrStreamClosed
		}
	}
	s.afterCall()
	return nil
}

// readKind is what the pending read waits for.
type readKind uint8

const (
	readNone readKind = iota
	readDelim
	readBlankLine
	readRegex
	readBytes
	readClose
)

// readRequest is the pending read.
type readRequest struct {
	kind      readKind
	cb        func([]byte)
	streaming func([]byte)
	re        *regexp.Regexp
	n         int // ReadBytes: bytes still wanted
	scan      int // ReadUntil(BlankLine): unread bytes searched, less a delimiter's split start
	// ReadUntilLimit: the most the read may deliver, delimiter included (0: no limit of its
	// own), and what runs instead of cb when that is broken.
	max     int
	tooLong func()
}

// readAction is what the pending read can do with the unread input now.
type readAction uint8

const (
	readWait readAction = iota // nothing until more input comes
	readFeed                   // pass a piece to the streaming callback
	readDone                   // complete
	readOver                   // it needs more input than MaxBufferSize allows
	readLong                   // it needs more than its own limit allows (ReadUntilLimit)
)

// planRead decides what the pending read can do now, and with how many bytes.
//
// The limit is on what a read needs, whatever the pieces the input arrived in: the bytes before
// the delimiter (or the match), the count asked of ReadBytes, everything for ReadUntilClose,
// unless a streaming callback takes the input as it comes. So with a limit of 64 KiB a line of
// 64 KiB and its newline is read, and a line one byte longer closes the stream, whether its
// newline came with it or not (chapter 1's Lines keeps the same rule). Tornado compares the
// buffer with the limit after each recv, so its verdict depends on how the bytes were split.
func (s *IOStream) planRead() (int, readAction) {
	r := &s.read
	unread := s.unread()
	limit := s.cfg.maxBuffer
	switch r.kind {
	case readDelim:
		return s.planUntil(s.findDelim(), len(s.delim))
	case readBlankLine:
		return s.planUntil(s.findBlankLine())
	case readRegex:
		if loc := r.re.FindIndex(s.buf[s.pos:]); loc != nil {
			return loc[1], overIf(loc[0] > limit, readDone)
		}
		if unread > limit {
			return 0, readOver
		}
	case readBytes:
		switch {
		case r.streaming != nil && r.n > 0 && unread > 0:
			return min(unread, r.n), readFeed
		case r.streaming == nil && r.n > limit:
			return 0, readOver
		case unread >= r.n:
			return r.n, readDone
		}
	case readClose:
		switch {
		case r.streaming != nil && unread > 0:
			return unread, readFeed
		case r.streaming == nil && unread > limit:
			return 0, readOver
		case s.eof || s.closed:
			return unread, readDone
		}
	}
	return 0, readWait
}

// planUntil is planRead for a read that ends with a delimiter: n is the length up to the end of
// the delimiter found (-1 when not found yet), delimLen the delimiter's length (its shortest
// possible length when not found yet).
func (s *IOStream) planUntil(n, delimLen int) (int, readAction) {
	unread, limit := s.unread(), s.cfg.maxBuffer
	if max := s.read.max; max > 0 && beyondReadLimit(n, unread, max) {
		return 0, readLong
	}
	if n >= 0 {
		return n, overIf(n-delimLen > limit, readDone)
	}
	if unread-(delimLen-1) > limit {
		return 0, readOver
	}
	return 0, readWait
}

func overIf(over bool, act readAction) readAction {
	if over {
		return readOver
	}
	return act
}

// beyondReadLimit reports whether a ReadUntilLimit has broken its limit max, given end, the
// length up to the end of the delimiter (-1 when not found yet), and the unread length. A
// delimiter not found yet ends at unread+1 at the earliest.
func beyondReadLimit(end, unread, max int) bool {
	if end >= 0 {
		return end > max
	}
	return unread >= max
}

// findDelim returns the length of the unread input up to the end of the first delimiter, or -1.
// It searches only what it has not searched before (less the delimiter's length minus one, for a
// delimiter split across two arrivals), so a long line arriving in small pieces costs time in
// proportion to its length. Tornado 3.2 got there by merging its list of chunks gradually.
func (s *IOStream) findDelim() int {
	unread := s.buf[s.pos:]
	from := s.read.scan
	i := bytes.Index(unread[from:], s.delim)
	s.searched += len(unread) - from
	if i < 0 {
		s.read.scan = max(0, len(unread)-len(s.delim)+1)
		return -1
	}
	return from + i + len(s.delim)
}

// findBlankLine is findDelim for ReadUntilBlankLine: the length of the unread input up to the
// end of the first empty line, and the length of what ends the head there counted from the "\n"
// before the empty line (2 for "\n\n", 3 for "\n\r\n"); or -1 and 2. It too searches only
// what it has not searched before, from a "\n" it could not yet decide about.
func (s *IOStream) findBlankLine() (end, delimLen int) {
	unread := s.buf[s.pos:]
	from := s.read.scan
	s.searched += len(unread) - from
	for {
		i := bytes.IndexByte(unread[from:], '\n')
		if i < 0 {
			s.read.scan = len(unread)
			return -1, 2
		}
		lf := from + i
		switch next := unread[lf+1:]; {
		case len(next) >= 1 && next[0] == '\n':
			return lf + 2, 2
		case len(next) >= 2 && next[0] == '\r' && next[1] == '\n':
			return lf + 3, 3
		case len(next) == 0 || len(next) == 1 && next[0] == '\r':
			s.read.scan = lf // the next byte or two decide
			return -1, 2
		}
		from = lf + 1
	}
}

// advanceRead does what planRead decided: feeds or completes the pending read with n bytes, or
// ends it for a broken limit.
func (s *IOStream) advanceRead(n int, act readAction) {
	r := s.read
	switch act {
	case readFeed:
		s.read.n -= n
		s.callData(r.streaming, s.take(n))
	case readDone:
		if r.kind == readClose && s.eof {
			s.ended = true // the application has seen the end: close once output has gone
		}
		s.read = readRequest{}
		data := s.take(n)
		if r.cb != nil {
			s.callData(r.cb, data)
		}
	case readOver:
		s.read = readRequest{}
		if !s.closed {
			s.fail(fmt.Errorf("%w (%d bytes)", ErrBufferFull, s.cfg.maxBuffer))
		}
	case readLong:
		s.read = readRequest{}
		switch {
		case r.tooLong != nil:
			s.call(r.tooLong)
		case !s.closed:
			s.fail(fmt.Errorf("%w (a read limited to %d bytes)", ErrBufferFull, r.max))
		}
	}
}

// take consumes n unread bytes and returns them, capped so that a callback appending to its
// data cannot write over the input that follows.
func (s *IOStream) take(n int) []byte {
	p := s.buf[s.pos : s.pos+n : s.pos+n]
	s.pos += n
	return p
}

// unread is how many bytes of input wait for a read.
func (s *IOStream) unread() int { return len(s.buf) - s.pos }

// The input buffer: memory only while there is unread input. Tornado keeps a list of the chunks
// each recv returned. Here every recv lands in a chunk lent by a pool for one run of the stream.
// Most of the time the pending read takes all of it (a request, a line of an echo): the
// callback sees the chunk itself, and the chunk goes back to the pool, so the stream never
// owned a byte. Only what is left unread when the run ends (half a line) is copied into memory
// of the stream's own, sized to it, and later input is appended there until the read
// completes. An idle stream with nothing unread holds no buffer at all, however large the
// chunks; Tornado's idle stream holds none either, but allocates a new string for every recv.

// lent lends what one run of a stream needs (runBuffers). A pool is per process, not per loop,
// and hands out a value to one borrower at a time, so streams on different loops (goroutines)
// may share it.
var lent sync.Pool // of *runBuffers

// runBuffers are lent to a stream for one run: the chunk its reads fill, and the batch in which
// the writes its callbacks make wait to go out together (see Write). Both keep their arrays
// from one loan to the next.
type runBuffers struct {
	chunk []byte
	batch []byte
}

// borrow returns the run's buffers, taken from the pool at the run's first need of them.
func (s *IOStream) borrow() *runBuffers {
	if s.lent == nil {
		b, ok := lent.Get().(*runBuffers)
		if !ok {
			b = new(runBuffers)
		}
		s.lent = b
	}
	return s.lent
}

// chunk is the run's read chunk, of the configured size.
func (s *IOStream) chunk() []byte {
	b := s.borrow()
	if cap(b.chunk) < s.cfg.chunk {
		b.chunk = make([]byte, s.cfg.chunk)
	}
	return b.chunk[:s.cfg.chunk]
}

// readToBuffer is one Read from the transport into the run's chunk: input joins the buffer, and
// EOF or an error ends the input. A Read that comes back short means the descriptor has nothing
// more now (the Transport contract), so the stream stops reading until the loop reports input
// again (it is level-triggered) or the transport says it holds some: the EAGAIN that Tornado's
// read loop ends on is never asked for, one system call fewer per message.
func (s *IOStream) readToBuffer() {
	chunk := s.chunk()
	s.tidy() // the chunk is about to be overwritten: unread input in it moves out first
	s.reads++
	n, err := s.t.Read(chunk)
	if n > 0 || (err != nil && !nonblocking.WouldBlock(err)) {
		s.unexplained = false // the event's error or hang-up shows up here
	}
	switch {
	case n > 0:
		s.ingest(chunk[:n])
		s.readable = s.readable && n == len(chunk)
	case err == nil || nonblocking.WouldBlock(err):
		s.readable = false
	case errors.Is(err, io.EOF):
		s.eof, s.readable = true, false
	default:
		s.fail(err)
	}
}

// ingest takes new input from the chunk. With nothing unread, the chunk becomes the buffer
// (borrowed, until tidy); otherwise the bytes join the stream's own buffer.
func (s *IOStream) ingest(p []byte) {
	if s.unread() == 0 {
		s.buf, s.pos, s.borrowed = p, 0, true
		return
	}
	unread := s.unread()
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
// own (the chunk is reused or goes back to the pool), consumed input is let go, and a buffer
// that grew for a large read and now holds a little is replaced by a small one.
func (s *IOStream) tidy() {
	unread := s.unread()
	switch {
	case unread == 0:
		s.buf, s.pos, s.borrowed = nil, 0, false
	case s.borrowed:
		s.buf, s.pos, s.borrowed = append([]byte(nil), s.buf[s.pos:]...), 0, false
	case cap(s.buf) > shrinkMin && cap(s.buf) > 4*unread:
		s.buf, s.pos = append(make([]byte, 0, 2*unread), s.buf[s.pos:]...), 0
	}
}

// giveBack returns the run's buffers to the pool, once tidy has moved the unread input out of
// the chunk and the batch has been sent.
func (s *IOStream) giveBack() {
	if s.lent != nil {
		lent.Put(s.lent)
		s.lent = nil
	}
}
