// ReadUntilLimit: a delimited read with a limit of its own that reports instead of closing.

package tcpserver

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// limitOutcome is what one ReadUntilLimit ended with: the data, or the tooLong report.
type limitOutcome struct {
	data    string
	tooLong bool
}

// readUntilLimit runs one ReadUntilLimit on s and reports how it ended.
func readUntilLimit(t *testing.T, l *ioloop.IOLoop, s *IOStream, delim string, limit int) limitOutcome {
	t.Helper()
	var got limitOutcome
	runScenario(t, l, func(done func()) {
		s.SetCloseCallback(done)
		if err := s.ReadUntilLimit([]byte(delim), limit, func(data []byte) {
			got.data = string(data)
			done()
		}, func() {
			got.tooLong = true
			done()
		}); err != nil {
			t.Errorf("ReadUntilLimit: %v", err)
			done()
		}
	})
	return got
}

// The limit counts what cb would receive, delimiter included, and the verdict does not depend
// on how the input was split: a read of exactly limit bytes completes, one byte more reports
// tooLong, whether its delimiter came with it or has not come at all; after tooLong the stream is
// open, nothing was logged, and it can still answer the peer.
func TestIOStreamReadUntilLimit(t *testing.T) {
	const limit = 64
	for _, chunk := range []int{1, 7, DefaultReadChunkSize} {
		cases := []struct {
			name  string
			input string
			want  limitOutcome
		}{
			{"exactly the limit", string(bytes.Repeat([]byte("a"), limit-4)) + "\r\n\r\n", limitOutcome{data: string(bytes.Repeat([]byte("a"), limit-4)) + "\r\n\r\n"}},
			{"one byte over, delimiter present", string(bytes.Repeat([]byte("b"), limit-3)) + "\r\n\r\n", limitOutcome{tooLong: true}},
			{"limit reached without the delimiter", string(bytes.Repeat([]byte("c"), limit)), limitOutcome{tooLong: true}},
			{"a partial delimiter at the limit", string(bytes.Repeat([]byte("d"), limit-3)) + "\r\n\r", limitOutcome{tooLong: true}},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("chunk=%d/%s", chunk, c.name), func(t *testing.T) {
				forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
					s, peer := rawStreamPeer(t, l, logs, WithReadChunkSize(chunk))
					if err := writeFull(peer.fd, []byte(c.input)); err != nil {
						t.Fatal(err)
					}
					if got := readUntilLimit(t, l, s, "\r\n\r\n", limit); got != c.want {
						t.Fatalf("got %+v, want %+v", got, c.want)
					}
					if s.Closed() {
						t.Fatalf("the stream closed (Error %v); ReadUntilLimit must leave it open", s.Error())
					}
					// The stream still writes: the answer an HTTP server sends before closing.
					runScenario(t, l, func(done func()) {
						if err := s.Write([]byte("431\n"), done); err != nil {
							t.Errorf("Write after ReadUntilLimit: %v", err)
							done()
						}
					})
					answer := make([]byte, 4)
					if _, err := readFull(peer.fd, answer); string(answer) != "431\n" || err != nil {
						t.Errorf("peer read %q, %v; want the answer", answer, err)
					}
					assertNoLog(t, logs, "level=WARN", "level=ERROR")
				})
			})
		}
	}
}

// The next read starts from the bytes after the delimiter, and a limit applies to its own read
// only: the read after a limited one is not limited.
func TestIOStreamReadUntilLimitThenReadUntil(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		s, peer := rawStreamPeer(t, l, logs)
		long := string(bytes.Repeat([]byte("x"), 1000)) + "\n"
		writeFull(peer.fd, []byte("short\n"+long))
		var first, second string
		runScenario(t, l, func(done func()) {
			s.ReadUntilLimit([]byte("\n"), 10, func(data []byte) {
				first = string(data)
				s.ReadUntil([]byte("\n"), func(data []byte) { second = string(data); done() })
			}, func() { t.Error("tooLong for a short line"); done() })
		})
		if first != "short\n" || second != long {
			t.Errorf("reads %q and %d bytes, want %q and the %d-byte line", first, len(second), "short\n", len(long))
		}
	})
}

// Without a tooLong callback, breaking the limit closes the stream with ErrBufferFull, as
// MaxBufferSize does; a limit of zero or less is no limit of the read's own.
func TestIOStreamReadUntilLimitDefaults(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		s, peer := rawStreamPeer(t, l, logs)
		writeFull(peer.fd, []byte("0123456789\n"))
		runScenario(t, l, func(done func()) {
			s.SetCloseCallback(done)
			s.ReadUntilLimit([]byte("\n"), 5, func([]byte) { t.Error("cb ran for a line over the limit") }, nil)
		})
		if !errors.Is(s.Error(), ErrBufferFull) {
			t.Errorf("Error %v, want ErrBufferFull", s.Error())
		}

		s2, peer2 := rawStreamPeer(t, l, logs)
		line := string(bytes.Repeat([]byte("y"), 5000)) + "\n"
		writeFull(peer2.fd, []byte(line))
		if got := readUntilLimit(t, l, s2, "\n", 0); got.data != line {
			t.Errorf("limit 0: got %+v, want the whole %d-byte line", got, len(line))
		}
	})
}

// The same checks as ReadUntil: an empty delimiter, a read already pending.
func TestIOStreamReadUntilLimitErrors(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		s, _ := rawStreamPeer(t, l, logs)
		if err := s.ReadUntilLimit(nil, 10, func([]byte) {}, func() {}); !errors.Is(err, ErrEmptyDelimiter) {
			t.Errorf("empty delimiter: %v, want ErrEmptyDelimiter", err)
		}
		runScenario(t, l, func(done func()) {
			s.ReadUntil([]byte("\n"), func([]byte) {})
			if err := s.ReadUntilLimit([]byte("\n"), 10, func([]byte) {}, func() {}); !errors.Is(err, ErrReadPending) {
				t.Errorf("second read: %v, want ErrReadPending", err)
			}
			done()
		})
	})
}
