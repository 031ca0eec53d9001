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
// Whether a line is too long does not depend on how the bytes were split into reads: a line
// longer than MaxLineLength is an error whether its '\n' came with it or not.
func (l *Lines) Feed(p []byte) ([]byte, error) {
	last := bytes.LastIndexByte(p, '\n')
	if last < 0 {
		if len(l.partial)+len(p) > MaxLineLength {
			return nil, ErrLineTooLong
		}
		l.partial = append(l.partial, p...)
		return nil, nil
	}
	if err := checkLineLengths(len(l.partial), p[:last+1]); err != nil {
		return nil, err
	}
	rest := p[last+1:]
	if len(rest) > MaxLineLength {
		return nil, ErrLineTooLong
	}
	complete := p[:last+1]
	if len(l.partial) > 0 {
		complete = append(l.partial, complete...)
	}
	l.partial = nil
	if len(rest) > 0 {
		l.partial = append(make([]byte, 0, len(rest)), rest...)
	}
	return complete, nil
}

// Pending reports how many bytes of an unfinished line are held.
func (l *Lines) Pending() int { return len(l.partial) }

// checkLineLengths checks every line in complete (which ends in '\n'); the first line continues
// a partial line of carried bytes.
func checkLineLengths(carried int, complete []byte) error {
	first := bytes.IndexByte(complete, '\n')
	if carried+first > MaxLineLength {
		return ErrLineTooLong
	}
	// Lines after the first lie between the first and the last '\n'; if that span is short
	// enough, none of them can be too long and there is nothing more to search.
	for rest := complete[first+1:]; len(rest) > MaxLineLength; {
		i := bytes.IndexByte(rest, '\n')
		if i > MaxLineLength {
			return ErrLineTooLong
		}
		rest = rest[i+1:]
	}
	return nil
}
