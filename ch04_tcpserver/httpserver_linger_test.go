// A refused client that is still sending gets its answer and an orderly end, not a reset.

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

// A refused client that neither sends nor closes is not waited for past lingerTimeout: the
// server closes the connection itself, and the client then reads EOF.
func TestHTTPServerRefusalLingerEnds(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	rc := ht.raw()
	rc.send("NOT HTTP\r\n\r\n")
	resp, _ := rc.response("GET")
	if resp.StatusCode != 400 {
		t.Fatalf("%s, want 400", resp.Status)
	}
	rc.c.SetReadDeadline(time.Now().Add(lingerTimeout + 5*time.Second))
	if rest, err := io.ReadAll(rc.r); len(rest) > 0 || err != nil {
		t.Fatalf("after the 400: %q, %v; want EOF", rest, err)
	}
	testutil.WaitFor(t, "the server to close the refused connection", func() bool { return ht.openConns() == 0 })
}
