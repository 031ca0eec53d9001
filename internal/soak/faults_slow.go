// The faults that hold connections the server can do little with: slowloris clients and
// clients that never read.

package soak

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"tornadotcp/internal/echoclient"
)

const (
	maxSlow    = 1000
	maxStalled = 100
	// stallCap bounds what one stalled client sends: a server that never stops reading from a
	// client that never reads would otherwise take the machine's memory.
	stallCap = 16 << 20
	// stallWait is how long a write may block before its client counts as stalled: the server
	// has stopped reading it and the socket buffers on both sides are full.
	stallWait = 250 * time.Millisecond
	// stallMin is the least time the stalled clients get to fill the buffers between them and
	// the server, however short the fault's share of the soak.
	stallMin = 5 * time.Second
)

// slowloris opens up to maxSlow connections that each send the opening of a message, then one
// more byte every drip, never finishing it. A server may keep them or close them (a timeout):
// both are counted, neither is a failure. Every drip a fresh client must be served meanwhile.
func slowloris(e *env, o *outcome) {
	n := min(maxSlow, e.conns)
	conns := openRaw(e, o, n, e.proto.SlowHead)
	o.start = time.Now()
	end := o.start.Add(e.window)
	drip := min(max(e.window/20, 50*time.Millisecond), time.Second)
	var closed int
	var fresh probes
	one := []byte{e.proto.SlowByte}
	for time.Now().Before(end) {
		time.Sleep(drip) // the pace of the attack itself
		open := conns[:0]
		for _, c := range conns {
			c.SetDeadline(time.Now().Add(drip))
			if err := c.Send(one); err != nil {
				c.Close()
				closed++
				continue
			}
			open = append(open, c)
		}
		conns = open
		if !fresh.probe(e, o, fmt.Sprintf("%d slow ones", len(conns))) {
			break
		}
	}
	o.end = time.Now()
	kept := closeCountingOpen(conns)
	closed += len(conns) - kept
	o.note = fmt.Sprintf("%d kept, %d closed, %v", kept, closed, fresh)
}

// probes are the fresh clients served beside a fault: how many, and the slowest.
type probes struct {
	n       int
	slowest time.Duration
}

// probe has a fresh client served; a failure is counted in o (beside says what the fault
// holds) and returns false.
func (p *probes) probe(e *env, o *outcome, beside string) bool {
	start := time.Now()
	b, err := served(e.proc.Addr, e.proto, serveTimeout)
	o.bytes.Add(b)
	if err != nil {
		o.fail(fmt.Errorf("a fresh client beside %s: %w", beside, err))
		return false
	}
	p.n++
	p.slowest = max(p.slowest, time.Since(start))
	return true
}

func (p probes) String() string {
	return fmt.Sprintf("%d fresh ≤%v", p.n, p.slowest.Round(time.Millisecond))
}

// closeCountingOpen closes conns, all at once, and returns how many the server had left open.
func closeCountingOpen[C interface {
	SetDeadline(time.Time) error
	Read([]byte) (int, error)
	Close() error
}](conns []C) int {
	var kept atomic.Int64
	var group sync.WaitGroup
	for _, c := range conns {
		group.Go(func() {
			if stillOpen(c) {
				kept.Add(1)
			}
			c.Close()
		})
	}
	group.Wait()
	return int(kept.Load())
}

// openRaw opens n connections, dialers at a time, each sending head; failures are counted in o.
func openRaw(e *env, o *outcome, n int, head []byte) []*echoclient.Conn {
	var (
		mu    sync.Mutex
		out   = make([]*echoclient.Conn, 0, n)
		next  atomic.Int64
		group sync.WaitGroup
	)
	for range min(dialers, n) {
		group.Go(func() {
			for next.Add(1) <= int64(n) {
				o.conns.Add(1)
				c, err := dialConn(e.proc.Addr, e.proto, dialTimeout)
				if err == nil {
					if err = c.Send(head); err != nil {
						c.Close()
					}
				}
				if err != nil {
					o.fail(fmt.Errorf("opening a connection: %w", err))
					continue
				}
				mu.Lock()
				out = append(out, c)
				mu.Unlock()
			}
		})
	}
	group.Wait()
	return out
}

// stillOpen says whether the server has left c open: reads that end in a timeout, rather than
// EOF or a reset, mean nothing ended (what came first, a TLS server's half of a handshake left
// hanging, is dropped).
func stillOpen(c interface {
	SetDeadline(time.Time) error
	Read([]byte) (int, error)
}) bool {
	c.SetDeadline(time.Now().Add(10 * time.Millisecond))
	var b [4096]byte
	for {
		if _, err := c.Read(b[:]); err != nil {
			return errors.Is(err, os.ErrDeadlineExceeded)
		}
	}
}

// stalled opens maxStalled clients that send batches and never read, until each is stalled
// (a write blocked for stallWait) or has sent stallCap, or the window (at least stallMin) ends.
// With all of them there, it reads the server's RSS and checks that a fresh client is served;
// then the clients close with their answers unread.
func stalled(e *env, o *outcome) {
	n := min(maxStalled, e.conns)
	before, err := readUsage(e.proc.PID)
	if err != nil {
		o.fail(fmt.Errorf("reading the server before: %w", err))
		return
	}
	clients := openClients(e, o, n, e.timeout)
	o.start = time.Now()
	end := o.start.Add(max(e.window, stallMin))
	var stuck, capped, closed atomic.Int64
	var group sync.WaitGroup
	for _, cl := range clients {
		group.Go(func() {
			// The same batch again and again: its answers are never read, so never checked.
			cl.send, _ = e.proto.Batch(cl.rng, resetBatch, cl.send[:0], cl.want[:0])
			for sent := 0; ; {
				if sent >= stallCap {
					capped.Add(1)
					return
				}
				if !time.Now().Before(end) {
					return
				}
				cl.c.SetDeadline(time.Now().Add(stallWait))
				err := cl.c.Send(cl.send)
				switch {
				case errors.Is(err, os.ErrDeadlineExceeded):
					stuck.Add(1)
					return
				case err != nil:
					closed.Add(1)
					return
				}
				sent += len(cl.send)
			}
		})
	}
	group.Wait()
	o.end = time.Now()
	during, err := readUsage(e.proc.PID)
	start := time.Now()
	b, probeErr := served(e.proc.Addr, e.proto, serveTimeout)
	o.bytes.Add(b)
	took := time.Since(start)
	for _, cl := range clients {
		cl.Close()
	}
	if err != nil {
		o.fail(fmt.Errorf("reading the server with %d stalled clients: %w", len(clients), err))
		return
	}
	fresh := fmt.Sprintf("fresh %v", took.Round(time.Millisecond))
	if probeErr != nil {
		o.fail(fmt.Errorf("a fresh client beside %d stalled ones: %w", len(clients), probeErr))
		fresh = "fresh NOT served"
	}
	perClient := 0.0
	if len(clients) > 0 {
		perClient = float64(during.RSSKiB-before.RSSKiB) / float64(len(clients))
	}
	o.note = fmt.Sprintf("%.0f KiB/client, %s; %d stalled, %d capped, %d closed",
		perClient, fresh, stuck.Load(), capped.Load(), closed.Load())
}
