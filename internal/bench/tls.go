// Chapter 6's scenarios: echo ping-pong over TLS, full handshakes, and the helloworld over
// HTTPS, each measured against Go's crypto/tls on net (ch00/tls, ch00/https) in the same run.

package bench

import (
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"tornadotcp/internal/echoclient"
)

// Chapter 6's baselines, which its tables divide by.
const (
	TLSBaseline   = "ch00/tls"   // the echo on crypto/tls over net
	HTTPSBaseline = "ch00/https" // net/http over crypto/tls
)

const (
	// KindTLSPingPong is KindPingPong over TLS: each connection's handshake is done before the
	// warm-up, so the window holds records only.
	KindTLSPingPong Kind = "tlspingpong"
	// KindHandshake runs Conns clients that each open a connection, complete a full handshake,
	// have one line echoed and close, again and again: the server's CPU per handshake.
	KindHandshake Kind = "handshake"
	// KindHTTPS is KindHTTP over TLS, on keep-alive connections (one handshake each).
	KindHTTPS Kind = "https"
)

// TLSPingPong runs c connections of echo ping-pong over TLS.
func TLSPingPong(c int) Scenario { return Scenario{Kind: KindTLSPingPong, Conns: c} }

// Handshakes runs c clients making full handshakes, one connection after another.
func Handshakes(c int) Scenario { return Scenario{Kind: KindHandshake, Conns: c} }

// HTTPS runs c keep-alive connections of GET / against an HTTPS server.
func HTTPS(c int) Scenario { return Scenario{Kind: KindHTTPS, Conns: c} }

// clientTLS is every TLS client's configuration. The servers' certificates are self-signed, so
// the client does not verify them: verifying costs the client, not the server measured. The key
// exchange is pinned to P-256 ECDHE (Go's client would offer the post-quantum X25519MLKEM768
// first) so that a handshake is the classical ECDSA P-256 + P-256 pair on every server, nginx
// included. With no ClientSessionCache the client never resumes: every handshake is a full one.
func clientTLS() *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true,
		CurvePreferences:   []tls.CurveID{tls.CurveP256},
	}
}

// dialerFor is how sc's echo connections are opened.
func dialerFor(sc Scenario) dialFunc {
	if sc.Kind != KindTLSPingPong {
		return echoclient.Dial
	}
	cfg := clientTLS()
	return func(addr string, timeout time.Duration) (*echoclient.Conn, error) {
		return echoclient.DialTLS(addr, cfg, timeout)
	}
}

// httpTLS is the HTTP client's TLS configuration for sc, or nil for plain HTTP.
func httpTLS(sc Scenario) *tls.Config {
	if sc.Kind != KindHTTPS {
		return nil
	}
	return clientTLS()
}

// scheme is the URL scheme for cfg: "https://" or "http://".
func scheme(cfg *tls.Config) string {
	if cfg != nil {
		return "https://"
	}
	return "http://"
}

// HandshakeResult is what full handshakes cost the server.
type HandshakeResult struct {
	Clients   int     `json:"clients"`    // connecting at once
	Count     int64   `json:"handshakes"` // completed (line echoed) in the window
	Seconds   float64 `json:"seconds"`    // the window
	PerSecond float64 `json:"handshakes_per_second"`
	// P50Micros and P99Micros are from dial to the echoed line: connect, handshake, one round
	// trip.
	P50Micros             float64 `json:"p50_us"`
	P99Micros             float64 `json:"p99_us"`
	CPUSeconds            float64 `json:"server_cpu_seconds"`
	CPUMicrosPerHandshake float64 `json:"server_cpu_us_per_handshake"`
}

// runHandshakes runs sc.Conns clients, each making one connection after another, and measures
// the server's CPU over t.PingPong. A connection counts once its line came back: in TLS 1.3 the
// server finishes its handshake only on the client's Finished, which goes with the first line.
func runHandshakes(p *Proc, sc Scenario, t Timing) Result {
	r := Result{Server: p.ID, Scenario: sc}
	var phase atomic.Int32
	cfg := clientTLS()
	stats := make([]connStats, sc.Conns)
	var wg sync.WaitGroup
	for i := range stats {
		wg.Go(func() { stats[i] = handshakeLoop(p.Addr, cfg, i, &phase) })
	}
	cpu, wall, err := measureWindow(p, t, &phase, wg.Wait)
	if err != nil {
		return failed(p, r, err)
	}
	var perConn [][]time.Duration
	for _, s := range stats {
		if s.err != nil || s.mismatches > 0 {
			return failed(p, r, errors.Join(s.err, fmt.Errorf("%d echoes differed: %w", s.mismatches, ErrMismatch)))
		}
		perConn = append(perConn, s.latencies)
	}
	all := sortedLatencies(perConn)
	res := &HandshakeResult{Clients: sc.Conns, Count: int64(len(all)), Seconds: wall.Seconds(),
		P50Micros: Micros(Percentile(all, 50)), P99Micros: Micros(Percentile(all, 99)),
		CPUSeconds: cpu}
	res.PerSecond = float64(res.Count) / res.Seconds
	if res.Count > 0 {
		res.CPUMicrosPerHandshake = res.CPUSeconds * 1e6 / float64(res.Count)
	}
	r.Handshake = res
	return r
}

// handshakeLoop is one client: connect, handshake, one line, close, again and again (see
// timedLoop).
func handshakeLoop(addr string, cfg *tls.Config, conn int, phase *atomic.Int32) connStats {
	buf := make([]byte, 0, LineSize)
	return timedLoop(phase, func(seq int64) error {
		err := oneHandshake(addr, cfg, buf, conn, seq)
		if err != nil && !errors.Is(err, ErrMismatch) {
			err = fmt.Errorf("handshake %d of client %d: %w", seq, conn, err)
		}
		return err
	})
}

// oneHandshake is one connection's life: dial, handshake, a line echoed, close.
func oneHandshake(addr string, cfg *tls.Config, buf []byte, conn int, seq int64) error {
	c, err := echoclient.DialTLS(addr, cfg, dialTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(serveTimeout)); err != nil {
		return err
	}
	return roundTrip(c, buf, conn, seq)
}
