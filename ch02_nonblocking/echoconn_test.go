package nonblocking

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/testutil"
)

// Complete lines go back at once; a partial line waits for its end; a recv with nothing to read
// is "not now", not an error.
func TestEchoConnEchoesLines(t *testing.T) {
	testutil.CheckLeaks(t)
	fd, peer := socketPair(t)
	c := NewEchoConn(fd)
	buf := make([]byte, blocking.RecvBufferSize)

	if err := c.HandleRead(buf); err != nil {
		t.Fatalf("HandleRead with nothing to read: %v, want nil (EAGAIN is not an error)", err)
	}
	peer.Write([]byte("one\ntw"))
	if err := c.HandleRead(buf); err != nil {
		t.Fatalf("HandleRead: %v", err)
	}
	peer.Write([]byte("o\n"))
	if err := c.HandleRead(buf); err != nil {
		t.Fatalf("HandleRead: %v", err)
	}
	got := make([]byte, 8)
	if _, err := io.ReadFull(peer, got); err != nil || string(got) != "one\ntwo\n" {
		t.Fatalf("peer read %q, %v; want %q", got, err, "one\ntwo\n")
	}
	if !c.WantRead() || c.WantWrite() || c.Finished() {
		t.Fatalf("idle connection: WantRead=%v WantWrite=%v Finished=%v, want true false false",
			c.WantRead(), c.WantWrite(), c.Finished())
	}
}

// After the peer's EOF the connection reads no more, drops the unfinished line, and is finished
// only once everything owed has been written: a half-closed client gets all its echoes.
func TestEchoConnHalfCloseDrainsFirst(t *testing.T) {
	testutil.CheckLeaks(t)
	fd, peer := socketPair(t)
	c := NewEchoConn(fd)
	buf := make([]byte, blocking.RecvBufferSize)

	// More than the 4 KiB send buffer holds, so some of it must wait in the OutBuf.
	want := strings.Repeat(strings.Repeat("x", 99)+"\n", 200)
	for sent := 0; sent < len(want); {
		n, err := peer.Write([]byte(want[sent:min(len(want), sent+1000)]))
		if err != nil {
			t.Fatalf("peer write: %v", err)
		}
		sent += n
		if err := c.HandleRead(buf); err != nil {
			t.Fatalf("HandleRead: %v", err)
		}
	}
	peer.Write([]byte("unfinished"))
	halfClose(t, peer)
	for range 3 { // the rest of the data, the partial line, the EOF
		if err := c.HandleRead(buf); err != nil {
			t.Fatalf("HandleRead: %v", err)
		}
	}
	if c.WantRead() {
		t.Fatalf("WantRead after EOF")
	}
	if !c.WantWrite() || c.Finished() {
		t.Fatalf("owed %d bytes after EOF: WantWrite=%v Finished=%v, want true false", c.out.Len(), c.WantWrite(), c.Finished())
	}
	got := slowReader(peer)
	for range 100000 {
		if c.Finished() {
			break
		}
		if err := c.HandleWrite(); err != nil {
			t.Fatalf("HandleWrite: %v", err)
		}
	}
	if !c.Finished() || c.Err() != nil {
		t.Fatalf("Finished=%v Err=%v after draining, want true, nil", c.Finished(), c.Err())
	}
	c.Close()
	if g := <-got; string(g) != want {
		t.Fatalf("peer got %d bytes, want %d", len(g), len(want))
	}
}

// A line over 64 KiB ends the connection with a lingering close. The lines before it are echoed,
// even those that came in the same recv (the buffer here is larger than the limit, so that they
// do); the socket is then half-closed, so the peer reads them and EOF; what the peer still
// sends is read and dropped, and its EOF finishes the connection. Err says why it ended.
func TestEchoConnLineTooLong(t *testing.T) {
	testutil.CheckLeaks(t)
	fd, peer := socketPair(t)
	c := NewEchoConn(fd)
	buf := make([]byte, 2*blocking.MaxLineLength)

	before := "ok\nstill ok\n"
	tooLong := bytes.Repeat([]byte("y"), blocking.MaxLineLength+1)
	go peer.Write(append([]byte(before), tooLong...))
	lingerAfterTooLong(t, c, buf)
	if got, err := io.ReadAll(peer); err != nil || string(got) != before {
		t.Fatalf("peer read %q, %v; want the lines before the long one, then EOF", got, err)
	}
	peer.Write([]byte("sent after the end\n"))
	if err := c.HandleRead(buf); err != nil || !c.Lingering() || c.WantWrite() {
		t.Fatalf("HandleRead while lingering: %v; Lingering=%v WantWrite=%v, want nil, true, false",
			err, c.Lingering(), c.WantWrite())
	}
	halfClose(t, peer)
	if err := c.HandleRead(buf); err != nil || !c.Finished() {
		t.Fatalf("after the peer's EOF: %v, Finished=%v; want nil, true", err, c.Finished())
	}
	c.Close()
}

