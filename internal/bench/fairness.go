// Fairness: how long a fresh client waits for one answer while other clients keep the server
// as busy as they can, streaming echo lines or pipelining HTTP requests.

package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The fairness scenarios: Conns clients send as fast as the server takes it and read every
// answer, while fresh clients, one at a time, connect, send one line (or GET /) and time the
// whole answer. A server that gives each connection a bounded share of every pass answers the
// fresh client within a pass or two; one that serves a busy connection until it has nothing
// more to say makes the fresh client wait behind all of them.
const (
	KindFairness     Kind = "fairness"      // streaming echo lines
	KindFairnessHTTP Kind = "fairness-http" // pipelining GET /
)

// Fairness probes an echo server while c clients stream lines at it.
func Fairness(c int) Scenario { return Scenario{Kind: KindFairness, Conns: c} }

// FairnessHTTP probes an HTTP server while c clients pipeline GET / at it.
func FairnessHTTP(c int) Scenario { return Scenario{Kind: KindFairnessHTTP, Conns: c} }

// How many fresh clients a fairness scenario times: maxProbes at most, within the timing's
// ping-pong window, but at least minProbes however slow each is.
const (
	maxProbes = 50
	minProbes = 10
)

// FairnessResult is what the fresh clients waited, and what the busy ones got meanwhile.
type FairnessResult struct {
	Conns     int     `json:"conns"`   // the busy clients
	Probes    int     `json:"probes"`  // fresh clients timed
	Seconds   float64 `json:"seconds"` // from the first probe to the last answer
	P50Micros float64 `json:"p50_us"`  // from dialling to the whole answer
	P99Micros float64 `json:"p99_us"`
	MaxMicros float64 `json:"max_us"`
	// AnsweredMiBPerSecond is what the busy clients read back while the probes ran: a server
	// that answered the fresh clients by starving the busy ones would show it here.
	AnsweredMiBPerSecond float64 `json:"answered_mib_per_second"`
}

// runFairness starts the busy clients, lets the server settle under them, then times the
// probes one after another.
func runFairness(p *Proc, sc Scenario, t Timing) Result {
	r := Result{Server: p.ID, Scenario: sc}
	http := sc.Kind == KindFairnessHTTP
	flood, err := StartFlood(p.Addr, sc.Conns, http)
	if err != nil {
		return failed(p, r, err)
	}
	defer flood.Stop()
	time.Sleep(t.WarmUp)
	answered, start := flood.Answered(), time.Now()
	var waits []time.Duration
	for len(waits) < maxProbes && (len(waits) < minProbes || time.Since(start) < t.PingPong) {
		d, err := Probe(p.Addr, http, serveTimeout)
		if err != nil {
			return failed(p, r, fmt.Errorf("fresh client %d: %w", len(waits)+1, err))
		}
		waits = append(waits, d)
	}
	wall := time.Since(start)
	answered = flood.Answered() - answered
	if err := flood.Stop(); err != nil {
		return failed(p, r, fmt.Errorf("busy clients: %w", err))
	}
	slices.Sort(waits)
	r.Fairness = &FairnessResult{
		Conns: sc.Conns, Probes: len(waits), Seconds: wall.Seconds(),
		P50Micros: Micros(Percentile(waits, 50)), P99Micros: Micros(Percentile(waits, 99)),
		MaxMicros:            Micros(Percentile(waits, 100)),
		AnsweredMiBPerSecond: float64(answered) / (1 << 20) / wall.Seconds(),
	}
	return r
}

// Flood is a set of busy clients: each sends as fast as its server takes it (64-byte echo
// lines, or pipelined GET / for an HTTP server) and reads and drops every answer.
type Flood struct {
	conns    []net.Conn
	wg       sync.WaitGroup
	answered atomic.Int64
	stopped  atomic.Bool
	mu       sync.Mutex
	err      error // the first failure of a client before Stop
}

// floodWrite is how much one busy client hands the kernel per write: many lines or requests, so
// that the client spends its CPU in few system calls and the server always has input waiting.
const floodWrite = 64 << 10

// StartFlood connects n busy clients to addr and starts them; Stop ends them.
func StartFlood(addr string, n int, http bool) (*Flood, error) {
	payload := floodPayload(http)
	f := &Flood{}
	for range n {
		c, err := net.DialTimeout("tcp", addr, dialTimeout)
		if err != nil {
			f.Stop()
			return nil, fmt.Errorf("busy client %d of %d: %w", len(f.conns)+1, n, err)
		}
		f.conns = append(f.conns, c)
		f.wg.Go(func() { f.send(c, payload) })
		f.wg.Go(func() { f.drain(c) })
	}
	return f, nil
}

// floodPayload is what a busy client writes again and again.
func floodPayload(http bool) []byte {
	unit := []byte("GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
	if !http {
		unit = line(make([]byte, 0, LineSize), 0, 0)
	}
	return bytes.Repeat(unit, floodWrite/len(unit))
}

func (f *Flood) send(c net.Conn, payload []byte) {
	for {
		if _, err := c.Write(payload); err != nil {
			f.fail(err)
			return
		}
	}
}

func (f *Flood) drain(c net.Conn) {
	buf := make([]byte, floodWrite)
	for {
		n, err := c.Read(buf)
		f.answered.Add(int64(n))
		if err != nil {
			f.fail(err)
			return
		}
	}
}

// fail records a client's error, unless Stop caused it.
func (f *Flood) fail(err error) {
	if f.stopped.Load() {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

// Answered is how many bytes of answers the busy clients have read so far.
func (f *Flood) Answered() int64 { return f.answered.Load() }

// Stop closes every busy client and waits for them. It returns the first error a client met
// before Stop (the server closed or reset it); calling it again returns nil.
func (f *Flood) Stop() error {
	if f.stopped.Swap(true) {
		return nil
	}
	for _, c := range f.conns {
		c.Close()
	}
	f.wg.Wait()
	return f.err
}

// Probe is one fresh client: it connects to addr, sends one echo line (or GET / to an HTTP
// server), and returns the time from dialling to the whole, correct answer. timeout bounds it.
func Probe(addr string, http bool, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.SetDeadline(start.Add(timeout)); err != nil {
		return 0, err
	}
	r := bufio.NewReader(c)
	if http {
		var body []byte
		status, _, err := get(c, r, []byte("GET / HTTP/1.1\r\nHost: probe\r\n\r\n"), &body)
		switch {
		case err != nil:
			return 0, err
		case status != 200 || string(body) != helloWorld:
			return 0, fmt.Errorf("answered %d %q: %w", status, body, ErrHTTPResponse)
		}
		return time.Since(start), nil
	}
	msg := line(make([]byte, 0, LineSize), -1, 0)
	if _, err := c.Write(msg); err != nil {
		return 0, err
	}
	echo, err := r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(echo, msg) {
		return 0, fmt.Errorf("sent %q, got %q: %w", msg, echo, ErrMismatch)
	}
	return time.Since(start), nil
}
