// Tests of create-bind-listen, accept, and blocking recv/send on raw descriptors.

package blocking_test

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/testutil"
)

// listen is blocking.Listen that closes the descriptor when the test ends.
func listen(t *testing.T, hostport string) int {
	t.Helper()
	fd, err := blocking.Listen(hostport)
	if err != nil {
		t.Fatalf("Listen(%q): %v", hostport, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func localAddr(t *testing.T, fd int) string {
	t.Helper()
	addr, err := blocking.LocalAddr(fd)
	if err != nil {
		t.Fatalf("LocalAddr: %v", err)
	}
	return addr
}

func TestListenPortZeroReportsRealPort(t *testing.T) {
	testutil.CheckLeaks(t)
	fd := listen(t, "127.0.0.1:0")
	addr := localAddr(t, fd)
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("LocalAddr = %q, want 127.0.0.1 and the port the kernel chose", addr)
	}

	// The address is real: a client connects, and Accept returns the client's own address.
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	conn, peer, err := blocking.Accept(fd)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	defer unix.Close(conn)
	if got := blocking.FormatAddr(peer); got != c.LocalAddr().String() {
		t.Errorf("Accept's peer address = %q, want the client's %q", got, c.LocalAddr())
	}
	if !closeOnExec(t, conn) {
		t.Error("accepted descriptor is not close-on-exec")
	}
}

func TestListenAddressInUse(t *testing.T) {
	testutil.CheckLeaks(t)
	addr := localAddr(t, listen(t, "127.0.0.1:0"))
	fd, err := blocking.Listen(addr)
	if err == nil {
		unix.Close(fd)
		t.Fatalf("second Listen(%q) succeeded, want EADDRINUSE", addr)
	}
	if !errors.Is(err, unix.EADDRINUSE) {
		t.Errorf("err = %v, want errors.Is(err, EADDRINUSE)", err)
	}
	if !strings.Contains(err.Error(), "bind") || !strings.Contains(err.Error(), addr) {
		t.Errorf("err = %q, want it to name bind and %s", err, addr)
	}
}

func TestListenBadAddressOpensNothing(t *testing.T) {
	testutil.CheckLeaks(t)
	if fd, err := blocking.Listen("localhost:0"); err == nil {
		unix.Close(fd)
		t.Fatal("Listen(localhost:0) succeeded, want an error: names are not resolved")
	}
}

func TestListenSocketOptions(t *testing.T) {
	testutil.CheckLeaks(t)
	fd := listen(t, "127.0.0.1:0")
	if !closeOnExec(t, fd) {
		t.Error("listening descriptor is not close-on-exec: a child process would inherit it")
	}
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatalf("fcntl F_GETFL: %v", err)
	}
	if flags&unix.O_NONBLOCK != 0 {
		t.Error("listening descriptor is non-blocking; this chapter's lesson needs it blocking")
	}
	if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR); err != nil || v == 0 {
		t.Errorf("SO_REUSEADDR = %d, %v; want it set", v, err)
	}
}

func TestListenIPv6Loopback(t *testing.T) {
	testutil.CheckLeaks(t)
	fd, err := blocking.Listen("[::1]:0")
	if errors.Is(err, unix.EADDRNOTAVAIL) || errors.Is(err, unix.EAFNOSUPPORT) {
		t.Skipf("this machine has no IPv6 loopback: %v", err)
	}
	if err != nil {
		t.Fatalf("Listen([::1]:0): %v", err)
	}
	defer unix.Close(fd)
	addr := localAddr(t, fd)
	if !strings.HasPrefix(addr, "[::1]:") || strings.HasSuffix(addr, ":0") {
		t.Errorf("LocalAddr = %q, want [::1]:PORT with a real port", addr)
	}
	if v, err := unix.GetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY); err != nil || v != 1 {
		t.Errorf("IPV6_V6ONLY = %d, %v; want 1 as in Tornado", v, err)
	}
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	c.Close()
}

func closeOnExec(t *testing.T, fd int) bool {
	t.Helper()
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		t.Fatalf("fcntl F_GETFD: %v", err)
	}
	return flags&unix.FD_CLOEXEC != 0
}

// socketPair returns a connected pair of blocking stream sockets, closed when the test ends.
func socketPair(t *testing.T) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	unix.CloseOnExec(fds[0])
	unix.CloseOnExec(fds[1])
	t.Cleanup(func() {
		unix.Close(fds[0])
		unix.Close(fds[1])
	})
	return fds[0], fds[1]
}

func TestRecvEOF(t *testing.T) {
	testutil.CheckLeaks(t)
	a, b := socketPair(t)
	if err := blocking.SendAll(a, []byte("last words")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Shutdown(a, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, err := blocking.Recv(b, buf)
	if err != nil || string(buf[:n]) != "last words" {
		t.Fatalf("Recv = %q, %v; want the data", buf[:n], err)
	}
	n, err = blocking.Recv(b, buf)
	if n != 0 || err != nil {
		t.Errorf("Recv after the peer's shutdown = %d, %v; want 0, nil (EOF)", n, err)
	}
}

// SendAll must deliver every byte of a write larger than the socket buffer, which the kernel
// takes in several pieces.
func TestSendAllLargerThanSocketBuffer(t *testing.T) {
	testutil.CheckLeaks(t)
	a, b := socketPair(t)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	sent := make(chan error, 1)
	go func() { sent <- blocking.SendAll(a, data) }()
	got := make([]byte, 0, len(data))
	buf := make([]byte, blocking.RecvBufferSize)
	for len(got) < len(data) {
		n, err := blocking.Recv(b, buf)
		if err != nil || n == 0 {
			t.Fatalf("Recv after %d bytes: %d, %v", len(got), n, err)
		}
		got = append(got, buf[:n]...)
	}
	if err := <-sent; err != nil {
		t.Fatalf("SendAll: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Error("received bytes differ from those sent")
	}
}

func TestIOErrorsNameTheCall(t *testing.T) {
	testutil.CheckLeaks(t)
	a, b := socketPair(t)
	unix.Close(b) // the peer is gone: send fails with EPIPE (Go ignores SIGPIPE on it)
	err := blocking.SendAll(a, []byte("x"))
	if !errors.Is(err, unix.EPIPE) || !strings.HasPrefix(err.Error(), "send:") {
		t.Errorf("SendAll to a closed peer: %v, want send: EPIPE", err)
	}
	_, err = blocking.Recv(-1, make([]byte, 1))
	if !errors.Is(err, unix.EBADF) || !strings.HasPrefix(err.Error(), "recv:") {
		t.Errorf("Recv on a bad descriptor: %v, want recv: EBADF", err)
	}
}
