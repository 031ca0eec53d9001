package bench

import (
	"bufio"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/testutil"
)

// corruptingEcho is a broken echo server: it echoes every line with its first byte changed, and
// counts the lines.
func corruptingEcho(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	var lines atomic.Int64
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				r := bufio.NewReader(c)
				for {
					l, err := r.ReadBytes('\n')
					if err != nil {
						return
					}
					l[0] = '!'
					c.Write(l)
					lines.Add(1)
				}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String(), &lines
}

func TestRoundTripDetectsMismatch(t *testing.T) {
	testutil.CheckLeaks(t)
	addr, lines := corruptingEcho(t)
	c, err := echoclient.Dial(addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := roundTrip(c, nil, 1, 1); !errors.Is(err, ErrMismatch) {
		t.Errorf("roundTrip against a corrupting server: %v, want ErrMismatch", err)
	}

	// The ping-pong loop counts them and keeps going.
	var phase atomic.Int32
	phase.Store(measuring)
	done := make(chan connStats)
	go func() { done <- pingPong(c, 1, &phase, time.Now().Add(5*time.Second)) }()
	// Let it go through a few lines, then stop it.
	for deadline := time.Now().Add(5 * time.Second); lines.Load() < 5 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	phase.Store(finished)
	s := <-done
	if s.err != nil || s.mismatches == 0 || len(s.latencies) != 0 {
		t.Errorf("pingPong = %d mismatches, %d latencies, err %v; want mismatches counted, none timed, no error", s.mismatches, len(s.latencies), s.err)
	}
}

func TestOpenServedStopsAtTheFirstFailure(t *testing.T) {
	testutil.CheckLeaks(t)
	// A listener that accepts nothing and is closed: every dial is refused at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	conns, err := openServed(addr, 10000)
	closeAll(conns)
	if err == nil || len(conns) != 0 {
		t.Fatalf("openServed to a closed port: %d connections, err %v", len(conns), err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("openServed took %v to give up; it should stop at the first failure", d)
	}
}
