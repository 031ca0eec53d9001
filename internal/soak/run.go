// Walking the servers and the faults: a fresh server process per fault, watched from /proc.

package soak

import (
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	nonblocking "tornadotcp/ch02_nonblocking"
	"tornadotcp/internal/bench"
	"tornadotcp/internal/catalog"
)

// Target is a server to soak.
type Target struct {
	ID    string
	Proto Protocol
	// Argv starts it: the program prints `listening on HOST:PORT` first and exits 0 on SIGTERM,
	// as `chapters run` does.
	Argv []string
	// MaxConns is the most connections it can hold at once by design (0: no limit of its own).
	MaxConns int
	// Procs says it serves in child processes, which answer whoami (chapter 5's): the faults
	// with Procs are played against it, and its usage is its whole process tree's.
	Procs bool
}

// CatalogTarget is catalog server id, started as `exe run id -addr 127.0.0.1:0`.
func CatalogTarget(exe, id string) (Target, error) {
	entry, err := catalog.Lookup(id)
	if err != nil {
		return Target{}, err
	}
	proto, err := ProtocolOf(entry.Protocol)
	if err != nil {
		return Target{}, err
	}
	t := Target{ID: id, Proto: proto, Argv: []string{exe, "run", id, "-addr", "127.0.0.1:0"}}
	if id == "ch02/select" {
		// select(2) cannot watch a descriptor of 1024 or more, and the server's own standard
		// streams, listener, self-pipe and the runtime's poller take a dozen below it: that wall
		// is chapter 2's lesson, not a fault to find again.
		t.MaxConns = nonblocking.FDSetSize - 24
	}
	if entry.Procs && entry.Protocol == "" {
		// Two children, whatever the machine: the kill fault needs a sibling to serve on.
		t.Procs, t.Argv = true, append(t.Argv, "-procs", "2")
	}
	return t, nil
}

// DefaultServers are the servers a soak runs unless told: every non-blocking one.
var DefaultServers = []string{"ch02/busypoll", "ch02/select", "ch02/poll", "ch03/epoll", "ch03/poll", "ch04/echo", "ch04/http",
	"ch05/bind-start", "ch05/add-sockets", "ch05/reuseport", "ch06/tls-echo", "ch06/https"}

// Options says how to run a soak.
type Options struct {
	Duration time.Duration // the whole soak, shared equally by every server and fault
	Faults   []Fault       // default: all
	// Conns is the most connections a fault holds at once: default 10,000, and never more than
	// this process's descriptor limit allows.
	Conns   int
	FDLimit int           // the descriptor limit of the exhaust fault's server (default 256)
	Settle  time.Duration // how long a server gets to close its side once the clients have gone
	// Timeout bounds each exchange that must succeed (default 30 s: generous, because a server
	// holding 10,000 busy connections on a shared CPU is slow, not broken).
	Timeout time.Duration
	// Progress receives a line per fault. Nil means none.
	Progress io.Writer
}

// reservedFDs are descriptors this process keeps for itself beyond the clients: its standard
// streams, the runtime's poller, the server's pipes, the fresh clients beside a fault.
const reservedFDs = 64

