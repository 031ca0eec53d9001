// HTTPServer's timeouts (header, idle, body) with short limits, and the line endings and empty
// lines real clients send: bare LF, and CRLF before a request line.

package tcpserver

import (
	"io"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// trickle sends s one byte every interval from its own goroutine, until it has all gone or the
// server has closed the connection; the returned channel is closed when it stops.
func (rc *rawHTTP) trickle(s string, interval time.Duration) <-chan struct{} {
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for i := range len(s) {
			if _, err := rc.c.Write([]byte{s[i]}); err != nil {
				return
			}
			<-tick.C
		}
	}()
	return stopped
}

// closedAfter waits for the server to close rc, which must send nothing first, and returns how
// long after since that was. A test passes a time taken before the server could have set the
// deadline (before the dial, or before the request that starts it), so the wait it measures is
// never shorter than the server's.
func (rc *rawHTTP) closedAfter(since time.Time) time.Duration {
	rc.t.Helper()
	rc.expectClosed()
	return time.Since(since)
}

// closing is closedAfter from another goroutine: it reports what came before the end, the
// error that ended the read (nil for EOF) and when.
func (rc *rawHTTP) closing(since time.Time) <-chan closeSeen {
	seen := make(chan closeSeen, 1)
	go func() {
		rest, err := io.ReadAll(rc.r)
		seen <- closeSeen{string(rest), err, time.Since(since)}
	}()
	return seen
}

type closeSeen struct {
	rest  string
	err   error
	after time.Duration
}

// A head sent a byte at a time is cut off at the header timeout, counted from the accept,
// without an answer, and logged; another client is served meanwhile.
func TestHTTPServerHeaderTimeout(t *testing.T) {
	testutil.CheckLeaks(t)
	const limit = 150 * time.Millisecond
	ht := newHTTPTest(t, nil, WithHeaderTimeout(limit))
	start := time.Now()
	slow := ht.raw()
	sent := slow.trickle("GET / HTTP/1.1\r\nHost: a slow client\r\nX-Pad: "+strings.Repeat("x", 200), 10*time.Millisecond)
	resp, body := ht.do(ht.request("GET", "/", nil))
	checkResponse(t, resp, body, 200, "Hello, world")
	if after := slow.closedAfter(start); after < limit {
		t.Errorf("closed %v after connecting, before the %v header timeout", after, limit)
	}
	<-sent
	if !strings.Contains(ht.logs.String(), "request head took too long") {
		t.Errorf("the log does not say why the connection closed:\n%s", ht.logs)
	}
}

// A client that connects and sends nothing is closed at the header timeout too.
func TestHTTPServerHeaderTimeoutSilentClient(t *testing.T) {
	testutil.CheckLeaks(t)
	const limit = 100 * time.Millisecond
	ht := newHTTPTest(t, nil, WithHeaderTimeout(limit))
	start := time.Now()
	if after := ht.raw().closedAfter(start); after < limit {
		t.Errorf("closed %v after connecting, before the %v header timeout", after, limit)
	}
}

// A keep-alive connection is closed once idle for the idle timeout after its answer, quietly
// and with EOF; one that keeps sending requests outlives it many times.
func TestHTTPServerIdleTimeout(t *testing.T) {
	testutil.CheckLeaks(t)
	const limit = 100 * time.Millisecond
	ht := newHTTPTest(t, nil, WithIdleTimeout(limit))
	quiet, busy := ht.raw(), ht.raw()
	sent := time.Now()
	quiet.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body := quiet.response("GET")
	checkResponse(t, resp, body, 200, "Hello, world")
	closed := quiet.closing(sent)

	tick := time.NewTicker(limit / 4)
	defer tick.Stop()
	for start := time.Now(); time.Since(start) < 4*limit; <-tick.C {
		busy.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, body := busy.response("GET")
		checkResponse(t, resp, body, 200, "Hello, world")
	}
	if seen := <-closed; seen.rest != "" || seen.err != nil || seen.after < limit {
		t.Errorf("the idle connection ended with %q, %v, %v after its request; want EOF after the %v idle timeout",
			seen.rest, seen.err, seen.after, limit)
	}
	if logs := ht.logs.String(); logs != "" {
		t.Errorf("an idle connection's close was logged:\n%s", logs)
	}
}

