// Stalled clients: connections that send and never read. What they cost the server's memory
// while connected, whether a fresh client is still served, and whether the memory goes back to
// the OS once they leave.

package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"tornadotcp/internal/echoclient"
)

// The stalled scenarios: echo lines or pipelined HTTP requests, sent and never read.
const (
	// KindStalled opens Conns echo connections that send lines until the server stops reading
	// them, then closes them all.
	KindStalled Kind = "stalled"
	// KindStalledHTTP is the same with pipelined GET / requests, against an HTTP server.
	KindStalledHTTP Kind = "stalledhttp"
)

// Stalled stalls n echo clients.
func Stalled(n int) Scenario { return Scenario{Kind: KindStalled, Conns: n} }

// StalledHTTP stalls n HTTP clients.
func StalledHTTP(n int) Scenario { return Scenario{Kind: KindStalledHTTP, Conns: n} }

// StalledResult is what Conns stalled clients cost a server, and what it kept once they left.
type StalledResult struct {
	Stalled       int     `json:"stalled"`          // clients the server stopped reading
	RSSBeforeKiB  int64   `json:"rss_before_kib"`   // the server's RSS before the first dial
	RSSStalledKiB int64   `json:"rss_stalled_kib"`  // with every stalled client connected
	RSSPerConnKiB float64 `json:"rss_per_conn_kib"` // (stalled - before) / Stalled
	// FreshMicros is the round trip of a new client's one line (or request) while they were
	// stalled: the server still serves others.
	FreshMicros float64 `json:"fresh_us"`
	// RSSLeftKiB is the server's RSS LeaveWait after every stalled client closed.
	RSSLeftKiB int64 `json:"rss_left_kib"`
}

// stallTimeout bounds how long the clients may take to stall: a thousand of them, a hundred at
// a time, on a server that shares its CPU.
const stallTimeout = 30 * time.Second

// LeaveWait is how long after the stalled clients close the server's RSS is read again: long
// enough for a server to give the memory back if it does, far shorter than the two minutes
// after which the Go runtime would collect on its own.
const LeaveWait = 2 * time.Second

// The payloads: 4 KiB of echo lines, or of pipelined requests, sent again and again.
var (
	stalledLines    = bytes.Repeat(line(make([]byte, 0, LineSize), 0, 0), 4096/LineSize)
	stalledRequests = []byte(strings.Repeat("GET / HTTP/1.1\r\nHost: bench\r\n\r\n", 4096/32))
)

// runStalled stalls sc.Conns clients, serves a fresh one beside them, closes them and reads the
// server's RSS at each step.
func runStalled(p *Proc, sc Scenario) Result {
	r := Result{Server: p.ID, Scenario: sc}
	payload, fresh := stalledLines, freshEcho
	if sc.Kind == KindStalledHTTP {
		payload, fresh = stalledRequests, freshHTTP
	}
	before, err := p.Sample()
	if err != nil {
		return failed(p, r, err)
	}
	res := &StalledResult{RSSBeforeKiB: before.RSSKiB}
	r.Stalled = res
	conns, err := echoclient.Stall(p.Addr, sc.Conns, payload, time.Now().Add(stallTimeout))
	res.Stalled = len(conns)
	if err != nil {
		closeConns(conns)
		return failed(p, r, err)
	}
	stalled, err := p.Sample()
	if err != nil {
		closeConns(conns)
		return failed(p, r, err)
	}
	res.RSSStalledKiB = stalled.RSSKiB
	res.RSSPerConnKiB = float64(stalled.RSSKiB-before.RSSKiB) / float64(len(conns))
	start := time.Now()
	err = fresh(p.Addr)
	res.FreshMicros = float64(time.Since(start).Microseconds())
	closeConns(conns)
	if err != nil {
		return failed(p, r, fmt.Errorf("a fresh client beside the stalled ones: %w", err))
	}
	time.Sleep(LeaveWait) // the window itself: the server is idle, and what it keeps is the result
	left, err := p.Sample()
	if err != nil {
		return failed(p, r, err)
	}
	if why, died := p.Died(); died {
		r.Died = why
		return r
	}
	res.RSSLeftKiB = left.RSSKiB
	return r
}

func closeConns(conns []*net.TCPConn) {
	for _, c := range conns {
		c.Close()
	}
}

// freshEcho has a new client's line echoed.
func freshEcho(addr string) error {
	c, err := openServed(addr, 1)
	closeAll(c)
	return err
}

// freshHTTP has a new client's GET / answered with helloworld.
func freshHTTP(addr string) error {
	c, err := net.DialTimeout("tcp", addr, dialTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(serveTimeout)); err != nil {
		return err
	}
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: bench\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	if err == nil && (resp.StatusCode != 200 || string(body) != helloWorld) {
		err = fmt.Errorf("answered %d %q: %w", resp.StatusCode, body, ErrMismatch)
	}
	return err
}
