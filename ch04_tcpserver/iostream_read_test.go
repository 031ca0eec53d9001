// The reads, after tornado/test/iostream_test.py (3.2): ReadUntil, ReadUntilRegex, ReadBytes
// with and without streaming, ReadUntilClose, one pending read at a time, MaxBufferSize, the
// linear 4 MiB ReadUntil, pipelined lines without recursion, and ReadUntilLimit, a delimited
// read with a limit of its own that reports instead of closing.

package tcpserver

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// readLines reads with ReadUntil(delim) until the stream closes and reports the lines.
func readLines(t *testing.T, s *IOStream, delim string, done func(lines []string)) {
	var lines []string
	var next func(data []byte)
	next = func(data []byte) {
		lines = append(lines, string(data))
		if err := s.ReadUntil([]byte(delim), next); err != nil {
			t.Errorf("ReadUntil: %v", err)
		}
	}
	s.SetCloseCallback(func() { done(lines) })
	if err := s.ReadUntil([]byte(delim), next); err != nil {
		t.Errorf("ReadUntil: %v", err)
	}
}

// Lines come out whole and in order whatever the size of the recv that brought them, a
// delimiter split between two recvs included (a chunk of 1 byte splits every one); the bytes
// after the last delimiter are dropped at EOF, and the stream closes cleanly.
func TestIOStreamReadUntil(t *testing.T) {
	for _, chunk := range []int{1, 3, DefaultReadChunkSize} {
		t.Run(fmt.Sprintf("chunk=%d", chunk), func(t *testing.T) {
			forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
				s, peer := rawStreamPeer(t, l, logs, WithReadChunkSize(chunk))
				if err := writeFull(peer.fd, []byte("one\r\ntwo\r\n\r\nthree\rfour\r\nfive")); err != nil {
					t.Fatal(err)
				}
				peer.CloseWrite()
				var got []string
				runScenario(t, l, func(done func()) {
					readLines(t, s, "\r\n", func(lines []string) { got = lines; done() })
				})
				want := []string{"one\r\n", "two\r\n", "\r\n", "three\rfour\r\n"}
				if !slices.Equal(got, want) {
					t.Errorf("lines %q, want %q", got, want)
				}
				if !s.Closed() || s.Error() != nil {
					t.Errorf("after EOF: Closed %v, Error %v; want closed without error", s.Closed(), s.Error())
				}
			})
		})
	}
}

// 10,000 lines in one burst: each callback starts the next read, which the buffer satisfies at
// once. The stream's loop delivers them one after another from the same stack depth; a stream
// that called back from inside ReadUntil would be 10,000 frames deep by the end.
func TestIOStreamPipelinedLinesDoNotRecurse(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer := rawStreamPeer(t, l, logs)
	const lines = 10000
	var burst bytes.Buffer
	for i := range lines {
		fmt.Fprintf(&burst, "line %d\n", i)
	}
	go func() { writeFull(peer.fd, burst.Bytes()); peer.CloseWrite() }()

	var got bytes.Buffer
	n, minDepth, maxDepth := 0, 1<<30, 0
	pcs := make([]uintptr, 4096)
	runScenario(t, l, func(done func()) {
		var next func([]byte)
		next = func(data []byte) {
			got.Write(data)
			depth := runtime.Callers(0, pcs)
			minDepth, maxDepth = min(minDepth, depth), max(maxDepth, depth)
			if n++; n == lines {
				done()
				return
			}
			if err := s.ReadUntil([]byte("\n"), next); err != nil {
				t.Errorf("ReadUntil: %v", err)
			}
		}
		s.ReadUntil([]byte("\n"), next)
	})
	if !bytes.Equal(got.Bytes(), burst.Bytes()) {
		t.Errorf("got %d bytes, want the %d sent", got.Len(), burst.Len())
	}
	if maxDepth-minDepth > 0 {
		t.Errorf("callback stack depth went from %d to %d frames over %d lines: reads recurse", minDepth, maxDepth, lines)
	}
	t.Logf("%d lines delivered at a stack depth of %d frames", n, maxDepth)
}