// A keep-alive request begun while idle gets the header timeout from the moment the idle
// deadline finds it under way: it may finish within that, and is cut off after it.
func TestHTTPServerHeadBegunWhileIdle(t *testing.T) {
	testutil.CheckLeaks(t)
	const idle, header = 50 * time.Millisecond, 400 * time.Millisecond
	ht := newHTTPTest(t, nil, WithIdleTimeout(idle), WithHeaderTimeout(header))
	finishes, stalls := ht.raw(), ht.raw()
	sent := time.Now()
	for _, rc := range []*rawHTTP{finishes, stalls} {
		rc.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		rc.response("GET")
		rc.send("GET / HTTP/1.1\r\n")
	}
	// The rest of one head comes past the idle timeout, well within the header timeout that
	// followed it: that request is answered.
	<-time.After(idle + header/2)
	finishes.send("Host: x\r\n\r\n")
	resp, body := finishes.response("GET")
	checkResponse(t, resp, body, 200, "Hello, world")
	if after := stalls.closedAfter(sent); after < idle+header {
		t.Errorf("a head begun while idle was cut off %v after the previous request, before idle %v + header %v",
			after, idle, header)
	}
}

// A body that does not all come within the body timeout closes the connection, logged.
func TestHTTPServerBodyTimeout(t *testing.T) {
	testutil.CheckLeaks(t)
	const limit = 100 * time.Millisecond
	ht := newHTTPTest(t, nil, WithBodyTimeout(limit))
	rc := ht.raw()
	sent := time.Now()
	rc.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
	if after := rc.closedAfter(sent); after < limit {
		t.Errorf("closed %v after the head, before the %v body timeout", after, limit)
	}
	if !strings.Contains(ht.logs.String(), "request body took too long") {
		t.Errorf("the log does not say why the connection closed:\n%s", ht.logs)
	}
}

// The defaults are nginx's; each option replaces one; zero turns it off, and with all three off
// a connection has no deadline at all.
func TestHTTPServerTimeoutOptions(t *testing.T) {
	want := timeouts{header: 60 * time.Second, idle: 75 * time.Second, body: 60 * time.Second}
	if got := NewHTTPServer(nil).timeouts; got != want {
		t.Errorf("defaults %+v, want header 60s, idle 75s, body 60s", got)
	}
	got := NewHTTPServer(nil, WithIdleTimeout(5*time.Second), WithBodyTimeout(-1)).timeouts
	if got != (timeouts{header: DefaultHeaderTimeout, idle: 5 * time.Second}) {
		t.Errorf("with idle 5s and body -1: %+v", got)
	}
	if got := NewEchoServer(WithHeaderTimeout(time.Second)).idle; got != 0 {
		t.Errorf("an EchoServer's idle timeout %v by default, want none", got)
	}

	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil, WithHeaderTimeout(0), WithIdleTimeout(0), WithBodyTimeout(0))
	ht.do(ht.request("GET", "/", nil))
	acceptTestOnLoop(t, ht.loop, func() {
		for c := range ht.srv.conns {
			if c.deadline != nil {
				t.Error("a connection has a deadline with every timeout off")
			}
		}
	})
}

// RFC 9112 §2.2: lines may end in a bare LF, and empty lines before a request line are skipped,
// however they end and wherever they fall in what the client sent; a lone CR is no line ending.
func TestHTTPServerLineEndings(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	rc := ht.raw()
	for _, req := range []string{
		"GET / HTTP/1.1\nHost: x\n\n",
		"GET / HTTP/1.1\r\nHost: x\n\r\n",
		"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"\n\r\n\r\n\nGET / HTTP/1.1\nHost: x\r\n\n",
	} {
		rc.send(req)
		resp, body := rc.response("GET")
		checkResponse(t, resp, body, 200, "Hello, world")
	}
	// An old client's CRLF after a POST body comes before the next request line. (The
	// helloworld answers POST with 405, and keeps the connection.)
	rc.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc\r\n")
	if resp, _ := rc.response("POST"); resp.StatusCode != 405 {
		t.Errorf("POST: %s, want 405", resp.Status)
	}
	rc.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body := rc.response("GET")
	checkResponse(t, resp, body, 200, "Hello, world")

	cr := ht.raw()
	cr.send("\rGET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, _ = cr.response("GET")
	if resp.StatusCode != 400 {
		t.Errorf("a lone CR before the request line: %s, want 400", resp.Status)
	}
}