// Run soaks every target with every fault, each on a fresh server process. A server that dies
// or fails a check is a row of the report; the error is for a soak that could not run at all.
func Run(targets []Target, opt Options) (*Report, error) {
	if len(targets) == 0 {
		return nil, errors.New("no servers to soak")
	}
	progress := opt.Progress
	if progress == nil {
		progress = io.Discard
	}
	faults := opt.Faults
	if len(faults) == 0 {
		faults = Faults
	}
	if opt.FDLimit <= 0 {
		opt.FDLimit = 256
	}
	if opt.Settle <= 0 {
		opt.Settle = 5 * time.Second
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 30 * time.Second
	}
	limit, note, err := RaiseFDLimit()
	if err != nil {
		return nil, err
	}
	conns := opt.Conns
	if conns <= 0 {
		conns = 10_000
	}
	conns = min(conns, limit-reservedFDs)
	if conns < 1 {
		return nil, fmt.Errorf("a descriptor limit of %d leaves no room for clients", limit)
	}
	rows := 0
	for _, t := range targets {
		for _, f := range faults {
			if applies(f, t) {
				rows++
			}
		}
	}
	if rows == 0 {
		return nil, errors.New("none of the faults applies to these servers (badtls and stalltls are for TLS servers, kill for servers in several processes)")
	}
	window := max(opt.Duration/time.Duration(rows), 100*time.Millisecond)
	rep := &Report{Duration: opt.Duration, Window: window, Settle: opt.Settle, Conns: conns, Limit: opt.FDLimit,
		FDLimit: note}
	fmt.Fprintf(progress, "soak: %d servers, %d faults, %d runs of %v, up to %d connections; %s\n",
		len(targets), len(faults), rows, window.Round(time.Millisecond), conns, note)
	start := time.Now()
	n := 0
	for _, t := range targets {
		for _, f := range faults {
			if !applies(f, t) {
				continue
			}
			n++
			fmt.Fprintf(progress, "[%d/%d] %s %s ... ", n, rows, t.ID, f.Name)
			began := time.Now()
			e := &env{proto: t.Proto, window: window, conns: conns, fdLimit: opt.FDLimit,
				timeout: opt.Timeout, seed: uint64(n) << 40}
			if t.MaxConns > 0 {
				e.conns = min(e.conns, t.MaxConns)
			}
			r := runFault(t, f, e, opt.Settle)
			fmt.Fprintf(progress, "%s (%.1f s)\n", brief(r), time.Since(began).Seconds())
			rep.Rows = append(rep.Rows, r)
		}
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// applies says whether fault f is played against target t: the TLS faults only against TLS
// servers, kill only against servers in several processes.
func applies(f Fault, t Target) bool { return (!f.TLSOnly || t.Proto.TLS) && (!f.Procs || t.Procs) }

// runFault starts a fresh server, plays f against it and stops it.
func runFault(t Target, f Fault, e *env, settleFor time.Duration) Row {
	r := Row{Server: t.ID, Fault: f.Name}
	argv := t.Argv
	if f.Limited {
		argv = limitedArgv(e.fdLimit, argv)
	}
	p, err := bench.StartCommand(t.ID, argv, nil)
	if err != nil {
		r.Died = fmt.Sprintf("did not start: %v", err)
		return r
	}
	e.proc = p
	r = playFault(p, f, e, r, settleFor)
	if err := p.Stop(); err != nil {
		r.Stop = err.Error()
	}
	return r
}

// playFault plays f against the running server p and checks what it is left holding.
func playFault(p *bench.Proc, f Fault, e *env, r Row, settleFor time.Duration) Row {
	// One exchange first, so that what a server sets up for its first client is in the baseline.
	if _, err := served(p.Addr, e.proto, serveTimeout); err != nil {
		return died(p, r, fmt.Errorf("the first client: %w", err))
	}
	var err error
	if r.Before, err = readUsage(p.PID); err != nil {
		return died(p, r, err)
	}
	w := watch(p.PID)
	var o outcome
	f.run(e, &o)
	samples := w.Stop()
	r.Window = o.end.Sub(o.start)
	r.Conns, r.Bytes = o.conns.Load(), o.bytes.Load()
	r.Mismatches, r.Errors = o.mismatches.Load(), o.errors.Load()
	r.Note = o.note
	if o.firstErr != nil {
		r.FirstErr = o.firstErr.Error()
	}
	if why, dead := p.Died(); dead {
		r.Died = why
		return r
	}
	r.After, err = settle(p.PID, r.Before, settleFor)
	if err != nil {
		return died(p, r, err)
	}
	r.Peak = peak(append(samples, sample{Usage: r.Before}, sample{Usage: r.After}))
	r.LeakFDs = fdLeak(r.Before, r.After)
	if first, second, ok := halves(samples, o.start, o.end); ok && f.Repeats {
		r.LeakRSSKiB = rssLeak(first, second)
	}
	b, err := served(p.Addr, e.proto, serveTimeout)
	r.Bytes += b
	if err != nil {
		return died(p, r, fmt.Errorf("a fresh client after the fault: %w", err))
	}
	r.Serving = true
	return r
}

// died records err as the server's death if it died, or else as a server that no longer serves.
func died(p *bench.Proc, r Row, err error) Row {
	if why, dead := p.DiedWithin(time.Second); dead {
		r.Died = why
	} else if r.FirstErr == "" {
		r.FirstErr = err.Error()
	}
	return r
}

// RaiseFDLimit sets this process's soft RLIMIT_NOFILE to its hard limit, for itself and for the
// servers it starts, and returns the limit and a sentence saying so. The Go runtime raises the
// soft limit of its own process at start but gives child processes the original one back unless
// the program sets the limit itself through package syscall, which is why this goes through it.
func RaiseFDLimit() (int, string, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, "", fmt.Errorf("getrlimit: %w", err)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, "", fmt.Errorf("setrlimit: %w", err)
	}
	return int(lim.Cur), fmt.Sprintf("Soft descriptor limit raised to the hard limit, %d, here and for the servers", lim.Cur), nil
}

// brief is a row in a few words, for the progress line.
func brief(r Row) string {
	s := fmt.Sprintf("%d conns, %s verified, %d bad, %d errs", r.Conns, bytesString(r.Bytes), r.Mismatches, r.Errors)
	switch {
	case r.Died != "":
		s += "; DIED: " + r.Died
	case !r.Serving:
		s += "; NOT SERVING"
	}
	if r.LeakFDs > 0 || r.LeakRSSKiB > 0 {
		s += fmt.Sprintf("; LEAK: %d descriptors, RSS +%d KiB", r.LeakFDs, r.LeakRSSKiB)
	}
	if r.Note != "" {
		s += "; " + r.Note
	}
	if r.FirstErr != "" {
		s += "; first error: " + r.FirstErr
	}
	return s
}
