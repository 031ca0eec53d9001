// ReadUntilLimit: a delimited read with a bound of its own, reported to the application instead
// of closing the stream. Tornado 3.2 has only the stream-wide max_buffer_size, which closes;
// Tornado 4.0 added read_until's max_bytes for its HTTP/1.1 parser (it closes too). An HTTP
// server needs the report: a request head over its limit is answered 431 before the close.

package tcpserver

import "fmt"

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
func (s *IOStream) ReadUntilLimit(delim []byte, max int, cb func(data []byte), tooLong func()) error {
	if len(delim) == 0 {
		return ErrEmptyDelimiter
	}
	if s.read.kind != readNone {
		return ErrReadPending
	}
	s.delim = append(s.delim[:0], delim...)
	s.read = readRequest{kind: readDelim, cb: cb, max: max, tooLong: tooLong}
	return s.startRead()
}

// beyondReadLimit reports whether the pending ReadUntilLimit has broken its limit, given end,
// the length up to the end of the delimiter (-1 when not found yet), and the unread length. A
// delimiter not found yet ends at unread+1 at the earliest.
func (s *IOStream) beyondReadLimit(end, unread int) bool {
	if end >= 0 {
		return end > s.read.max
	}
	return unread >= s.read.max
}

// deliverTooLong ends the pending read that broke its own limit.
func (s *IOStream) deliverTooLong() {
	tooLong, limit := s.read.tooLong, s.read.max
	s.read = readRequest{}
	switch {
	case tooLong != nil:
		s.call(tooLong)
	case !s.closed:
		s.fail(fmt.Errorf("%w (a read limited to %d bytes)", ErrBufferFull, limit))
	}
}
