// The echo server's per-message cost: no allocation on its path from the monitor to the reply.

package ioloop_test

import (
	"testing"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
)

// rawDial connects a blocking socket to addr with chapter 1's calls: a client that allocates
// nothing per message, so that what is counted is the server's.
func rawDial(tb testing.TB, addr string) int {
	tb.Helper()
	sa, family, err := blocking.ParseAddr(addr)
	if err != nil {
		tb.Fatal(err)
	}
	fd, err := blocking.Socket(family)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { unix.Close(fd) })
	if err := unix.Connect(fd, sa); err != nil {
		tb.Fatalf("connect %s: %v", addr, err)
	}
	return fd
}

// pingPong returns a function that sends msg on fd and reads its echo into reply, checking it.
func pingPong(tb testing.TB, fd int, msg, reply []byte) func() {
	return func() {
		if _, err := unix.Write(fd, msg); err != nil {
			tb.Fatalf("send: %v", err)
		}
		for got := 0; got < len(reply); {
			n, err := unix.Read(fd, reply[got:])
			if err != nil || n == 0 {
				tb.Fatalf("read: %d, %v", n, err)
			}
			got += n
		}
		if string(reply) != string(msg) {
			tb.Fatalf("echo %q, want %q", reply, msg)
		}
	}
}

// A message's round trip allocates nothing: not in the loop's pass, the handler, the line
// framing or the output buffer. testing.AllocsPerRun counts the whole process, and the client
// here allocates nothing, so any allocation is the server's.
func TestEchoServerAllocatesNothingPerMessage(t *testing.T) {
	forEachMonitor(t, func(t *testing.T, m monitor) {
		s, _ := serveNew(t, m)
		fd := rawDial(t, s.Addr())
		msg := []byte("a line of sixty-four bytes, the size the benchmarks send......\n")
		roundTrip := pingPong(t, fd, msg, make([]byte, len(msg)))
		for range 100 {
			roundTrip() // the connection is accepted, the loop's slices and maps have grown
		}
		if allocs := testing.AllocsPerRun(1000, roundTrip); allocs != 0 {
			t.Errorf("%v allocations per message, want 0", allocs)
		}
	})
}
