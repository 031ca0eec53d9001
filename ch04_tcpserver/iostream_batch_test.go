// The run's batch: the writes a stream's callbacks make go out together, in one write once
// nothing but more input is due, and write callbacks still wait for the kernel to have the bytes.

package tcpserver

import (
	"bytes"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// writeCounting counts the writes its stream makes. The count is atomic so that a test may read
// it while the loop runs on another goroutine.
type writeCounting struct {
	*SocketTransport
	writes *atomic.Int64
}

func (w writeCounting) Write(p []byte) (int, error) {
	w.writes.Add(1)
	return w.SocketTransport.Write(p)
}

// countedStream is a stream on a write-counting transport and the peer at its far end.
func countedStream(t *testing.T, l *ioloop.IOLoop, logs *testutil.LogBuffer) (*IOStream, *peerFD, *atomic.Int64) {
	t.Helper()
	tr, peer := transportPeer(t)
	writes := new(atomic.Int64)
	s := NewIOStream(l, writeCounting{tr, writes}, WithStreamLogger(logs.Logger()))
	t.Cleanup(s.Close)
	return s, peer, writes
}

// numberedLines is n lines of the echo protocol, each saying its number.
func numberedLines(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "line %d of %d\n", i, n)
	}
	return b.Bytes()
}

// 200 lines that one read brings, each echoed by a callback that reads the next at once: one
// write carries all 200 echoes, and the write callback of the last runs after that write.
func TestIOStreamOneReadOneWrite(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer, writes := countedStream(t, l, logs)
	lines := numberedLines(200)
	if err := writeFull(peer.fd, lines); err != nil {
		t.Fatal(err)
	}
	runScenario(t, l, func(done func()) {
		n := 0
		var echo func([]byte)
		echo = func(line []byte) {
			n++
			if n < 200 {
				s.Write(line, nil)
				s.ReadUntil(newline, echo)
				return
			}
			s.Write(line, func() {
				if got := writes.Load(); got != 1 {
					t.Errorf("the last echo's callback ran after %d writes, want 1", got)
				}
				done()
			})
		}
		s.ReadUntil(newline, echo)
	})
	got := make([]byte, len(lines))
	if _, err := readFull(peer.fd, got); err != nil || !bytes.Equal(got, lines) {
		t.Fatalf("echoes differ from the lines sent (%v)", err)
	}
	if got := writes.Load(); got != 1 {
		t.Errorf("200 echoes took %d writes, want 1", got)
	}
	assertNoLog(t, logs, "level=WARN", "level=ERROR")
}

// Inside a callback, Write only adds to the batch: nothing is unsent by the transport yet, and
// the write callbacks run in order once the one write has carried both.
func TestIOStreamBatchCallbacksWaitForTheWrite(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer, writes := countedStream(t, l, logs)
	if err := writeFull(peer.fd, []byte("go\n")); err != nil {
		t.Fatal(err)
	}
	var events []string
	runScenario(t, l, func(done func()) {
		s.ReadUntil(newline, func([]byte) {
			s.Write([]byte("one "), func() { events = append(events, fmt.Sprintf("first after %d writes", writes.Load())) })
			events = append(events, fmt.Sprintf("unsent %d, %d writes", s.Unsent(), writes.Load()))
			s.Write([]byte("two\n"), func() {
				events = append(events, fmt.Sprintf("second after %d writes", writes.Load()))
				done()
			})
		})
	})
	want := "unsent 4, 0 writes; first after 1 writes; second after 1 writes"
	if got := strings.Join(events, "; "); got != want {
		t.Errorf("events: %s\nwant:   %s", got, want)
	}
	got := make([]byte, len("one two\n"))
	if _, err := readFull(peer.fd, got); err != nil || string(got) != "one two\n" {
		t.Errorf("peer read %q, %v", got, err)
	}
}

// A Write from outside the stream's callbacks (here a loop callback) is sent at once, as in
// Tornado: nothing is left unsent when it returns.
func TestIOStreamWriteOutsideARunGoesAtOnce(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer, writes := countedStream(t, l, logs)
	runScenario(t, l, func(done func()) {
		s.Write([]byte("now\n"), nil)
		if got, unsent := writes.Load(), s.Unsent(); got != 1 || unsent != 0 {
			t.Errorf("after Write: %d writes, %d bytes unsent; want 1 and 0", got, unsent)
		}
		done()
	})
	got := make([]byte, 4)
	if _, err := readFull(peer.fd, got); err != nil || string(got) != "now\n" {
		t.Errorf("peer read %q, %v", got, err)
	}
}

