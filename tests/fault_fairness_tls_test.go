// Fairness over TLS: the same question as fault_fairness_test.go for chapter 6's servers, with
// clients of their own (internal/bench's flood and probe speak plaintext). A fresh client's
// wait includes its handshake, which the loop steps while the busy clients' records wait.

package tests

import (
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tornadotcp/internal/catalog"
	"tornadotcp/internal/testutil"
)

// tlsFlood is busyClients TLS connections that send all the server takes and read every answer.
type tlsFlood struct {
	conns    []net.Conn
	answered atomic.Int64
	stop     chan struct{}
	group    sync.WaitGroup
	mu       sync.Mutex
	err      error
}

func startTLSFlood(t *testing.T, e catalog.Entry, addr string) *tlsFlood {
	t.Helper()
	f := &tlsFlood{stop: make(chan struct{})}
	chunk := testutil.Lines(1024, 64)
	if isHTTP(e) {
		chunk = []byte(strings.Repeat("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 256))
	}
	for range busyClients {
		c, err := dialFor(e, addr)
		if err != nil {
			f.halt()
			t.Fatal(err)
		}
		f.conns = append(f.conns, c)
		f.group.Go(func() {
			for {
				select {
				case <-f.stop:
					return
				default:
				}
				c.SetWriteDeadline(time.Now().Add(ioTimeout))
				if _, err := c.Write(chunk); err != nil {
					f.fail(err)
					return
				}
			}
		})
		f.group.Go(func() {
			buf := make([]byte, 64<<10)
			for {
				c.SetReadDeadline(time.Now().Add(ioTimeout))
				n, err := c.Read(buf)
				f.answered.Add(int64(n))
				if err != nil {
					f.fail(err)
					return
				}
			}
		})
	}
	return f
}

// fail keeps the first error that did not come from halt.
func (f *tlsFlood) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.stop:
	default:
		if f.err == nil {
			f.err = err
		}
	}
}

// halt stops the clients and returns the first failure before it.
func (f *tlsFlood) halt() error {
	f.mu.Lock()
	select {
	case <-f.stop:
	default:
		close(f.stop)
	}
	f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
	f.group.Wait()
	return f.err
}

// tlsProbe times a fresh client from its dial to its first answer.
func tlsProbe(e catalog.Entry, addr string) (time.Duration, error) {
	start := time.Now()
	p, err := dialPeer(e, addr)
	if err != nil {
		return 0, err
	}
	defer p.c.Close()
	err = p.exchange(0)
	return time.Since(start), err
}

// tlsFairnessMedian is fairnessMedian for a TLS server.
func tlsFairnessMedian(t *testing.T, e catalog.Entry) time.Duration {
	t.Helper()
	testutil.CheckLeaks(t)
	srv := start(t, e)
	flood := startTLSFlood(t, e, srv.Addr())
	defer flood.halt()
	deadline := time.Now().Add(ioTimeout)
	for flood.answered.Load() < busyClients<<16 {
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes answered to %d busy clients in %v", flood.answered.Load(), busyClients, ioTimeout)
		}
		time.Sleep(time.Millisecond)
	}
	before := flood.answered.Load()
	waits := make([]time.Duration, 0, fairnessProbes)
	for range fairnessProbes {
		d, err := tlsProbe(e, srv.Addr())
		if err != nil {
			t.Fatalf("fresh client %d: %v", len(waits)+1, err)
		}
		waits = append(waits, d)
	}
	if flood.answered.Load() == before {
		t.Errorf("the busy clients got nothing while the fresh ones were answered")
	}
	if err := flood.halt(); err != nil {
		t.Errorf("a busy client failed: %v", err)
	}
	if _, err := tlsProbe(e, srv.Addr()); err != nil {
		t.Errorf("after the busy clients left: %v", err)
	}
	slices.Sort(waits)
	median := waits[len(waits)/2]
	t.Logf("%s: fresh clients waited %v (median), %v (slowest), handshake included, under %d busy clients",
		e.ID, median, waits[len(waits)-1], busyClients)
	return median
}

// fairnessTLS checks every TLS server against bound.
func fairnessTLS(t *testing.T, bound time.Duration) {
	for _, e := range tlsEntries() {
		t.Run(e.ID, func(t *testing.T) {
			if got := tlsFairnessMedian(t, e); got > bound {
				t.Errorf("a fresh client waited %v (median of %d, handshake included) under %d busy clients; want at most %v",
					got, fairnessProbes, busyClients, bound)
			}
		})
	}
}
