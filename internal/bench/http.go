// The HTTP scenario: requests per second of GET / against a helloworld server (ch00/http,
// ch04/http, tornado/http), with wrk when it is installed, else with the bench's own client.

package bench

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// KindHTTP runs Conns keep-alive connections sending GET / as fast as the server answers:
// requests per second, latency and the server's CPU per request.
const KindHTTP Kind = "http"

// HTTP runs c keep-alive connections of GET / against an HTTP server.
func HTTP(c int) Scenario { return Scenario{Kind: KindHTTP, Conns: c} }

// The HTTP clients Options.HTTPClient may name.
const (
	HTTPClientAuto  = ""      // wrk when it is installed, else the bench's own
	HTTPClientWrk   = "wrk"   // wrk -t1, pinned with this process to the client CPU
	HTTPClientBench = "bench" // the bench's own keep-alive client (http_client.go)
)

// ErrNoWrk is returned when wrk was asked for and is not installed.
var ErrNoWrk = errors.New("wrk is not installed (apt-get install wrk)")

// HTTPResult is an HTTP scenario's throughput, latency and CPU cost, and which client measured
// it: wrk's figures and the bench client's are close but not the same instrument.
type HTTPResult struct {
	Client    string  `json:"client"` // "wrk debian/4.1.0-3+b2 [epoll]" or "bench"
	Conns     int     `json:"conns"`
	Requests  int64   `json:"requests"` // answered in the window
	Seconds   float64 `json:"seconds"`  // the window
	PerSecond float64 `json:"requests_per_second"`
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`
	// CPUSeconds is the server's CPU over the window; with wrk it also covers wrk's start and
	// its connections being opened, a few milliseconds.
	CPUSeconds          float64 `json:"server_cpu_seconds"`
	CPUMicrosPerRequest float64 `json:"server_cpu_us_per_request"`
	// SocketErrors are failed connects, reads, writes and timeouts (wrk's "Socket errors"; the
	// bench client reconnects after each).
	SocketErrors int64 `json:"socket_errors"`
	// Non2xx are answers with another status: wrk counts 4xx and 5xx, the bench client any
	// status but 200.
	Non2xx int64 `json:"non_2xx"`
	// Mismatches are 200 answers whose body is not "Hello, world", and answers that are not
	// HTTP at all (the bench client only: wrk does not read bodies).
	Mismatches int64 `json:"mismatches"`
	// ServerCPUs and ClientCPUs are the Cpus_allowed_list of the server and of the client
	// process (wrk, or this one) while measuring: the pinning, seen from /proc.
	ServerCPUs string `json:"server_cpus"`
	ClientCPUs string `json:"client_cpus"`
}

// helloWorld is the body every helloworld server answers GET / with.
const helloWorld = "Hello, world"

// runHTTP warms the server up with the bench client, then measures with the client chosen.
func runHTTP(p *Proc, sc Scenario, t Timing, client string) Result {
	r := Result{Server: p.ID, Scenario: sc}
	cfg := httpTLS(sc)
	wrk, err := chooseHTTPClient(client)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	var res *HTTPResult
	if wrk == "" {
		res, err = measureBenchClient(p, cfg, sc.Conns, t)
	} else {
		res, err = measureWrk(p, cfg, wrk, sc.Conns, t)
	}
	if err != nil {
		return failed(p, r, err)
	}
	if why, died := p.Died(); died {
		r.Died = why
		return r
	}
	if cpus, err := cpusAllowed(p.PID); err == nil {
		res.ServerCPUs = cpus
	}
	if res.Requests > 0 {
		res.CPUMicrosPerRequest = res.CPUSeconds * 1e6 / float64(res.Requests)
	}
	r.HTTP = res
	return r
}

// chooseHTTPClient returns wrk's path, or "" for the bench's own client.
func chooseHTTPClient(client string) (string, error) {
	switch client {
	case HTTPClientAuto:
		path, _ := exec.LookPath("wrk")
		return path, nil
	case HTTPClientWrk:
		path, err := exec.LookPath("wrk")
		if err != nil {
			return "", ErrNoWrk
		}
		return path, nil
	case HTTPClientBench:
		return "", nil
	}
	return "", fmt.Errorf("unknown HTTP client %q: want %q, %q or %q (automatic)", client, HTTPClientWrk, HTTPClientBench, HTTPClientAuto)
}

// measureBenchClient runs the bench's own client: warm-up, then the window between two
// samples of the server's CPU.
func measureBenchClient(p *Proc, cfg *tls.Config, conns int, t Timing) (*HTTPResult, error) {
	c := startHTTPLoad(p.Addr, cfg, conns, time.Now().Add(t.WarmUp+t.PingPong+serveTimeout))
	time.Sleep(t.WarmUp)
	before, beforeErr := p.Sample()
	c.measure()
	time.Sleep(t.PingPong) // the measurement window
	c.stop()
	after, afterErr := p.Sample()
	load := c.wait()
	if err := errors.Join(load.err, beforeErr, afterErr); err != nil {
		return nil, err
	}
	res := load.result()
	res.CPUSeconds = after.CPUSeconds() - before.CPUSeconds()
	res.ClientCPUs, _ = cpusAllowed(os.Getpid())
	return res, nil
}

// measureWrk warms the server up with the bench's own client (wrk has no warm-up of its own),
// then runs wrk between two samples of the server's CPU.
func measureWrk(p *Proc, cfg *tls.Config, wrk string, conns int, t Timing) (*HTTPResult, error) {
	if t.WarmUp > 0 {
		c := startHTTPLoad(p.Addr, cfg, conns, time.Now().Add(t.WarmUp+serveTimeout))
		time.Sleep(t.WarmUp)
		c.stop()
		if load := c.wait(); load.err != nil {
			return nil, fmt.Errorf("warming up: %w", load.err)
		}
	}
	before, err := p.Sample()
	if err != nil {
		return nil, err
	}
	res, err := runWrk(wrk, scheme(cfg)+p.Addr+"/", conns, t.PingPong)
	if err != nil {
		return nil, err
	}
	after, err := p.Sample()
	if err != nil {
		return nil, err
	}
	res.CPUSeconds = after.CPUSeconds() - before.CPUSeconds()
	return res, nil
}

// cpusAllowed is the Cpus_allowed_list line of /proc/PID/status: "1", or "0-1".
func cpusAllowed(pid int) (string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("status: no Cpus_allowed_list: %w", ErrProcFormat)
}