// The data a callback receives is capped at its own end: appending to it cannot write over the
// input that follows in the same buffer.
func TestIOStreamReadDataIsCapped(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer := rawStreamPeer(t, l, logs)
	writeFull(peer.fd, []byte("a\nb\n"))
	peer.CloseWrite()
	var second string
	runScenario(t, l, func(done func()) {
		s.SetCloseCallback(done) // if the second line was damaged, it never completes
		s.ReadUntil([]byte("\n"), func(data []byte) {
			_ = append(data, "XX"...)
			s.ReadUntil([]byte("\n"), func(data []byte) { second = string(data); done() })
		})
	})
	if second != "b\n" {
		t.Errorf("second line %q after the first callback appended to its data, want %q", second, "b\n")
	}
}

// ReadUntilRegex delivers up to the end of the first match.
func TestIOStreamReadUntilRegex(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		s, peer := rawStreamPeer(t, l, logs, WithReadChunkSize(2))
		writeFull(peer.fd, []byte("GET / HTTP/1.1\r\nHost: x\n\nbody"))
		re := regexp.MustCompile(`\r?\n\r?\n`)
		var head, rest string
		runScenario(t, l, func(done func()) {
			s.ReadUntilRegex(re, func(data []byte) {
				head = string(data)
				s.ReadBytes(4, func(data []byte) { rest = string(data); done() }, nil)
			})
		})
		if head != "GET / HTTP/1.1\r\nHost: x\n\n" || rest != "body" {
			t.Errorf("head %q and rest %q", head, rest)
		}
	})
}

// Tornado's test_read_zero_bytes: ReadBytes(0) completes with empty data, between two reads
// that take their bytes in order.
func TestIOStreamReadBytesZero(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		s, peer := rawStreamPeer(t, l, logs)
		writeFull(peer.fd, []byte("HTTP/1.0 200 OK"))
		var got []string
		runScenario(t, l, func(done func()) {
			s.ReadBytes(9, func(data []byte) {
				got = append(got, string(data))
				s.ReadBytes(0, func(data []byte) {
					if len(data) != 0 {
						t.Errorf("ReadBytes(0) gave %q", data)
					}
					got = append(got, string(data))
					s.ReadBytes(3, func(data []byte) { got = append(got, string(data)); done() }, nil)
				}, nil)
			}, nil)
		})
		if want := []string{"HTTP/1.0 ", "", "200"}; !slices.Equal(got, want) {
			t.Errorf("reads %q, want %q", got, want)
		}
	})
}

// Tornado's test_streaming_callback: the streaming callback gets each piece as it arrives, never
// more than asked for; the final callback gets empty data; the rest of the last piece stays
// buffered for the next read.
func TestIOStreamStreamingCallback(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		server, client := streamPair(t, l, logs)
		var chunks []string
		var final, rest string
		finalCalled := false
		runScenario(t, l, func(done func()) {
			server.ReadBytes(6, func(data []byte) {
				final, finalCalled = string(data), true
				server.ReadBytes(2, func(data []byte) { rest = string(data); done() }, nil)
			}, func(chunk []byte) {
				chunks = append(chunks, string(chunk))
				if len(chunks) == 1 {
					client.Write([]byte("5678"), nil) // only once the first piece has come
				}
			})
			client.Write([]byte("1234"), nil)
		})
		if want := []string{"1234", "56"}; !slices.Equal(chunks, want) {
			t.Errorf("streamed %q, want %q", chunks, want)
		}
		if !finalCalled || final != "" {
			t.Errorf("final callback called %v with %q, want called with empty data", finalCalled, final)
		}
		if rest != "78" {
			t.Errorf("the next read got %q, want the rest of the last piece, %q", rest, "78")
		}
	})
}

// Tornado's test_streaming_callback_with_data_in_buffer: input already buffered goes to a new
// read's streaming callback at once, without waiting for more.
func TestIOStreamStreamingWithDataInBuffer(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		server, client := streamPair(t, l, logs)
		var line, streamed string
		runScenario(t, l, func(done func()) {
			client.Write([]byte("abcd\r\nefgh"), nil)
			server.ReadUntil([]byte("\r\n"), func(data []byte) {
				line = string(data)
				server.ReadUntilClose(func([]byte) { t.Error("ReadUntilClose completed; the peer never closed") },
					func(chunk []byte) { streamed = string(chunk); done() })
			})
		})
		if line != "abcd\r\n" || streamed != "efgh" {
			t.Errorf("line %q, streamed %q; want %q and %q", line, streamed, "abcd\r\n", "efgh")
		}
	})
}

