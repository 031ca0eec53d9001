// The faults, and the three that repeat one thing over and over: verified traffic, churn and
// resets.

package soak

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"tornadotcp/internal/bench"
)

// Fault is one way of treating a server badly, run for a window against a fresh process.
type Fault struct {
	Name    string
	Summary string
	// Repeats says the fault does one thing again and again for its whole window, so that its
	// server's memory must level off (the RSS check of rssLeak).
	Repeats bool
	// Limited says the server runs under a low descriptor limit (Options.FDLimit).
	Limited bool
	// TLSOnly says the fault is played against TLS servers only.
	TLSOnly bool
	// Procs says the fault is for servers in several processes (Target.Procs) only.
	Procs bool
	run   func(e *env, o *outcome)
}

// Faults are every fault, in the order they run.
var Faults = []Fault{
	{Name: "traffic", Repeats: true, run: traffic,
		Summary: "up to 10,000 connections exchanging random batches, every answer checked byte for byte, in order"},
	{Name: "churn", Repeats: true, run: churn,
		Summary: "connections opened, one verified exchange, ended cleanly, over and over"},
	{Name: "resets", Repeats: true, run: resets,
		Summary: "connections reset (SO_LINGER 0) mid-message or with answers unread, over and over"},
	{Name: "slowloris", run: slowloris,
		Summary: "up to 1,000 connections sending one byte every so often, never finishing; fresh clients must be served"},
	{Name: "stalled", run: stalled,
		Summary: "100 clients that send and never read; the server's RSS per stalled client; fresh clients must be served"},
	{Name: "exhaust", Limited: true, run: exhaust,
		Summary: "the server under a low descriptor limit, four times as many clients, released; then a fresh client"},
	{Name: "badtls", Repeats: true, TLSOnly: true, run: badTLS,
		Summary: "TLS servers: plaintext, garbage, truncated handshakes, clients gone mid-record, over and over, beside verified clients"},
	{Name: "stalltls", TLSOnly: true, run: stalledHandshakes,
		Summary: "TLS servers: up to 500 handshakes left hanging (before, in, after the ClientHello); fresh clients must be served"},
	killFault,
}

// FaultNamed finds a fault by name.
func FaultNamed(name string) (Fault, error) {
	var names []string
	for _, f := range Faults {
		if f.Name == name {
			return f, nil
		}
		names = append(names, f.Name)
	}
	return Fault{}, fmt.Errorf("no fault %q; the faults are %v", name, names)
}

// env is what a fault is given.
type env struct {
	proc    *bench.Proc
	proto   Protocol
	window  time.Duration
	conns   int // the most connections the fault may hold at once
	fdLimit int // the server's descriptor limit, for a Limited fault
	timeout time.Duration
	seed    uint64
}

// outcome is what a fault saw from the client side. Its counters are shared by the fault's
// goroutines.
type outcome struct {
	conns, bytes, mismatches, errors atomic.Int64
	start, end                       time.Time // the window, setup excluded
	note                             string

	mu       sync.Mutex
	firstErr error
}

// fail counts err as a mismatch or as an error, and keeps the first.
func (o *outcome) fail(err error) {
	if errors.Is(err, ErrMismatch) {
		o.mismatches.Add(1)
	} else {
		o.errors.Add(1)
	}
	o.mu.Lock()
	if o.firstErr == nil {
		o.firstErr = err
	}
	o.mu.Unlock()
}

// Bounds on every loop, whatever the window.
const (
	dialers      = 100     // connections opened at a time, as the bench does: under a backlog of 128
	maxBatch     = 8       // messages per exchange
	maxRounds    = 1 << 20 // exchanges per traffic connection
	churnWorkers = 50
	resetWorkers = 20
	maxChurn     = 500_000         // connections per churn or resets fault
	resetBatch   = 64              // messages sent and never read before a reset
	serveTimeout = 5 * time.Second // for a fresh client beside a fault
)

// openClients opens n verified connections, dialers at a time, each with one exchange made. The
// ones that failed are counted in o; the rest are returned.
func openClients(e *env, o *outcome, n int, timeout time.Duration) []*client {
	var (
		mu    sync.Mutex
		out   = make([]*client, 0, n)
		next  atomic.Int64
		group sync.WaitGroup
	)
	for range min(dialers, n) {
		group.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				o.conns.Add(1)
				cl, err := dial(e.proc.Addr, e.proto, e.seed+uint64(i), timeout)
				if err == nil {
					if err = cl.Exchange(1, timeout); err != nil {
						cl.Close()
					}
				}
				if err != nil {
					o.fail(fmt.Errorf("opening connection %d of %d: %w", i+1, n, err))
					continue
				}
				mu.Lock()
				out = append(out, cl)
				mu.Unlock()
			}
		})
	}
	group.Wait()
	return out
}

