package bench

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

func TestReadResponse(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		status    int
		keepAlive bool
		body      string
		err       error // nil: no error; ErrHTTPResponse: wraps it
	}{
		{"helloworld", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nHello, world", 200, true, helloWorld, nil},
		{"bare newlines, no reason", "HTTP/1.1 404\nContent-Length: 3\n\nnah", 404, true, "nah", nil},
		{"field name in any case", "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi", 200, true, "hi", nil},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 200, false, "", nil},
		{"HTTP/1.0 closes", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 200, false, "", nil},
		{"HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", 200, true, "", nil},
		{"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", 0, false, "", ErrHTTPResponse},
		{"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", 0, false, "", ErrHTTPResponse},
		{"no content length", "HTTP/1.1 200 OK\r\n\r\nHello", 0, false, "", ErrHTTPResponse},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nc\r\nHello, world\r\n0\r\n\r\n", 0, false, "", ErrHTTPResponse},
		{"negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, false, "", ErrHTTPResponse},
		{"field without colon", "HTTP/1.1 200 OK\r\nnonsense\r\n\r\n", 0, false, "", ErrHTTPResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			status, keepAlive, err := readResponse(bufio.NewReader(strings.NewReader(tc.raw)), &body)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || status != tc.status || keepAlive != tc.keepAlive || string(body) != tc.body {
				t.Errorf("= %d, keep-alive %v, body %q, %v; want %d, %v, %q", status, keepAlive, body, err, tc.status, tc.keepAlive, tc.body)
			}
		})
	}
	// A body cut short is a socket's failure, not an HTTP one.
	var body []byte
	if _, _, err := readResponse(bufio.NewReader(strings.NewReader("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nHello")), &body); err == nil || errors.Is(err, ErrHTTPResponse) {
		t.Errorf("short body: %v, want an unexpected EOF", err)
	}
}

// countingServer is an in-process net/http server that answers with answer and counts requests.
func countingServer(t *testing.T, answer http.HandlerFunc) (addr string, served *atomic.Int64) {
	t.Helper()
	served = new(atomic.Int64)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		answer(w, r)
	})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return ln.Addr().String(), served
}

// runLoad runs the bench client for a short warm-up and window.
func runLoad(t *testing.T, addr string, conns int) httpLoadResult {
	t.Helper()
	l := startHTTPLoad(addr, nil, conns, time.Now().Add(20*time.Second))
	time.Sleep(50 * time.Millisecond)
	l.measure()
	time.Sleep(200 * time.Millisecond)
	l.stop()
	return l.wait()
}

func hello(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(helloWorld)) }

// Every request the client made was answered once, and counted: the server's count and the
// client's agree exactly, and the window's requests are among them.
func TestHTTPLoadCounts(t *testing.T) {
	testutil.CheckLeaks(t)
	addr, served := countingServer(t, hello)
	got := runLoad(t, addr, 4)
	if got.err != nil {
		t.Fatal(got.err)
	}
	if got.answered != served.Load() {
		t.Errorf("client counted %d answers, server served %d requests", got.answered, served.Load())
	}
	n := int64(len(got.latencies))
	if n == 0 || n > got.answered || got.socketErrors+got.non2xx+got.mismatches != 0 {
		t.Errorf("%d in the window of %d answered; %d socket errors, %d non-2xx, %d mismatches", n, got.answered, got.socketErrors, got.non2xx, got.mismatches)
	}
	res := got.result()
	if res.Client != HTTPClientBench || res.Conns != 4 || res.Requests != n || res.Seconds < 0.2 || res.PerSecond <= 0 || res.P50Micros <= 0 || res.P99Micros < res.P50Micros {
		t.Errorf("result %+v", res)
	}
}

// A server that answers wrongly is caught: another body, another status, or no HTTP at all.
func TestHTTPLoadWrongAnswers(t *testing.T) {
	testutil.CheckLeaks(t)
	var n atomic.Int64
	addr, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 4 {
		case 0:
			w.Write([]byte("Hello, World!"))
		case 1:
			w.WriteHeader(http.StatusInternalServerError)
		default:
			hello(w, r)
		}
	})
	got := runLoad(t, addr, 2)
	if got.err != nil {
		t.Fatal(got.err)
	}
	if got.mismatches == 0 || got.non2xx == 0 || got.mismatches+got.non2xx > got.answered {
		t.Errorf("%d mismatches and %d non-2xx of %d answered; want a quarter of each", got.mismatches, got.non2xx, got.answered)
	}
	if got.socketErrors != 0 {
		t.Errorf("%d socket errors from a server that answered everything", got.socketErrors)
	}
}

// rawServer runs handle on every connection accepted on a loopback port until the test ends.
func rawServer(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			handle(c)
			c.Close()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// A server that closes each connection after one answer, without saying so, costs a socket
// error on the next request; one that speaks no HTTP is a mismatch per answer. Neither stops
// the client: it connects again.
func TestHTTPLoadBrokenServers(t *testing.T) {
	testutil.CheckLeaks(t)
	once := rawServer(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
			c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n" + helloWorld))
		}
	})
	got := runLoad(t, once, 2)
	if got.err != nil || got.socketErrors == 0 || got.answered == 0 || got.mismatches+got.non2xx != 0 {
		t.Errorf("one answer per connection: %d answered, %d socket errors, %d mismatches, %d non-2xx, %v", got.answered, got.socketErrors, got.mismatches, got.non2xx, got.err)
	}

	notHTTP := rawServer(t, func(c net.Conn) { c.Write([]byte("SSH-2.0-nope\r\n\r\n")) })
	got = runLoad(t, notHTTP, 2)
	if got.err != nil || got.mismatches == 0 || got.answered != 0 {
		t.Errorf("non-HTTP server: %d mismatches, %d answered, %v", got.mismatches, got.answered, got.err)
	}
}

// A server that is not there ends the run with the connect's error.
func TestHTTPLoadRefused(t *testing.T) {
	testutil.CheckLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if got := runLoad(t, addr, 2); got.err == nil {
		t.Errorf("no error from a refused connection")
	}
}
