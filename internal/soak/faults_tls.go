// The faults of TLS servers: clients that are not TLS, or leave or hang in the handshake or
// halfway through a record (internal/badtls).

package soak

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"tornadotcp/internal/badtls"
)

const (
	badWorkers    = 20 // bad clients at a time
	badBeside     = 20 // verified clients exchanging beside them
	maxStalledTLS = 500
)

// badTLS has badWorkers play every quick bad TLS client in turn over and over (the stalling ones
// are stalledHandshakes'), while badBeside verified clients exchange random batches: the bad
// ones that the server must close (not TLS, a handshake that does not parse) must be closed,
// within the fault's timeout, and every verified answer must be exact.
func badTLS(e *env, o *outcome) {
	hello, err := badtls.ClientHello()
	if err != nil {
		o.fail(fmt.Errorf("making a ClientHello: %w", err))
		return
	}
	var quick []badtls.Kind
	for _, k := range badtls.Kinds {
		if !k.Stalls {
			quick = append(quick, k)
		}
	}
	clients := openClients(e, o, min(badBeside, e.conns), e.timeout)
	o.start = time.Now()
	end := o.start.Add(e.window)
	var exchanges, bad atomic.Int64
	var group sync.WaitGroup
	exchangeUntil(&group, clients, e, o, end, &exchanges)
	for w := range min(badWorkers, e.conns) {
		group.Go(func() {
			for i := w; time.Now().Before(end) && o.conns.Load() < maxChurn; i++ {
				o.conns.Add(1)
				k := quick[i%len(quick)]
				if err := badtls.Play(e.proc.Addr, k, hello, serveTimeout); err != nil {
					o.fail(fmt.Errorf("%s: %w", k.Name, err))
					return
				}
				bad.Add(1)
			}
		})
	}
	group.Wait()
	o.end = time.Now()
	o.note = fmt.Sprintf("%d bad clients of %d kinds; %d verified held, %d exchanges",
		bad.Load(), len(quick), len(clients), exchanges.Load())
}

// stalledHandshakes opens up to maxStalledTLS connections that stop in the handshake (before,
// in or after the ClientHello, in turn) and holds them for the window, while a fresh client
// must be served every tenth of it. The server may keep them or close them at its handshake
// timeout (ch06: 10 s): both are counted, neither is a failure.
func stalledHandshakes(e *env, o *outcome) {
	hello, err := badtls.ClientHello()
	if err != nil {
		o.fail(fmt.Errorf("making a ClientHello: %w", err))
		return
	}
	var stalls []badtls.Kind
	for _, k := range badtls.Kinds {
		if k.Stalls {
			stalls = append(stalls, k)
		}
	}
	n := min(maxStalledTLS, e.conns)
	conns := make([]*net.TCPConn, 0, n)
	for i := range n {
		o.conns.Add(1)
		nc, err := net.DialTimeout("tcp", e.proc.Addr, dialTimeout)
		if err == nil {
			if err = stalls[i%len(stalls)].Play(nc.(*net.TCPConn), hello); err != nil {
				nc.Close()
			}
		}
		if err != nil {
			o.fail(fmt.Errorf("opening a stalled handshake: %w", err))
			continue
		}
		conns = append(conns, nc.(*net.TCPConn))
	}
	o.start = time.Now()
	end := o.start.Add(e.window)
	var fresh probes
	for time.Now().Before(end) {
		time.Sleep(e.window / 10) // the pace of the probes
		if !fresh.probe(e, o, fmt.Sprintf("%d stalled handshakes", len(conns))) {
			break
		}
	}
	o.end = time.Now()
	kept := closeCountingOpen(conns)
	o.note = fmt.Sprintf("%d kept, %d closed by the handshake timer, %v", kept, len(conns)-kept, fresh)
}