// traffic holds e.conns connections, each exchanging random batches until the window ends,
// then ending cleanly: every answer byte is compared with what was owed, in order.
func traffic(e *env, o *outcome) {
	clients := openClients(e, o, e.conns, e.timeout)
	o.start = time.Now()
	var exchanges atomic.Int64
	var group sync.WaitGroup
	exchangeUntil(&group, clients, e, o, o.start.Add(e.window), &exchanges)
	group.Wait()
	o.end = time.Now()
	o.note = fmt.Sprintf("%d held, %d exchanges", len(clients), exchanges.Load())
}

// exchangeUntil has each client exchange random batches on a goroutine of group until end, then
// end cleanly, counting the exchanges and failing o at a client's first error.
func exchangeUntil(group *sync.WaitGroup, clients []*client, e *env, o *outcome, end time.Time, exchanges *atomic.Int64) {
	for _, cl := range clients {
		group.Go(func() {
			defer func() { o.bytes.Add(cl.bytes) }()
			for r := 0; r < maxRounds && time.Now().Before(end); r++ {
				if err := cl.Exchange(1+cl.rng.IntN(maxBatch), e.timeout); err != nil {
					o.fail(err)
					cl.Close()
					return
				}
				exchanges.Add(1)
			}
			if err := cl.End(e.timeout); err != nil {
				o.fail(err)
			}
		})
	}
}

// churn opens connections over and over, churnWorkers at a time: one verified exchange, a clean
// end. A worker stops at its first failure, so a dead server costs one failure per worker.
func churn(e *env, o *outcome) {
	o.start = time.Now()
	end := o.start.Add(e.window)
	var group sync.WaitGroup
	for w := range min(churnWorkers, e.conns) {
		group.Go(func() {
			for i := 0; time.Now().Before(end) && o.conns.Load() < maxChurn; i++ {
				o.conns.Add(1)
				if err := churnOne(e, o, uint64(w)<<32|uint64(i)); err != nil {
					o.fail(err)
					return
				}
			}
		})
	}
	group.Wait()
	o.end = time.Now()
	o.note = fmt.Sprintf("%d at a time, %.0f/s", min(churnWorkers, e.conns),
		float64(o.conns.Load())/o.end.Sub(o.start).Seconds())
}

func churnOne(e *env, o *outcome, seed uint64) error {
	cl, err := dial(e.proc.Addr, e.proto, e.seed+seed, dialTimeout)
	if err != nil {
		return err
	}
	defer func() { o.bytes.Add(cl.bytes) }()
	if err := cl.Exchange(1, e.timeout); err != nil {
		cl.Close()
		return err
	}
	return cl.End(e.timeout)
}

// resets opens connections over and over, resetWorkers at a time: one verified exchange, then
// either half a message or a batch whose answers are never read, then a reset (SO_LINGER 0):
// the server meets ECONNRESET mid-read or mid-write.
func resets(e *env, o *outcome) {
	o.start = time.Now()
	end := o.start.Add(e.window)
	var midMessage, unread atomic.Int64
	var group sync.WaitGroup
	for w := range min(resetWorkers, e.conns) {
		group.Go(func() {
			for i := 0; time.Now().Before(end) && o.conns.Load() < maxChurn; i++ {
				o.conns.Add(1)
				halfway := i%2 == 0
				if err := resetOne(e, o, uint64(w)<<32|uint64(i), halfway); err != nil {
					o.fail(err)
					return
				}
				if halfway {
					midMessage.Add(1)
				} else {
					unread.Add(1)
				}
			}
		})
	}
	group.Wait()
	o.end = time.Now()
	o.note = fmt.Sprintf("%d mid-message, %d unread", midMessage.Load(), unread.Load())
}

func resetOne(e *env, o *outcome, seed uint64, halfway bool) error {
	cl, err := dial(e.proc.Addr, e.proto, e.seed+seed, dialTimeout)
	if err != nil {
		return err
	}
	defer cl.Reset()
	defer func() { o.bytes.Add(cl.bytes) }()
	if err := cl.Exchange(1, e.timeout); err != nil {
		return err
	}
	if halfway {
		return cl.c.Send(e.proto.Partial)
	}
	cl.send, cl.want = e.proto.Batch(cl.rng, resetBatch, cl.send[:0], cl.want[:0])
	return cl.c.Send(cl.send)
}
