// The echo protocol's framing: bytes in, complete lines out, written once for every chapter.
// Mirrors the delimiter search of tornado/iostream.py read_until (3.2) and its max_buffer_size.

package blocking

import (
	"bytes"
	"errors"
)

// MaxLineLength is the longest line the echo protocol accepts, not counting its '\n': 64 KiB.
// It plays the part of Tornado's max_buffer_size: a peer cannot make the server buffer without
// bound by never sending a newline.
const MaxLineLength = 64 << 10

// ErrLineTooLong is returned by Lines.Feed once a line is longer than MaxLineLength.
// The connection that sent it is to be closed; nothing else is affected.
var ErrLineTooLong = errors.New("line longer than 64 KiB")

// Lines splits a byte stream into the lines of the echo protocol. The zero value is ready.
//
// It keeps only the bytes after the last '\n' (a partial line), and only while there are some:
// an idle connection costs no buffer. Each byte is searched once, so a long line that arrives
// in small pieces costs linear time, not quadratic.
type Lines struct {
	partial []byte
}

// Feed takes the next bytes read from the connection and returns the complete lines they end,
// each with its '\n', in order, ready to be echoed. The result may share memory with p or with
// the partial line held from earlier; it is valid until the next call to Feed.
//
// Neither the lines nor the limit depend on how the bytes were split into reads: a line longer
// than MaxLineLength is an error whether its '\n' came with it or not, and the lines before it
// are returned with ErrLineTooLong, as io.Reader returns the bytes it read with its error, so
// that the caller echoes everything it accepted before closing. After ErrLineTooLong the stream
// is out of step; feed it no more.
func (l *Lines) Feed(p []byte) ([]byte, error) {
	end := bytes.LastIndexByte(p, '\n') + 1 // p[:end] finishes lines; p[end:] starts the next
	if end == 0 {
		if len(l.partial)+len(p) > MaxLineLength {
			l.partial = nil
			return nil, ErrLineTooLong
		}
		l.partial = append(l.partial, p...)
		return nil, nil
	}
	good := withinLimit(len(l.partial), p[:end])
	rest := p[end:]
	var err error
	if good < end || len(rest) > MaxLineLength {
		err = ErrLineTooLong
	}
	var complete []byte
	if good > 0 {
		complete = p[:good]
		if len(l.partial) > 0 {
			complete = append(l.partial, complete...)
		}
	}
	l.partial = nil
	if err == nil && len(rest) > 0 {
		l.partial = append(make([]byte, 0, len(rest)), rest...)
	}
	return complete, err
}

// Pending reports how many bytes of an unfinished line are held.
func (l *Lines) Pending() int { return len(l.partial) }

// withinLimit returns how many bytes at the start of complete (which ends in '\n') are whole
// lines no longer than MaxLineLength; the first line continues a partial line of carried bytes.
func withinLimit(carried int, complete []byte) int {
	first := bytes.IndexByte(complete, '\n')
	if carried+first > MaxLineLength {
		return 0
	}
	good := first + 1
	// The lines after the first lie in complete[good:]; while that span is longer than a line
	// may be, look at the next line. Once it is short enough, none in it can be too long.
	for len(complete)-good > MaxLineLength {
		i := bytes.IndexByte(complete[good:], '\n')
		if i > MaxLineLength {
			return good
		}
		good += i + 1
	}
	return len(complete)
}
