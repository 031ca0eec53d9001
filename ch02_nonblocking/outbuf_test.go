package nonblocking

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/testutil"
)

// socketPair returns a connected pair of stream sockets: w non-blocking with a small send buffer
// (so the kernel takes only a little at a time), r blocking, wrapped as a file for the reader.
func socketPair(t *testing.T) (w int, r *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	unix.CloseOnExec(fds[0])
	unix.CloseOnExec(fds[1])
	if err := unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_SNDBUF, 4096); err != nil {
		t.Fatalf("SO_SNDBUF: %v", err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		t.Fatalf("O_NONBLOCK: %v", err)
	}
	t.Cleanup(func() { unix.Close(fds[0]) })
	r = os.NewFile(uintptr(fds[1]), "reader")
	t.Cleanup(func() { r.Close() })
	return fds[0], r
}

// waitWritable blocks until fd can take more bytes, for at most five seconds.
func waitWritable(t *testing.T, fd int) {
	t.Helper()
	for {
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}, 5000)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || n == 0 {
			t.Fatalf("waiting for writable: n=%d err=%v", n, err)
		}
		return
	}
}

// pattern is n bytes in which any dropped, repeated or reordered stretch shows.
func pattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i % 251)
	}
	return p
}

// slowReader reads everything from r in small pieces and sends it on the channel once r
// reaches EOF.
func slowReader(r io.Reader) <-chan []byte {
	got := make(chan []byte, 1)
	go func() {
		var all bytes.Buffer
		piece := make([]byte, 1000)
		for {
			n, err := r.Read(piece)
			all.Write(piece[:n])
			if err != nil {
				got <- all.Bytes()
				return
			}
		}
	}()
	return got
}

// Eight MiB pushed through a 4 KiB send buffer to a slow reader: most sends are partial, yet
// every byte arrives once and in order, and the buffer's memory stays proportional to what is
// owed, not to what has passed through.
func TestOutBufPartialWritesKeepOrder(t *testing.T) {
	testutil.CheckLeaks(t)
	w, r := socketPair(t)
	want := pattern(8 << 20)
	got := slowReader(r)

	var b OutBuf
	var partial, maxCap int
	deadline := time.Now().Add(30 * time.Second)
	for rest := want; len(rest) > 0 || b.Len() > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("not done after 30s: %d bytes left", len(rest)+b.Len())
		}
		// Append in uneven pieces while less than 256 KiB is owed, as a server that stops
		// reading from a client that does not read its echoes would.
		for len(rest) > 0 && b.Len() < 256<<10 {
			n := min(len(rest), 1+len(rest)%65521)
			b.Append(rest[:n])
			rest = rest[n:]
		}
		maxCap = max(maxCap, cap(b.data))
		done, err := b.Flush(w)
		if err != nil {
			t.Fatalf("Flush: %v", err)
		}
		if !done {
			partial++
			waitWritable(t, w)
		}
	}
	unix.Shutdown(w, unix.SHUT_WR)
	if g := <-got; !bytes.Equal(g, want) {
		t.Fatalf("reader got %d bytes, want %d, equal prefix %d",
			len(g), len(want), commonPrefix(g, want))
	}
	if partial == 0 {
		t.Errorf("no Flush was partial: the test did not exercise a full socket buffer")
	}
	if maxCap > 1<<20 {
		t.Errorf("buffer grew to %d bytes while at most 256 KiB + 64 KiB was owed", maxCap)
	}
	t.Logf("%d partial flushes, largest buffer %d bytes", partial, maxCap)
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// Write takes the fast path when nothing is owed: the kernel gets the caller's bytes directly
// and only what it refuses is copied. With a queue, Write only appends, so order is kept.
func TestOutBufWriteKeepsOrder(t *testing.T) {
	testutil.CheckLeaks(t)
	w, r := socketPair(t)
	want := pattern(2 << 20)
	got := slowReader(r)

	var b OutBuf
	deadline := time.Now().Add(30 * time.Second)
	for rest := want; len(rest) > 0 || b.Len() > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("not done after 30s")
		}
		if len(rest) > 0 && b.Len() < 64<<10 {
			n := min(len(rest), 3000)
			if _, err := b.Write(w, rest[:n]); err != nil {
				t.Fatalf("Write: %v", err)
			}
			rest = rest[n:]
			continue
		}
		done, err := b.Flush(w)
		if err != nil {
			t.Fatalf("Flush: %v", err)
		}
		if !done {
			waitWritable(t, w)
		}
	}
	unix.Shutdown(w, unix.SHUT_WR)
	if g := <-got; !bytes.Equal(g, want) {
		t.Fatalf("reader got %d bytes, want %d, equal prefix %d",
			len(g), len(want), commonPrefix(g, want))
	}
}

