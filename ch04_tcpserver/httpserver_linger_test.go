// A connection the server ends while the client is still sending (a refusal, Connection: close)
// gets its answer and an orderly end, not a reset.

package tcpserver

import (
	"io"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// A client sends a 2 MiB head (as a broken or hostile client might) and only then reads. The
// server refuses it after 64 KiB with 431. Had it closed with the rest of the head unread, the
// kernel would answer the client's next segments with a reset, and the client's write (and
// often its read of the 431) would fail with ECONNRESET. The server half-closes instead and
// reads and drops what still comes, so the whole head is taken, the 431 arrives, then EOF.
func TestHTTPServerRefusalLingers(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	rc := ht.raw()
	head := "GET / HTTP/1.1\r\nHost: x\r\nX-Fill: " + strings.Repeat("a", 2<<20)
	written := make(chan error, 1)
	go func() {
		_, err := rc.c.Write([]byte(head))
		written <- err
	}()
	if err := <-written; err != nil {
		t.Fatalf("writing the oversized head: %v; the server reset the connection instead of draining it", err)
	}
	resp, body := rc.response("GET")
	if resp.StatusCode != 431 || !resp.Close {
		t.Errorf("%s %q (close %v), want 431 and close", resp.Status, body, resp.Close)
	}
	rest, err := io.ReadAll(rc.r)
	if len(rest) > 0 || err != nil {
		t.Errorf("after the 431: %q, %v; want EOF", rest, err)
	}
}

// A refused client that neither sends nor closes is not waited for past the linger's time bound:
// the server closes the connection itself, and the client then reads EOF.
func TestHTTPServerRefusalLingerEnds(t *testing.T) {
	testutil.CheckLeaks(t)
	const linger = 100 * time.Millisecond
	ht := newHTTPTest(t, nil, WithLinger(linger, 0))
	rc := ht.raw()
	rc.send("NOT HTTP\r\n\r\n")
	resp, _ := rc.response("GET")
	if resp.StatusCode != 400 {
		t.Fatalf("%s, want 400", resp.Status)
	}
	rc.c.SetReadDeadline(time.Now().Add(linger + 5*time.Second))
	if rest, err := io.ReadAll(rc.r); len(rest) > 0 || err != nil {
		t.Fatalf("after the 400: %q, %v; want EOF", rest, err)
	}
	testutil.WaitFor(t, "the server to close the refused connection", func() bool { return ht.openConns() == 0 })
}

// A request with Connection: close, or an HTTP/1.0 one, followed by more pipelined requests
// sent before the client reads: the server answers the one, then EOF, and drains the rest. A
// close with those requests unread would make the kernel reset the connection, and the reset
// often destroyed the answer before the client read it.
func TestHTTPServerConnectionCloseLingers(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	more := strings.Repeat("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 8000)
	for _, first := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
	} {
		rc := ht.raw()
		written := make(chan error, 1)
		go func() {
			_, err := rc.c.Write([]byte(first + more))
			written <- err
		}()
		resp, body := rc.response("GET")
		if resp.StatusCode != 200 || body != "Hello, world" || !resp.Close {
			t.Errorf("%q: %s %q (close %v), want the helloworld answer and close", first, resp.Status, body, resp.Close)
		}
		if rest, err := io.ReadAll(rc.r); len(rest) > 0 || err != nil {
			t.Errorf("%q: after the answer: %q, %v; want EOF", first, rest, err)
		}
		if err := <-written; err != nil {
			t.Errorf("%q: writing the pipelined requests: %v; the server must drain them", first, err)
		}
		rc.c.Close()
	}
	testutil.WaitFor(t, "the server to close both connections", func() bool { return ht.openConns() == 0 })
}