// The batch holds batchSize bytes at most: a Write that would take it past that sends the batch
// first, and a Write larger than a batch goes on its own. The bytes arrive in order either way.
func TestIOStreamBatchOverflow(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer, writes := countedStream(t, l, logs)
	if err := writeFull(peer.fd, []byte("go\n")); err != nil {
		t.Fatal(err)
	}
	data := streamPattern(batchSize/2 + batchSize/2 + 2*batchSize + 10)
	parts := [][]byte{data[:batchSize/2], data[batchSize/2 : batchSize], data[batchSize : 3*batchSize], data[3*batchSize:]}
	received := make(chan []byte, 1)
	go func() {
		got := make([]byte, len(data))
		readFull(peer.fd, got)
		received <- got
	}()
	runScenario(t, l, func(done func()) {
		s.ReadUntil(newline, func([]byte) {
			for _, p := range parts {
				s.Write(p, nil)
			}
			s.Write(nil, done)
		})
	})
	if got := <-received; !bytes.Equal(got, data) {
		t.Errorf("the peer received the bytes out of order or incomplete")
	}
	// Half a batch, then a second half that fits; the two-batch write sends the batch, then
	// itself; the last 10 bytes are a batch of their own. A kernel that takes less than a
	// whole write at once adds writes from the loop.
	if got := writes.Load(); got < 3 {
		t.Errorf("%d writes, want at least 3", got)
	}
}

// Close from a callback sends the batch first: Write promised to send at once what the kernel
// takes, and a close drops only what it refused.
func TestIOStreamCloseSendsTheBatch(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer, _ := countedStream(t, l, logs)
	if err := writeFull(peer.fd, []byte("bye\n")); err != nil {
		t.Fatal(err)
	}
	runScenario(t, l, func(done func()) {
		s.ReadUntil(newline, func([]byte) {
			s.Write([]byte("last words\n"), nil)
			s.Close()
			done()
		})
	})
	if got, err := readToEOF(peer.fd); err != nil || string(got) != "last words\n" {
		t.Errorf("peer read %q, %v; want the last words, then EOF", got, err)
	}
}

// The servers read ahead, so the answers to what one read brought leave in one write: 200 echo
// lines sent at once and then a half-close come back in one write, then EOF.
func TestEchoServerOneReadOneWrite(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer, writes := countedStream(t, l, logs)
	lines := numberedLines(200)
	if err := writeFull(peer.fd, lines); err != nil {
		t.Fatal(err)
	}
	if err := peer.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	srv := NewEchoServer(WithIOLoop(l), WithLogger(logs.Logger()))
	srv.HandleStream(s, "peer")
	acceptTestRun(t, l)
	if got, err := readToEOF(peer.fd); err != nil || !bytes.Equal(got, lines) {
		t.Fatalf("echoes differ from the lines sent (%v)", err)
	}
	if got := writes.Load(); got != 1 {
		t.Errorf("200 echoes took %d writes, want 1", got)
	}
}

// 100 pipelined requests in one write are answered in order, in one write per pass of the loop:
// maxPipelinedPerPass (64) answers, then the loop's other descriptors get their turn, then the
// other 36. The last request asks to close, and the connection closes after its answer.
func TestHTTPServerPipelinedAnswersInOneWritePerPass(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	s, peer, writes := countedStream(t, l, logs)
	var requests bytes.Buffer
	for i := range 100 {
		fmt.Fprintf(&requests, "GET /%d HTTP/1.1\r\nHost: x\r\n", i)
		if i == 99 {
			requests.WriteString("Connection: close\r\n")
		}
		requests.WriteString("\r\n")
	}
	if err := writeFull(peer.fd, requests.Bytes()); err != nil {
		t.Fatal(err)
	}
	srv := NewHTTPServer(func(req *Request) (int, string, []byte) {
		return 200, "text/plain", []byte(req.Path + "\n")
	}, WithIOLoop(l), WithLogger(logs.Logger()))
	srv.HandleStream(s, "peer")
	acceptTestRun(t, l)
	got, err := readToEOF(peer.fd)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		answer := fmt.Sprintf("\r\n\r\n/%d\n", i)
		at := bytes.Index(got, []byte(answer))
		if at < 0 {
			t.Fatalf("answer %d missing or out of order", i)
		}
		got = got[at+len(answer):]
	}
	if got, want := writes.Load(), int64((100+maxPipelinedPerPass-1)/maxPipelinedPerPass); got != want {
		t.Errorf("100 answers took %d writes, want %d", got, want)
	}
}
