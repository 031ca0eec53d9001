//go:build !race

// The echo's hot path allocates nothing. Not built with -race: the race detector makes
// sync.Pool drop a quarter of what is put back, so a read chunk is then allocated now and then.

package tcpserver

import (
	"testing"

	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// A line read with ReadUntil, written back with Write (which the kernel takes at once) and the
// next ReadUntil started: no allocation, on the loop or anywhere else in the process.
func TestIOStreamEchoAllocatesNothing(t *testing.T) {
	testutil.CheckLeaks(t)
	l, err := ioloop.New()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	server, client := streamSocketpair(t)
	peer := &peerFD{fd: client}
	defer peer.Close()
	tr, err := NewSocketTransport(server)
	if err != nil {
		t.Fatal(err)
	}
	s := NewIOStream(l, tr)
	defer s.Close()
	s.ReadUntil(newline, newEchoHandler(s).echo)
	loopDone := make(chan error, 1)
	go func() { loopDone <- l.Start() }()
	msg := []byte("a line of the echo protocol\n")
	reply := make([]byte, len(msg))
	roundTrip := func() {
		writeFull(client, msg)
		if n, err := readFull(client, reply); n != len(msg) || err != nil {
			t.Fatalf("echo: %d bytes, %v", n, err)
		}
	}
	roundTrip()
	if allocs := testing.AllocsPerRun(1000, roundTrip); allocs > 0.01 {
		t.Errorf("%.2f allocations per echoed line, want none", allocs)
	}
	l.Stop()
	if err := <-loopDone; err != nil {
		t.Fatal(err)
	}
}
