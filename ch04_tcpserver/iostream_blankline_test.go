// ReadUntilBlankLine: a head ends at its first empty line, whichever line endings it uses and
// however it arrives, within ReadUntilLimit's limit, in time linear in its length.

package tcpserver

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// Each input is delivered in pieces of every size from one byte: the head ends at the first
// "\n" followed by "\n" or "\r\n", a lone CR ends nothing, and the input after the head is left
// for the next read.
func TestIOStreamReadUntilBlankLine(t *testing.T) {
	cases := []struct{ head, rest string }{
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", "NEXT"},
		{"GET / HTTP/1.1\nHost: a\n\n", "NEXT"},
		{"GET / HTTP/1.1\r\nHost: a\n\r\n", "NEXT"},
		{"GET / HTTP/1.1\nHost: a\r\n\n", "NEXT"},
		{"\r\n\r\n", "GET"},
		{"\n\n", "\n"},
		{"A\r\rB\n\rC\n\n", "NEXT"},
		{"A\n\r\r\nB\r\n\r\n", "\r\n"},
	}
	for _, c := range cases {
		for _, chunk := range []int{1, 2, 3, 7, DefaultReadChunkSize} {
			t.Run(fmt.Sprintf("%q/chunk=%d", c.head, chunk), func(t *testing.T) {
				testutil.CheckLeaks(t)
				l, logs := newStreamLoop(t)
				s, peer := rawStreamPeer(t, l, logs, WithReadChunkSize(chunk))
				go writeFull(peer.fd, []byte(c.head+c.rest))
				var head, rest string
				runScenario(t, l, func(done func()) {
					err := s.ReadUntilBlankLine(0, func(data []byte) {
						head = string(data)
						s.ReadBytes(len(c.rest), func(data []byte) { rest = string(data); done() }, nil)
					}, nil)
					if err != nil {
						t.Errorf("ReadUntilBlankLine: %v", err)
						done()
					}
				})
				if head != c.head || rest != c.rest {
					t.Errorf("read %q then %q, want %q then %q", head, rest, c.head, c.rest)
				}
			})
		}
	}
}

// The limit is ReadUntilLimit's: a head of exactly limit bytes is read, one byte more is
// tooLong whether its empty line has come or not, and the stream stays open.
func TestIOStreamReadUntilBlankLineLimit(t *testing.T) {
	const limit = 64
	fill := func(n int) string { return string(bytes.Repeat([]byte("h"), n)) }
	cases := []struct {
		name, input string
		want        limitOutcome
	}{
		{"exactly the limit, CRLF", fill(limit-4) + "\r\n\r\n", limitOutcome{data: fill(limit-4) + "\r\n\r\n"}},
		{"exactly the limit, LF", fill(limit-2) + "\n\n", limitOutcome{data: fill(limit-2) + "\n\n"}},
		{"one byte over", fill(limit-1) + "\n\n", limitOutcome{tooLong: true}},
		{"limit reached without an empty line", fill(limit), limitOutcome{tooLong: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
				s, peer := rawStreamPeer(t, l, logs, WithReadChunkSize(7))
				writeFull(peer.fd, []byte(c.input))
				var got limitOutcome
				runScenario(t, l, func(done func()) {
					s.ReadUntilBlankLine(limit, func(data []byte) { got.data = string(data); done() },
						func() { got.tooLong = true; done() })
				})
				if got != c.want || s.Closed() {
					t.Errorf("got %+v (closed %v), want %+v and the stream open", got, s.Closed(), c.want)
				}
			})
		})
	}
}

// A 4 MiB head of short lines arriving 1 KiB at a time is searched once, plus a byte or two at
// each of the few times a run of the stream asks whether the read can complete (a piece that
// ends in a line's LF is looked at again for what follows it): Tornado 4.0's read_until_regex
// would search it from the start at each piece, 8 GiB in all.
func TestIOStreamReadUntilBlankLineIsLinear(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer := rawStreamPeer(t, l, logs, WithReadChunkSize(1024))
	const size = 4 << 20
	go func() {
		piece := bytes.Repeat([]byte("Header: value\r\n"), 1024/16)
		piece = append(piece, bytes.Repeat([]byte("x"), 1024-len(piece)-1)...)
		piece = append(piece, '\n')
		for range size / 1024 {
			if writeFull(peer.fd, piece) != nil {
				return
			}
		}
		writeFull(peer.fd, []byte("\r\n"))
	}()
	var got int
	runScenario(t, l, func(done func()) {
		s.ReadUntilBlankLine(0, func(data []byte) { got = len(data); done() }, nil)
	})
	if got != size+2 {
		t.Errorf("read %d bytes, want %d", got, size+2)
	}
	if limit := size + 2 + 4*(size/1024); s.searched > limit {
		t.Errorf("the search examined %d bytes for a %d-byte head (at most %d if linear)", s.searched, size+2, limit)
	}
}

// A read already pending is ErrReadPending, as for every read.
func TestIOStreamReadUntilBlankLinePending(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, _ := rawStreamPeer(t, l, logs)
	runScenario(t, l, func(done func()) {
		s.ReadUntil([]byte("\n"), func([]byte) {})
		if err := s.ReadUntilBlankLine(10, func([]byte) {}, nil); !errors.Is(err, ErrReadPending) {
			t.Errorf("second read: %v, want ErrReadPending", err)
		}
		done()
	})
}