// Tornado's test_read_until_close and test_streaming_until_close: everything up to EOF, at once
// or piece by piece with an empty final callback.
func TestIOStreamReadUntilClose(t *testing.T) {
	forEachStreamLoop(t, func(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) {
		t.Run("whole", func(t *testing.T) {
			server, client := streamPair(t, l, logs)
			var got []byte
			runScenario(t, l, func(done func()) {
				client.ReadUntilClose(func(data []byte) { got = bytes.Clone(data); done() }, nil)
				server.Write([]byte("HTTP/1.0 200 OK\r\n\r\nHello"), server.Close)
			})
			if string(got) != "HTTP/1.0 200 OK\r\n\r\nHello" {
				t.Errorf("got %q", got)
			}
		})
		t.Run("streaming", func(t *testing.T) {
			server, client := streamPair(t, l, logs)
			var chunks []string
			final := "unset"
			runScenario(t, l, func(done func()) {
				client.ReadUntilClose(func(data []byte) { final = string(data); done() }, func(chunk []byte) {
					chunks = append(chunks, string(chunk))
					if len(chunks) == 1 {
						server.Write([]byte("5678"), server.Close)
					}
				})
				server.Write([]byte("1234"), nil)
			})
			if !slices.Equal(chunks, []string{"1234", "5678"}) || final != "" {
				t.Errorf("streamed %q then %q; want [1234 5678] then empty", chunks, final)
			}
		})
	})
}

// Tornado's test_read_until_close_after_close and its streaming twin: on a stream that has
// closed, ReadUntilClose still receives the input left unread, at once or through its
// streaming callback with an empty final callback.
func TestIOStreamReadUntilCloseAfterClose(t *testing.T) {
	for _, streaming := range []bool{false, true} {
		t.Run(fmt.Sprintf("streaming=%v", streaming), func(t *testing.T) {
			testutil.CheckLeaks(t)
			l, logs := newStreamLoop(t)
			s, peer := rawStreamPeer(t, l, logs)
			writeFull(peer.fd, []byte("12\n34"))
			peer.Close()
			var line, final string
			var streamed []string
			runScenario(t, l, func(done func()) {
				s.SetCloseCallback(func() {
					if !s.Closed() {
						t.Error("close callback on an open stream")
					}
					var st func([]byte)
					if streaming {
						st = func(chunk []byte) { streamed = append(streamed, string(chunk)) }
					}
					if err := s.ReadUntilClose(func(data []byte) { final = string(data); done() }, st); err != nil {
						t.Errorf("ReadUntilClose after close: %v", err)
						done()
					}
				})
				s.ReadUntil([]byte("\n"), func(data []byte) {
					line = string(data)
					s.ReadUntil([]byte("\n"), func([]byte) { t.Error("a read past EOF completed") })
				})
			})
			if line != "12\n" {
				t.Errorf("line %q, want %q", line, "12\n")
			}
			if streaming && (!slices.Equal(streamed, []string{"34"}) || final != "") {
				t.Errorf("streamed %q then %q, want [34] then empty", streamed, final)
			}
			if !streaming && final != "34" {
				t.Errorf("ReadUntilClose after close got %q, want %q", final, "34")
			}
		})
	}
}

// One pending read at a time: a second is ErrReadPending, from outside or from a streaming
// callback, and the first still completes.
func TestIOStreamSecondReadIsErrReadPending(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer := rawStreamPeer(t, l, logs)
	writeFull(peer.fd, []byte("abcdef\n"))
	var errs []error
	var got string
	runScenario(t, l, func(done func()) {
		s.ReadBytes(3, func(data []byte) {
			got = string(data)
			done()
		}, func([]byte) {
			errs = append(errs, s.ReadUntil([]byte("\n"), nil))
		})
		errs = append(errs, s.ReadBytes(1, nil, nil), s.ReadUntilClose(nil, nil))
	})
	if len(errs) != 3 {
		t.Fatalf("got %d errors, want 3", len(errs))
	}
	for _, err := range errs {
		if !errors.Is(err, ErrReadPending) {
			t.Errorf("second read: %v, want ErrReadPending", err)
		}
	}
	if got != "" {
		t.Errorf("final callback of a streamed read got %q, want empty", got)
	}
}

