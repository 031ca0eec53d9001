// Chapter 4's keep-alive, measured: Tornado's helloworld (ch04/http) as a child process, asked the
// same number of times by Go's net/http client over one kept connection and with
// "Connection: close", a new connection per request.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"
)

// keepAliveFacts is what the keep-alive comparison measured.
type keepAliveFacts struct {
	ID     string
	Pid    int // 0 when the server was not a child of the tour (tests)
	Addr   string
	Kept   httpRun // HTTP/1.1 keep-alive, as the client does by default
	Closed httpRun // every request with Connection: close
}

// httpRun is one run of sequential requests, as the client saw it.
type httpRun struct {
	Requests   int
	Conns      int           // connections the client opened (each one a connect, an accept and a stream on the server)
	Reused     int           // requests sent on a connection an earlier request had used (httptrace)
	Hello      int           // answers that were 200 with the body "Hello, world"
	Connection string        // the server's Connection field, when every answer had the same one
	Elapsed    time.Duration // for all of them, one after another
}

// PerSecond is the run's requests per second of wall time.
func (r httpRun) PerSecond() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// errNoKeepAlive means the comparison did not show keep-alive: the kept run needed more than
// one connection, the closed run fewer than one per request, or an answer was not helloworld's.
var errNoKeepAlive = errors.New("keep-alive against Connection: close did not show")

// keepAlive starts server id as a child process and measures it with keepAliveAt.
func keepAlive(env *tourEnv, id string, n int) (keepAliveFacts, error) {
	c, err := startChild(env, 10*time.Second, "run", id, "-addr", "127.0.0.1:0")
	if err != nil {
		return keepAliveFacts{ID: id}, err
	}
	defer c.Stop()
	return keepAliveAt(env, id, c.Pid, c.Addr, n)
}

// keepAliveAt makes n requests for / to the helloworld server at addr with keep-alive, then n
// with Connection: close, one after another, and narrates the difference.
func keepAliveAt(env *tourEnv, id string, pid int, addr string, n int) (keepAliveFacts, error) {
	f := keepAliveFacts{ID: id, Pid: pid, Addr: addr}
	// A few requests first, not counted, so that neither process is timed while it is still
	// faulting in its code and growing its heap.
	if _, err := helloRequests(addr, warmUpRequests, false); err != nil {
		return f, fmt.Errorf("warming up: %w", err)
	}
	var err error
	if f.Kept, err = helloRequests(addr, n, false); err != nil {
		return f, fmt.Errorf("keep-alive: %w", err)
	}
	if f.Closed, err = helloRequests(addr, n, true); err != nil {
		return f, fmt.Errorf("with Connection: close: %w", err)
	}
	if f.Kept.Conns != 1 || f.Kept.Reused != n-1 || f.Closed.Conns != n || f.Closed.Reused != 0 ||
		f.Kept.Hello != n || f.Closed.Hello != n {
		return f, fmt.Errorf("%w: %d requests took %d connection(s) with keep-alive (%d reused) and %d with Connection: close (%d reused); %d and %d answers were %q",
			errNoKeepAlive, n, f.Kept.Conns, f.Kept.Reused, f.Closed.Conns, f.Closed.Reused, f.Kept.Hello, f.Closed.Hello, helloBody)
	}

	env.say("")
	env.say("  %s (pid %d, %s): Tornado's helloworld on an HTTPServer that embeds TCPServer.", id, f.Pid, f.Addr)
	env.say("  Go's net/http client asks for / %d times, one request after another, two ways (after %d", n, warmUpRequests)
	env.say("  requests to warm both processes up):")
	for _, run := range []struct {
		how string
		r   httpRun
	}{{"HTTP/1.1 keep-alive:", f.Kept}, {"with Connection: close:", f.Closed}} {
		env.say("    %-24s %4d connection(s), %6.0f requests/s; the server answered Connection: %s",
			run.how, run.r.Conns, run.r.PerSecond(), run.r.Connection)
	}
	env.say("    every one of the %d answers was 200 %q", 2*n, helloBody)
	env.say("  Keep-alive is HTTPServer's work on top of the stream: once an answer has gone to the kernel")
	env.say("  it reads the next request head from the same IOStream. Without it, every request pays for")
	env.say("  a TCP handshake, an accept, a new stream and a close: %.1f times the wall time here.",
		f.Closed.Elapsed.Seconds()/f.Kept.Elapsed.Seconds())
	return f, nil
}

// warmUpRequests are made before the two measured runs.
const warmUpRequests = 50

// helloBody is what Tornado's helloworld answers to GET /.
const helloBody = "Hello, world"

// helloRequests makes n GET / requests to addr, one after another, on a client of its own that
// keeps at most one idle connection and counts the connections it opens. With closeEach, every
// request carries Connection: close.
func helloRequests(addr string, n int, closeEach bool) (httpRun, error) {
	r := httpRun{Requests: n}
	var dials atomic.Int64
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			dials.Add(1)
			return dialer.DialContext(ctx, network, address)
		},
		MaxIdleConnsPerHost: 1,
		DisableCompression:  true,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	url := "http://" + addr + "/"
	var reused atomic.Int64 // the transport may report from a goroutine of its own
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if info.Reused {
			reused.Add(1)
		}
	}}
	ctx := httptrace.WithClientTrace(context.Background(), trace)
	start := time.Now()
	for i := range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return r, err
		}
		req.Close = closeEach
		// Reading the body to its end puts a kept connection back for the next request before
		// ReadAll returns, so sequential requests on one kept connection never need a second.
		resp, err := client.Do(req)
		if err != nil {
			return r, fmt.Errorf("request %d: %w", i+1, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return r, fmt.Errorf("request %d: body: %w", i+1, err)
		}
		if resp.StatusCode == http.StatusOK && string(body) == helloBody {
			r.Hello++
		}
		// Go's client takes "Connection: close" out of the header it returns and sets Close.
		connection := resp.Header.Get("Connection")
		if resp.Close && connection == "" {
			connection = "close"
		}
		switch {
		case i == 0:
			r.Connection = connection
		case connection != r.Connection:
			r.Connection = "(not the same on every answer)"
		}
	}
	r.Elapsed = time.Since(start)
	r.Conns = int(dials.Load())
	r.Reused = int(reused.Load())
	return r, nil
}