// lingerAfterTooLong reads until the line too long has been seen, and checks that c then lingers.
func lingerAfterTooLong(t *testing.T, c *EchoConn, buf []byte) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.Err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the line too long was never noticed")
		}
		if err := c.HandleRead(buf); err != nil {
			t.Fatalf("HandleRead: %v", err)
		}
	}
	if !errors.Is(c.Err(), blocking.ErrLineTooLong) {
		t.Fatalf("Err = %v, want ErrLineTooLong", c.Err())
	}
	if !c.Lingering() || !c.WantRead() || c.Finished() {
		t.Fatalf("nothing owed after the long line: Lingering=%v WantRead=%v Finished=%v, want true true false",
			c.Lingering(), c.WantRead(), c.Finished())
	}
}

// A peer that keeps sending after the end is not drained for ever: once it has sent more than
// LingerMaxBytes, the connection is finished.
func TestEchoConnLingerByteBound(t *testing.T) {
	testutil.CheckLeaks(t)
	fd, peer := socketPair(t)
	c := NewEchoConn(fd)
	buf := make([]byte, 2*blocking.MaxLineLength)
	go peer.Write(bytes.Repeat([]byte("y"), blocking.MaxLineLength+1))
	lingerAfterTooLong(t, c, buf)
	chunk := make([]byte, 16<<10)
	sent := 0
	for !c.Finished() {
		if sent > 2*LingerMaxBytes {
			t.Fatalf("still draining after %d bytes", sent)
		}
		n, err := peer.Write(chunk)
		if err != nil {
			t.Fatalf("peer write while draining: %v", err)
		}
		sent += n
		for range 2 {
			if err := c.HandleRead(buf); err != nil {
				t.Fatalf("HandleRead while draining: %v", err)
			}
		}
	}
	if sent < LingerMaxBytes {
		t.Fatalf("finished after %d bytes, want at least %d", sent, LingerMaxBytes)
	}
	c.Close()
}

// A client that sends and never reads cannot make the server buffer without bound: past
// MaxPendingOutput owed, the connection stops reading until the peer catches up, as a blocking
// server stops in send. Reading starts again once the output has drained.
func TestEchoConnBackpressure(t *testing.T) {
	testutil.CheckLeaks(t)
	fd, peer := socketPair(t)
	c := NewEchoConn(fd)
	buf := make([]byte, blocking.RecvBufferSize)

	chunk := []byte(strings.Repeat(strings.Repeat("z", 63)+"\n", 64))
	for i := 0; c.WantRead(); i++ {
		if i > 2*MaxPendingOutput/len(chunk) {
			t.Fatalf("still reading with %d bytes owed", c.out.Len())
		}
		peer.Write(chunk)
		if err := c.HandleRead(buf); err != nil {
			t.Fatalf("HandleRead: %v", err)
		}
	}
	if c.out.Len() < MaxPendingOutput {
		t.Fatalf("stopped reading with %d bytes owed, want at least %d", c.out.Len(), MaxPendingOutput)
	}
	got := slowReader(peer)
	for i := 0; c.WantWrite(); i++ {
		if i > 1e6 {
			t.Fatalf("output not drained")
		}
		if err := c.HandleWrite(); err != nil {
			t.Fatalf("HandleWrite: %v", err)
		}
	}
	if !c.WantRead() {
		t.Fatalf("not reading again after the output drained")
	}
	c.Close()
	<-got
}

// halfClose shuts down the peer's write side: the connection will read EOF.
func halfClose(t *testing.T, peer *os.File) {
	t.Helper()
	if err := unix.Shutdown(int(peer.Fd()), unix.SHUT_WR); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