// Reads that are wrong on their face fail at once: an empty delimiter, a nil pattern, a
// negative count, a read on a closed stream with nothing buffered.
func TestIOStreamReadArguments(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, _ := rawStreamPeer(t, l, logs)
	if err := s.ReadUntil(nil, nil); !errors.Is(err, ErrEmptyDelimiter) {
		t.Errorf("ReadUntil(nil): %v", err)
	}
	if err := s.ReadUntilRegex(nil, nil); !errors.Is(err, ErrEmptyDelimiter) {
		t.Errorf("ReadUntilRegex(nil): %v", err)
	}
	if err := s.ReadBytes(-1, nil, nil); !errors.Is(err, ErrNegativeCount) {
		t.Errorf("ReadBytes(-1): %v", err)
	}
	s.Close()
	if err := s.ReadUntil([]byte("\n"), nil); !errors.Is(err, ErrStreamClosed) {
		t.Errorf("ReadUntil on a closed stream: %v", err)
	}
	if err := s.Write([]byte("x"), nil); !errors.Is(err, ErrStreamClosed) {
		t.Errorf("Write on a closed stream: %v", err)
	}
}

// MaxBufferSize bounds what a read needs, not how the input was split: with a limit of 1024, a
// line of 1024 bytes and its newline is read, a line of 1025 closes the stream with
// ErrBufferFull (logged), whether its newline came with it (chunk 64 KiB) or not (chunk 1).
func TestIOStreamMaxBufferSize(t *testing.T) {
	for _, chunk := range []int{1, DefaultReadChunkSize} {
		for _, n := range []int{1024, 1025} {
			t.Run(fmt.Sprintf("chunk=%d/line=%d", chunk, n), func(t *testing.T) {
				testutil.CheckLeaks(t)
				l, logs := newStreamLoop(t)
				s, peer := rawStreamPeer(t, l, logs, WithMaxBufferSize(1024), WithReadChunkSize(chunk))
				line := strings.Repeat("x", n) + "\n"
				writeFull(peer.fd, []byte(line))
				var got string
				runScenario(t, l, func(done func()) {
					s.SetCloseCallback(done)
					s.ReadUntil([]byte("\n"), func(data []byte) { got = string(data); done() })
				})
				if n <= 1024 {
					if got != line || s.Closed() {
						t.Errorf("a line of %d bytes: got %d bytes, closed %v (%v)", n, len(got), s.Closed(), s.Error())
					}
					return
				}
				if !errors.Is(s.Error(), ErrBufferFull) || got != "" {
					t.Errorf("a line of %d bytes: Error %v, got %d bytes; want ErrBufferFull and nothing", n, s.Error(), len(got))
				}
				if !strings.Contains(logs.String(), "exceeded the maximum buffer size") {
					t.Errorf("ErrBufferFull was not logged:\n%s", logs.String())
				}
			})
		}
	}
}

// ReadBytes beyond MaxBufferSize without a streaming callback can never fit: it closes the
// stream with ErrBufferFull before any input comes. With a streaming callback there is no
// limit, since nothing accumulates.
func TestIOStreamReadBytesOverLimit(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, _ := rawStreamPeer(t, l, logs, WithMaxBufferSize(100))
	runScenario(t, l, func(done func()) {
		s.SetCloseCallback(done)
		s.ReadBytes(101, func([]byte) { t.Error("read completed") }, nil)
	})
	if !errors.Is(s.Error(), ErrBufferFull) {
		t.Errorf("Error %v, want ErrBufferFull", s.Error())
	}

	s2, peer2 := rawStreamPeer(t, l, logs, WithMaxBufferSize(100))
	data := streamPattern(1000)
	go writeFull(peer2.fd, data)
	var got []byte
	runScenario(t, l, func(done func()) {
		s2.ReadBytes(len(data), func([]byte) { done() }, func(chunk []byte) { got = append(got, chunk...) })
	})
	if !bytes.Equal(got, data) {
		t.Errorf("streamed %d bytes, want the %d sent", len(got), len(data))
	}
}

