// The reads: what the application asks for, and how the unread input answers it. Mirrors
// read_until, read_until_regex, read_bytes, read_until_close, _set_read_callback and
// _read_from_buffer in tornado/iostream.py (3.2).

package tcpserver

import (
	"bytes"
	"fmt"
	"regexp"
)

// ReadUntil reads up to and including the first delim and passes it to cb. The delimiter is
// copied; the data cb receives is valid until cb returns.
func (s *IOStream) ReadUntil(delim []byte, cb func(data []byte)) error {
	if len(delim) == 0 {
		return ErrEmptyDelimiter
	}
	if s.read.kind != readNone {
		return ErrReadPending
	}
	s.delim = append(s.delim[:0], delim...)
	s.read = readRequest{kind: readDelim, cb: cb}
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
	if s.read.kind != readNone {
		return ErrReadPending
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
	if s.read.kind != readNone {
		return ErrReadPending
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
	if s.read.kind != readNone {
		return ErrReadPending
	}
	s.read = readRequest{kind: readClose, cb: cb, streaming: streaming}
	return s.startRead()
}

// startRead ends every read method: on a closed stream only the unread input can answer, and a
// read it cannot advance is ErrStreamClosed at once (Tornado's _try_inline_read looks at the
// buffer before it checks for a closed stream in the same way).
func (s *IOStream) startRead() error {
	if s.closed {
		if act := s.nextRead(); act == readWait || act == readOver {
			s.read = readRequest{}
			return ErrStreamClosed
		}
	}
	s.afterCall()
	return nil
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

func (s *IOStream) nextRead() readAction {
	_, act := s.planRead()
	return act
}

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
	unread := len(s.buf) - s.pos
	limit := s.cfg.maxBuffer
	switch r.kind {
	case readDelim:
		n := s.findDelim()
		if r.max > 0 && s.beyondReadLimit(n, unread) {
			return 0, readLong
		}
		if n >= 0 {
			return n, overIf(n-len(s.delim) > limit, readDone)
		}
		if unread-(len(s.delim)-1) > limit {
			return 0, readOver
		}
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

func overIf(over bool, act readAction) readAction {
	if over {
		return readOver
	}
	return act
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

// deliverRead advances the pending read by one callback, if it can.
func (s *IOStream) deliverRead() bool {
	n, act := s.planRead()
	switch act {
	case readFeed:
		s.read.n -= n
		s.callData(s.read.streaming, s.take(n))
	case readDone:
		cb := s.read.cb
		if s.read.kind == readClose && s.eof {
			s.ended = true // the application has seen the end: close once output has gone
		}
		s.read = readRequest{}
		data := s.take(n)
		if cb != nil {
			s.callData(cb, data)
		}
	case readOver:
		s.read = readRequest{}
		if !s.closed {
			s.fail(fmt.Errorf("%w (%d bytes)", ErrBufferFull, s.cfg.maxBuffer))
		}
	case readLong:
		s.deliverTooLong()
	default:
		return false
	}
	return true
}

// take consumes n unread bytes and returns them, capped so that a callback appending to its
// data cannot write over the input that follows.
func (s *IOStream) take(n int) []byte {
	p := s.buf[s.pos : s.pos+n : s.pos+n]
	s.pos += n
	return p
}
