// Stalled clients against a server running in the test's own process: what they cost its Go
// heap, and whether the memory goes away, and back to the OS, once they leave.

package testutil

import (
	"crypto/tls"
	"fmt"
	"net"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"tornadotcp/internal/echoclient"
)

// EchoPayload and HTTPPayload are what a stalled client sends again and again: 64 KiB of 64-byte
// echo lines, or of pipelined GET / requests, so that a server reads as much at a time as its
// read chunk allows, the worst case for what it holds of a stalled client's input.
var (
	EchoPayload = repeat("a line of the echo protocol, sent and never read back ..........\n")
	HTTPPayload = repeat("GET / HTTP/1.1\r\nHost: stalled\r\n\r\n")
)

func repeat(s string) []byte {
	var b []byte
	for len(b)+len(s) <= 64<<10 {
		b = append(b, s...)
	}
	return b
}

// LiveHeap is the live Go heap after two collections (the second frees what sync.Pool's victim
// cache kept through the first).
func LiveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// HeldFromOS is the memory the Go heap holds from the OS now, in use or not: what it adds to
// the process's RSS. Reading it forces no collection.
func HeldFromOS() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapSys - m.HeapReleased)
}

// Stalled is n clients that sent until the server stopped reading them.
type Stalled struct {
	Conns []*net.TCPConn
	// PerClient is how much the live heap grew per client while they stalled: the server's
	// cost, when the server runs in this process (the clients' own share is a few hundred bytes).
	PerClient int64
	// Baseline is the live heap before they connected, and HeldBaseline what the heap held
	// from the OS then, after every free page had been returned.
	Baseline, HeldBaseline int64
}

// StallClients connects n clients to addr that send payload and never read, until the server
// stops taking their bytes (echoclient.Stall), and measures the live heap before and after. The
// clients are closed when the test ends, or by Leave.
func StallClients(t testing.TB, addr string, n int, payload []byte) *Stalled {
	t.Helper()
	return StallClientsTLS(t, addr, n, payload, nil)
}

// StallClientsTLS is StallClients over TLS with cfg (echoclient.StallTLS). The clients run in
// this process, so PerClient includes each TLS client's own state as well as the server's.
func StallClientsTLS(t testing.TB, addr string, n int, payload []byte, cfg *tls.Config) *Stalled {
	t.Helper()
	debug.FreeOSMemory()
	s := &Stalled{Baseline: LiveHeap(), HeldBaseline: HeldFromOS()}
	conns, err := echoclient.StallTLS(addr, n, payload, cfg, time.Now().Add(20*time.Second))
	s.Conns = conns
	t.Cleanup(s.Leave)
	if err != nil {
		t.Fatal(err)
	}
	s.PerClient = (LiveHeap() - s.Baseline) / int64(n)
	return s
}

// Leave closes every stalled client (with unread echoes in its buffer, so the kernel resets
// the connection). Calling it again does nothing.
func (s *Stalled) Leave() {
	for _, c := range s.Conns {
		c.Close()
	}
	s.Conns = nil
}

// WaitReturned waits until the heap holds from the OS no more than slack above what it held
// before the clients came, without forcing a collection itself: the server's own return of
// memory must do it. Call it first after Leave, before anything that collects. It fails the
// test after WaitFor's ten seconds.
func (s *Stalled) WaitReturned(t testing.TB, slack int64) {
	t.Helper()
	WaitFor(t, fmt.Sprintf("the heap to hold at most %d KiB from the OS (%d KiB before the clients came)",
		(s.HeldBaseline+slack)>>10, s.HeldBaseline>>10), func() bool {
		return HeldFromOS() <= s.HeldBaseline+slack
	})
}

// WaitFreed waits until the live heap is back within slack of the baseline: the server has
// closed the connections and kept nothing of them. It fails the test after ten seconds.
func (s *Stalled) WaitFreed(t testing.TB, slack int64) {
	t.Helper()
	WaitFor(t, fmt.Sprintf("the live heap to go back to at most %d KiB (%d KiB before the clients came)",
		(s.Baseline+slack)>>10, s.Baseline>>10), func() bool {
		return LiveHeap() <= s.Baseline+slack
	})
}