// Tornado's test_large_read_until: a 4 MiB line arriving 1 KiB at a time. Each piece is
// searched once, plus the delimiter's length less one (for a delimiter split across pieces) at
// each of the few times a run of the stream asks whether the read can complete, so the work is
// linear; a search from the start at each piece would examine 8 GiB.
func TestIOStreamLargeReadUntilIsLinear(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer := rawStreamPeer(t, l, logs, WithReadChunkSize(1024))
	const size = 4 << 20
	go func() {
		piece := bytes.Repeat([]byte("A"), 1024)
		for range size / 1024 {
			if writeFull(peer.fd, piece) != nil {
				return
			}
		}
		writeFull(peer.fd, []byte("\r\n"))
	}()
	var got int
	runScenario(t, l, func(done func()) {
		s.ReadUntil([]byte("\r\n"), func(data []byte) { got = len(data); done() })
	})
	if got != size+2 {
		t.Errorf("read %d bytes, want %d", got, size+2)
	}
	if limit := size + 2 + 4*(size/1024); s.searched > limit {
		t.Errorf("the delimiter search examined %d bytes for a %d-byte line (at most %d if linear)", s.searched, size+2, limit)
	}
	t.Logf("searched %d bytes for a %d-byte line", s.searched, got)
}

// A read that buffered input already satisfies, started outside a callback (from a later pass
// of the loop here), completes from the loop after the call returns, never inside it.
func TestIOStreamBufferedReadRunsFromTheLoop(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer := rawStreamPeer(t, l, logs)
	writeFull(peer.fd, []byte("first\nsecond\n"))
	var got []string
	runScenario(t, l, func(done func()) {
		s.ReadUntil([]byte("\n"), func(data []byte) {
			got = append(got, string(data))
			l.AddCallback(func() {
				inCall := true
				s.ReadUntil([]byte("\n"), func(data []byte) {
					if inCall {
						t.Error("the callback ran inside ReadUntil")
					}
					got = append(got, string(data))
					done()
				})
				inCall = false
			})
		})
	})
	if want := []string{"first\n", "second\n"}; !slices.Equal(got, want) {
		t.Errorf("reads %q, want %q", got, want)
	}
}

// countingTransport counts the reads its stream makes.
type countingTransport struct {
	*SocketTransport
	reads *int
}

func (c countingTransport) Read(p []byte) (int, error) {
	*c.reads++
	return c.SocketTransport.Read(p)
}

// A peer that keeps the socket full cannot hold the loop: one event reads at most
// maxReadsPerRun chunks, and the loop gets a pass in between (a callback that re-queues
// itself counts the passes).
func TestIOStreamReadsAreBoundedPerEvent(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	tr, peer := transportPeer(t)
	reads := 0
	s := NewIOStream(l, countingTransport{tr, &reads}, WithReadChunkSize(256), WithStreamLogger(logs.Logger()))
	defer s.Close()
	data := streamPattern(64 << 10) // 256 chunks, in the socket before the loop starts
	if err := writeFull(peer.fd, data); err != nil {
		t.Fatal(err)
	}
	var got []byte
	mostInOnePass, passes := 0, 0
	runScenario(t, l, func(done func()) {
		finished := false
		var pass func()
		pass = func() {
			mostInOnePass = max(mostInOnePass, reads)
			reads = 0
			if !finished {
				passes++
				l.AddCallback(pass)
			}
		}
		pass()
		s.ReadBytes(len(data), func([]byte) { finished = true; done() }, func(p []byte) { got = append(got, p...) })
	})
	if !bytes.Equal(got, data) {
		t.Errorf("streamed %d bytes, want the %d sent", len(got), len(data))
	}
	if mostInOnePass > maxReadsPerRun || mostInOnePass == 0 {
		t.Errorf("up to %d reads in one pass of the loop, want 1 to %d", mostInOnePass, maxReadsPerRun)
	}
	t.Logf("%d bytes in %d passes, at most %d reads in one", len(data), passes, mostInOnePass)
}

// ReadUntilLimit.

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