// An idle connection holds no buffer: once everything is sent the memory is let go, and a Write
// the kernel takes whole never allocates one.
func TestOutBufReleasesMemoryWhenEmpty(t *testing.T) {
	testutil.CheckLeaks(t)
	w, r := socketPair(t)
	var b OutBuf

	done, err := b.Write(w, []byte("hello\n"))
	if err != nil || !done {
		t.Fatalf("Write into an empty socket buffer: done=%v err=%v", done, err)
	}
	if b.data != nil || b.Len() != 0 {
		t.Fatalf("after a whole Write: Len=%d, buffer %d bytes, want none", b.Len(), cap(b.data))
	}

	// Fill the socket buffer so that the next bytes must wait in b.
	big := pattern(1 << 20)
	if _, err := b.Write(w, big); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if b.Len() == 0 || b.data == nil {
		t.Fatalf("1 MiB into a 4 KiB socket buffer left nothing owed")
	}
	owed := b.Len()
	got := slowReader(r)
	for b.Len() > 0 {
		done, err := b.Flush(w)
		if err != nil {
			t.Fatalf("Flush: %v", err)
		}
		if !done {
			waitWritable(t, w)
		}
	}
	if b.data != nil || b.sent != 0 {
		t.Fatalf("after the last Flush the buffer still holds %d bytes of memory", cap(b.data))
	}
	if done, err := b.Flush(w); !done || err != nil {
		t.Fatalf("Flush of an empty buffer: done=%v err=%v, want true, nil", done, err)
	}
	unix.Shutdown(w, unix.SHUT_WR)
	g := <-got
	want := append([]byte("hello\n"), big...)
	if !bytes.Equal(g, want) {
		t.Fatalf("reader got %d bytes, want %d (%d were owed)", len(g), len(want), owed)
	}
}

// A peer that has gone makes Flush fail with EPIPE (or ECONNRESET), which chapter 1's PeerGone
// recognises: the connection is dropped, not the process (Go ignores SIGPIPE on sockets).
func TestOutBufPeerGone(t *testing.T) {
	testutil.CheckLeaks(t)
	w, r := socketPair(t)
	r.Close()
	var b OutBuf
	b.Append([]byte("nobody is listening\n"))
	_, err := b.Flush(w)
	if !blocking.PeerGone(err) {
		t.Fatalf("Flush to a closed peer: %v, want EPIPE or ECONNRESET", err)
	}
	if b.Len() == 0 {
		t.Errorf("a failed Flush dropped the bytes it could not send")
	}
}

// A buffer that grew for a burst moves to a smaller array once the peer has taken three quarters
// of it, keeping the rest in order, rather than holding its largest size until it empties.
func TestOutBufShrinksAsItDrains(t *testing.T) {
	var b OutBuf
	want := pattern(256 << 10)
	b.Append(want)
	grown := cap(b.data)
	takes := 200 << 10 // what the peer takes before its buffer is full
	send := func(p []byte) (int, error) {
		if takes == 0 {
			return 0, unix.EAGAIN
		}
		n := min(len(p), takes)
		takes -= n
		return n, nil
	}
	if done, err := b.FlushVia(send); done || err != nil {
		t.Fatalf("FlushVia: done=%v err=%v, want false, nil", done, err)
	}
	if owed := b.Len(); owed != len(want)-200<<10 || cap(b.data) > 2*owed+owed/4 {
		t.Errorf("owing %d bytes in an array of %d (it grew to %d), want at most about twice what is owed", owed, cap(b.data), grown)
	}
	if !bytes.Equal(b.data[b.sent:], want[200<<10:]) {
		t.Errorf("the owed bytes changed when the buffer shrank")
	}
}
