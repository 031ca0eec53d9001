package nethttp

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// ioTimeout bounds every wait in these tests.
const ioTimeout = 10 * time.Second

// serve listens on a free loopback port and serves until the returned stop is called; stop
// checks that Serve then returned nil.
func serve(t *testing.T) (*Server, func()) {
	t.Helper()
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	return s, func() {
		t.Helper()
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve after Stop = %v, want nil", err)
			}
		case <-time.After(ioTimeout):
			t.Errorf("Serve did not return within %v of Stop", ioTimeout)
		}
	}
}

// exchange sends raw requests on one connection and reads one response per method given (the
// method says whether a body follows: none after HEAD).
func exchange(t *testing.T, addr string, raw string, methods ...string) []*http.Response {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var out []*http.Response
	for _, m := range methods {
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			t.Fatalf("response %d: %v", len(out)+1, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		resp.Header.Set("X-Test-Body", string(body))
		out = append(out, resp)
	}
	return out
}

func TestHelloWorld(t *testing.T) {
	testutil.CheckLeaks(t)
	s, stop := serve(t)
	defer stop()
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || strings.HasSuffix(s.Addr(), ":0") {
		t.Errorf("Addr = %q, want the real loopback port", s.Addr())
	}

	// Two requests on one keep-alive connection, then the other answers of the helloworld.
	raw := "GET / HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n" +
		"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n" +
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
	resps := exchange(t, s.Addr(), raw, "GET", "GET", "HEAD", "GET", "POST")
	for i, want := range []struct {
		status int
		body   string
	}{{200, "Hello, world"}, {200, "Hello, world"}, {200, ""}, {404, ""}, {405, ""}} {
		r := resps[i]
		if r.StatusCode != want.status {
			t.Errorf("response %d: status %d, want %d", i+1, r.StatusCode, want.status)
		}
		if want.body != "" && (r.Header.Get("X-Test-Body") != want.body || r.ContentLength != int64(len(want.body))) {
			t.Errorf("response %d: body %q with Content-Length %d, want %q", i+1, r.Header.Get("X-Test-Body"), r.ContentLength, want.body)
		}
		if r.Close {
			t.Errorf("response %d closes the connection; HTTP/1.1 keeps it alive", i+1)
		}
	}
	if got := resps[2].Header.Get("X-Test-Body"); got != "" {
		t.Errorf("HEAD got a body %q", got)
	}
}

// Connection: close is honoured: the answer says so and the server closes.
func TestConnectionClose(t *testing.T) {
	testutil.CheckLeaks(t)
	s, stop := serve(t)
	defer stop()
	c, err := net.DialTimeout("tcp", s.Addr(), ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioTimeout))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	all, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading until the server closes: %v", err)
	}
	if !strings.HasSuffix(string(all), "\r\n\r\nHello, world") || !strings.Contains(string(all), "Connection: close") {
		t.Errorf("answer = %q", all)
	}
}

// Stop closes an idle keep-alive connection, Serve returns nil, and a second Stop is harmless.
func TestStopClosesConnections(t *testing.T) {
	testutil.CheckLeaks(t)
	s, stop := serve(t)
	c, err := net.DialTimeout("tcp", s.Addr(), ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioTimeout))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)

	stop()
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) && !isReset(err) {
		t.Errorf("idle connection after Stop: read %v, want EOF", err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := net.DialTimeout("tcp", s.Addr(), ioTimeout); err == nil {
		t.Errorf("the listener still accepts after Stop")
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset")
}

// Stop before Serve: Serve then returns nil at once without serving.
func TestStopBeforeServe(t *testing.T) {
	testutil.CheckLeaks(t)
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after Stop = %v, want nil", err)
		}
	case <-time.After(ioTimeout):
		t.Fatal("Serve after Stop did not return")
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// Stop from several goroutines at once: each returns nil, and Serve returns nil once.
func TestConcurrentStop(t *testing.T) {
	testutil.CheckLeaks(t)
	s, stop := serve(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- s.Stop() }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("Stop: %v", err)
		}
	}
	stop()
}

func TestListenError(t *testing.T) {
	if _, err := Listen("127.0.0.1:notaport"); err == nil {
		t.Error("Listen with a bad port succeeded")
	}
}
