// The plain transport: non-blocking from the start, "nothing yet" as EAGAIN, the peer's end
// as io.EOF, and a descriptor closed once.

package tcpserver

import (
	"errors"
	"io"
	"testing"

	"golang.org/x/sys/unix"

	nonblocking "tornadotcp/ch02_nonblocking"
	"tornadotcp/internal/testutil"
)

func TestSocketTransport(t *testing.T) {
	testutil.CheckLeaks(t)
	a, b := streamSocketpair(t)
	peer := &peerFD{fd: b}
	defer peer.Close()
	tr, err := NewSocketTransport(a)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if tr.FD() != a {
		t.Errorf("FD %d, want %d", tr.FD(), a)
	}
	if flags, err := unix.FcntlInt(uintptr(a), unix.F_GETFL, 0); err != nil || flags&unix.O_NONBLOCK == 0 {
		t.Errorf("descriptor not non-blocking (flags %#x, %v)", flags, err)
	}
	buf := make([]byte, 16)
	if n, err := tr.Read(buf); n != 0 || !nonblocking.WouldBlock(err) {
		t.Errorf("Read with nothing sent: %d, %v; want 0 and EAGAIN", n, err)
	}
	if n, err := tr.Write([]byte("ping")); n != 4 || err != nil {
		t.Errorf("Write: %d, %v", n, err)
	}
	got := make([]byte, 4)
	if n, err := unix.Read(b, got); n != 4 || err != nil || string(got) != "ping" {
		t.Errorf("peer read %q, %v; want ping", got[:max(n, 0)], err)
	}
	writeFull(b, []byte("pong"))
	if n, err := tr.Read(buf); n != 4 || err != nil || string(buf[:4]) != "pong" {
		t.Errorf("Read: %d %q, %v", n, buf[:n], err)
	}
	peer.CloseWrite()
	if n, err := tr.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("Read after the peer shut down: %d, %v; want 0, io.EOF", n, err)
	}
}

// Close closes the descriptor; NewSocketTransport refuses a descriptor that is not open.
func TestSocketTransportClose(t *testing.T) {
	testutil.CheckLeaks(t)
	a, b := streamSocketpair(t)
	defer unix.Close(b)
	tr, err := NewSocketTransport(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := unix.FcntlInt(uintptr(a), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Errorf("descriptor still open after Close (%v)", err)
	}
	if _, err := NewSocketTransport(a); !errors.Is(err, unix.EBADF) {
		t.Errorf("NewSocketTransport on a closed descriptor: %v, want EBADF", err)
	}
}
