// The bench's own HTTP/1.1 client, for machines without wrk: keep-alive connections, each
// sending GET / and reading the answer by its Content-Length, again and again, checking that the
// body is the helloworld's.

package bench

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ErrHTTPResponse is wrapped by every answer the client cannot read: a bad status line or
// header, no Content-Length, or a body larger than the client takes.
var ErrHTTPResponse = errors.New("unreadable HTTP response")

// maxBody is the largest body the client reads: a helloworld's is 12 bytes, an error page
// a few hundred.
const maxBody = 1 << 20

// httpLoad is a running bench client. Its connections run through the ping-pong phases
// (warming up, measuring, finished) without stopping; only requests that both started and
// ended while measuring count in the window.
type httpLoad struct {
	phase      atomic.Int32
	wg         sync.WaitGroup
	conns      []httpConnStats
	start, end time.Time
}

// httpConnStats is one connection's share of a run. Answered counts every request answered,
// warm-up included; the failures count over the whole run too.
type httpConnStats struct {
	latencies                      []time.Duration
	answered                       int64
	socketErrors, non2xx, mismatch int64
	err                            error // a failed (re)connect: this connection gave up
}

// startHTTPLoad opens conns connections to addr and starts them warming up; every read and
// write must be done by deadline. A cfg that is not nil makes them HTTPS (tls.go).
func startHTTPLoad(addr string, cfg *tls.Config, conns int, deadline time.Time) *httpLoad {
	l := &httpLoad{conns: make([]httpConnStats, conns)}
	request := []byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\n\r\n")
	for i := range l.conns {
		l.wg.Go(func() { l.conns[i] = l.run(addr, cfg, request, deadline) })
	}
	return l
}

// measure starts the window.
func (l *httpLoad) measure() {
	l.start = time.Now()
	l.phase.Store(measuring)
}

// stop ends the window: each connection finishes the request it is in and stops.
func (l *httpLoad) stop() {
	l.phase.Store(finished)
	l.end = time.Now()
}

// wait waits for the connections to stop and gathers what they measured.
func (l *httpLoad) wait() httpLoadResult {
	l.wg.Wait()
	var out httpLoadResult
	var perConn [][]time.Duration
	for _, s := range l.conns {
		if s.err != nil && out.err == nil {
			out.err = s.err
		}
		perConn = append(perConn, s.latencies)
		out.answered += s.answered
		out.socketErrors += s.socketErrors
		out.non2xx += s.non2xx
		out.mismatches += s.mismatch
	}
	out.latencies = sortedLatencies(perConn)
	if !l.start.IsZero() {
		out.window = l.end.Sub(l.start)
	}
	out.conns = len(l.conns)
	return out
}

// httpLoadResult is what a bench client run measured.
type httpLoadResult struct {
	conns                            int
	window                           time.Duration
	latencies                        []time.Duration // sorted, one per request in the window
	answered                         int64
	socketErrors, non2xx, mismatches int64
	err                              error
}

func (r httpLoadResult) result() *HTTPResult {
	res := &HTTPResult{
		Client:       HTTPClientBench,
		Conns:        r.conns,
		Requests:     int64(len(r.latencies)),
		Seconds:      r.window.Seconds(),
		P50Micros:    Micros(Percentile(r.latencies, 50)),
		P99Micros:    Micros(Percentile(r.latencies, 99)),
		SocketErrors: r.socketErrors,
		Non2xx:       r.non2xx,
		Mismatches:   r.mismatches,
	}
	if res.Seconds > 0 {
		res.PerSecond = float64(res.Requests) / res.Seconds
	}
	return res
}

// run is one connection's loop until the phase is finished. A failed request counts as a
// socket error (an unreadable answer as a mismatch) and the connection is opened again, as wrk
// does; a failed connect ends the loop.
func (l *httpLoad) run(addr string, cfg *tls.Config, request []byte, deadline time.Time) httpConnStats {
	var s httpConnStats
	var c net.Conn
	var r *bufio.Reader
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	var body []byte
	for {
		before := l.phase.Load()
		if before == finished {
			return s
		}
		if c == nil {
			if c, s.err = net.DialTimeout("tcp", addr, dialTimeout); s.err != nil {
				return s
			}
			if cfg != nil {
				c = tls.Client(c, cfg) // the handshake runs inside the first request's write
			}
			if s.err = c.SetDeadline(deadline); s.err != nil {
				return s
			}
			r = bufio.NewReaderSize(c, 4096)
		}
		start := time.Now()
		status, keepAlive, err := get(c, r, request, &body)
		elapsed := time.Since(start)
		if err != nil {
			// An answer that is not HTTP is a wrong answer; anything else is the socket's.
			if errors.Is(err, ErrHTTPResponse) {
				s.mismatch++
			} else {
				s.socketErrors++
			}
			c.Close()
			c = nil
			continue
		}
		s.answered++
		switch {
		case status != 200:
			s.non2xx++
		case string(body) != helloWorld:
			s.mismatch++
		}
		if !keepAlive {
			c.Close()
			c = nil
		}
		if before == measuring && l.phase.Load() == measuring {
			s.latencies = append(s.latencies, elapsed)
		}
	}
}

// get sends one request and reads its answer: the status, the body into *body, and whether the
// connection may be used again.
func get(w io.Writer, r *bufio.Reader, request []byte, body *[]byte) (status int, keepAlive bool, err error) {
	if _, err := w.Write(request); err != nil {
		return 0, false, err
	}
	return readResponse(r, body)
}

// readResponse reads one HTTP/1.x answer that has a Content-Length (the only framing a
// helloworld needs; chunked answers are refused): the status line, the header fields, then the
// body into *body.
func readResponse(r *bufio.Reader, body *[]byte) (status int, keepAlive bool, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	proto, rest, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(" "))
	code, _, _ := bytes.Cut(rest, []byte(" "))
	if !bytes.HasPrefix(proto, []byte("HTTP/1.")) || len(code) != 3 {
		return 0, false, fmt.Errorf("status line %q: %w", line, ErrHTTPResponse)
	}
	if status, err = strconv.Atoi(string(code)); err != nil {
		return 0, false, fmt.Errorf("status line %q: %w", line, ErrHTTPResponse)
	}
	keepAlive = string(proto) != "HTTP/1.0"
	length := -1
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		field := bytes.TrimRight(line, "\r\n")
		if len(field) == 0 {
			break
		}
		name, value, ok := bytes.Cut(field, []byte(":"))
		if !ok {
			return 0, false, fmt.Errorf("header field %q: %w", field, ErrHTTPResponse)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.Atoi(string(value))
			if err != nil || n < 0 || n > maxBody {
				return 0, false, fmt.Errorf("Content-Length %q: %w", value, ErrHTTPResponse)
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, false, fmt.Errorf("Transfer-Encoding %q: the client reads Content-Length bodies only: %w", value, ErrHTTPResponse)
		case bytes.EqualFold(name, []byte("Connection")):
			switch {
			case bytes.EqualFold(value, []byte("close")):
				keepAlive = false
			case bytes.EqualFold(value, []byte("keep-alive")):
				keepAlive = true
			}
		}
	}
	if length < 0 {
		return 0, false, fmt.Errorf("no Content-Length: %w", ErrHTTPResponse)
	}
	if cap(*body) < length {
		*body = make([]byte, length)
	}
	*body = (*body)[:length]
	if _, err := io.ReadFull(r, *body); err != nil {
		return 0, false, err
	}
	return status, keepAlive, nil
}
