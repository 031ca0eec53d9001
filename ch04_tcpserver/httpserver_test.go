// HTTPServer, with Go's net/http client where it can say what is wanted and a raw connection
// where the test must control the bytes (pipelining, malformed and oversized heads): the
// helloworld answers, keep-alive, Connection: close, HTTP/1.0, the refusals (400, 413, 431,
// 501), bodies and 100-continue. The catalog's ch04/http is tested in internal/catalog and, with
// real clients, in http_clients_test.go.

package tcpserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// httpTest is an HTTPServer on 127.0.0.1 on a running loop, and a net/http client of its own
// whose idle connections are closed when the test ends.
type httpTest struct {
	t      *testing.T
	loop   *ioloop.IOLoop
	logs   *testutil.LogBuffer
	srv    *HTTPServer
	addr   string
	client *http.Client
}

func newHTTPTest(t *testing.T, app Application, opts ...ServerOption) *httpTest {
	t.Helper()
	ht := &httpTest{t: t}
	ht.loop, ht.logs = newStreamLoop(t)
	ht.srv = NewHTTPServer(app, append([]ServerOption{WithIOLoop(ht.loop), WithLogger(ht.logs.Logger())}, opts...)...)
	if err := ht.srv.Listen(0, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	ht.addr = ht.srv.Addrs()[0]
	acceptTestRun(t, ht.loop)
	transport := &http.Transport{MaxConnsPerHost: 1, ExpectContinueTimeout: 5 * time.Second}
	ht.client = &http.Client{Transport: transport, Timeout: 10 * time.Second}
	t.Cleanup(func() {
		transport.CloseIdleConnections()
		acceptTestOnLoop(t, ht.loop, func() {
			ht.srv.Stop()
			ht.srv.CloseAllConnections()
		})
	})
	return ht
}

func (ht *httpTest) url(path string) string { return "http://" + ht.addr + path }

// do sends req and returns the response with its body read.
func (ht *httpTest) do(req *http.Request) (*http.Response, string) {
	ht.t.Helper()
	resp, err := ht.client.Do(req)
	if err != nil {
		ht.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		ht.t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return resp, string(body)
}

func (ht *httpTest) request(method, path string, body io.Reader) *http.Request {
	ht.t.Helper()
	req, err := http.NewRequest(method, ht.url(path), body)
	if err != nil {
		ht.t.Fatal(err)
	}
	return req
}

// openConns is how many connections the server has open, read on the loop.
func (ht *httpTest) openConns() int {
	var n int
	acceptTestOnLoop(ht.t, ht.loop, func() { n = len(ht.srv.conns) })
	return n
}

// rawHTTP is a connection on which the test writes bytes and reads responses.
type rawHTTP struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func (ht *httpTest) raw() *rawHTTP {
	c := serverTestDial(ht.t, "tcp", ht.addr)
	return &rawHTTP{t: ht.t, c: c, r: bufio.NewReader(c)}
}

func (rc *rawHTTP) send(s string) {
	rc.t.Helper()
	if _, err := rc.c.Write([]byte(s)); err != nil {
		rc.t.Fatalf("write: %v", err)
	}
}

// response reads one response to a request with method, and its body.
func (rc *rawHTTP) response(method string) (*http.Response, string) {
	rc.t.Helper()
	resp, err := http.ReadResponse(rc.r, &http.Request{Method: method})
	if err != nil {
		rc.t.Fatalf("reading a response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatalf("reading a response body: %v", err)
	}
	return resp, string(body)
}

// expectClosed fails the test unless the server has closed the connection after what was read.
func (rc *rawHTTP) expectClosed() {
	rc.t.Helper()
	rest, err := io.ReadAll(rc.r)
	var ne net.Error
	if len(rest) > 0 || errors.As(err, &ne) && ne.Timeout() {
		rc.t.Fatalf("after the response: %q, %v; want the server to close", rest, err)
	}
}

// checkResponse compares a response's status, body and the fields the tests care about.
func checkResponse(t *testing.T, resp *http.Response, body string, status int, wantBody string) {
	t.Helper()
	if resp.StatusCode != status || body != wantBody {
		t.Errorf("got %s %q, want %d %q", resp.Status, body, status, wantBody)
	}
	if want := int64(len(wantBody)); resp.Request == nil || resp.Request.Method != "HEAD" {
		if resp.ContentLength != want {
			t.Errorf("Content-Length %d, want %d", resp.ContentLength, want)
		}
	}
}

// GET / is Tornado's helloworld: 200, "Hello, world", with its length and type.
func TestHTTPServerHelloWorld(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	resp, body := ht.do(ht.request("GET", "/", nil))
	checkResponse(t, resp, body, 200, "Hello, world")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want text/plain", ct)
	}
	if resp.Close {
		t.Error("an HTTP/1.1 response closes the connection; want keep-alive")
	}
}

// Ten requests from one client reuse one connection: the client says so (httptrace) and the
// server has one open.
func TestHTTPServerKeepAlive(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	reused := 0
	for i := range 10 {
		trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
			if info.Reused {
				reused++
			}
		}}
		req := ht.request("GET", "/", nil).WithContext(httptrace.WithClientTrace(context.Background(), trace))
		resp, body := ht.do(req)
		checkResponse(t, resp, body, 200, "Hello, world")
		if i == 0 {
			if n := ht.openConns(); n != 1 {
				t.Errorf("%d connections open on the server, want 1", n)
			}
		}
	}
	if reused != 9 {
		t.Errorf("%d of the 9 later requests reused the connection", reused)
	}
	if n := ht.openConns(); n != 1 {
		t.Errorf("%d connections open on the server after 10 requests, want 1", n)
	}
}

// Connection: close is answered with Connection: close, and the server closes the connection.
func TestHTTPServerConnectionClose(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	req := ht.request("GET", "/", nil)
	req.Close = true
	resp, body := ht.do(req)
	checkResponse(t, resp, body, 200, "Hello, world")
	if !resp.Close { // net/http reads "Connection: close" into Close and drops the field
		t.Error("the answer does not say Connection: close")
	}
	acceptTestWait(t, ht.loop, "the connection to close", func() bool { return len(ht.srv.conns) == 0 })

	rc := ht.raw()
	rc.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	resp, body = rc.response("GET")
	checkResponse(t, resp, body, 200, "Hello, world")
	rc.expectClosed()
}

// HTTP/1.0 closes after the answer unless the client asks for keep-alive (as ab -k does), and
// then the answer says keep-alive and the connection stays.
func TestHTTPServerHTTP10(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	rc := ht.raw()
	rc.send("GET / HTTP/1.0\r\n\r\n")
	resp, body := rc.response("GET")
	checkResponse(t, resp, body, 200, "Hello, world")
	if !resp.Close {
		t.Error("HTTP/1.0: the answer does not say Connection: close")
	}
	rc.expectClosed()

	rc = ht.raw()
	for range 2 {
		rc.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		resp, body = rc.response("GET")
		checkResponse(t, resp, body, 200, "Hello, world")
		if resp.Header.Get("Connection") != "keep-alive" {
			t.Errorf("HTTP/1.0 keep-alive: Connection %q, want keep-alive", resp.Header.Get("Connection"))
		}
	}
}

// Pipelined requests, written at once, are answered in order: a GET, a 404, a HEAD (head only),
// a POST with a body the next head follows directly, and a last GET that closes.
func TestHTTPServerPipelining(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	rc := ht.raw()
	rc.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n" +
		"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" +
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
		"GET /?last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	want := []struct {
		method string
		status int
		body   string
	}{
		{"GET", 200, "Hello, world"},
		{"GET", 404, "404: Not Found"},
		{"HEAD", 200, ""},
		{"POST", 405, "405: Method Not Allowed"},
		{"GET", 200, "Hello, world"},
	}
	for i, w := range want {
		resp, body := rc.response(w.method)
		if resp.StatusCode != w.status || body != w.body {
			t.Errorf("response %d: %s %q, want %d %q", i, resp.Status, body, w.status, w.body)
		}
	}
	rc.expectClosed()
}

// HEAD / carries the length of the body it does not send; other paths are 404 and other
// methods on / are 405, as Tornado's router and RequestHandler answer (Tornado sends no Allow
// header; ours does, as RFC 9110 asks).
func TestHTTPServerHeadNotFoundMethodNotAllowed(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	resp, body := ht.do(ht.request("HEAD", "/", nil))
	if resp.StatusCode != 200 || body != "" || resp.ContentLength != int64(len("Hello, world")) {
		t.Errorf("HEAD /: %s, Content-Length %d, body %q", resp.Status, resp.ContentLength, body)
	}
	resp, body = ht.do(ht.request("GET", "/nowhere", nil))
	checkResponse(t, resp, body, 404, "404: Not Found")
	resp, body = ht.do(ht.request("POST", "/", strings.NewReader("x=1")))
	checkResponse(t, resp, body, 405, "405: Method Not Allowed")
	if allow := resp.Header.Get("Allow"); allow != "GET, HEAD" {
		t.Errorf("405 with Allow %q, want %q", allow, "GET, HEAD")
	}
}

// Malformed heads are answered 400 and closed; the refusal is logged at INFO with the address.
func TestHTTPServerMalformed(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	for _, head := range []string{
		"GARBAGE\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n", // no Host
		"GET / HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n",
		"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
	} {
		rc := ht.raw()
		rc.send(head)
		resp, body := rc.response("GET")
		if resp.StatusCode != 400 || body != "400: Bad Request" || !resp.Close {
			t.Errorf("%q: %s %q (close %v), want 400 and close", head, resp.Status, body, resp.Close)
		}
		rc.expectClosed()
	}
	if !strings.Contains(ht.logs.String(), "refusing an HTTP request") {
		t.Errorf("the refusals were not logged:\n%s", ht.logs)
	}
}

// A head over 64 KiB is answered 431 and closed, at once, without waiting for its end; a head
// of exactly 64 KiB is served.
func TestHTTPServerHeadTooLarge(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	start := "GET / HTTP/1.1\r\nHost: x\r\nX-Fill: "
	rc := ht.raw()
	rc.send(start + strings.Repeat("a", MaxHeadSize)) // no end of head: the server must not wait
	resp, body := rc.response("GET")
	if resp.StatusCode != 431 || body != "431: Request Header Fields Too Large" || !resp.Close {
		t.Errorf("a head over 64 KiB: %s %q, want 431 and close", resp.Status, body)
	}
	rc.expectClosed()

	rc = ht.raw()
	rc.send(start + strings.Repeat("b", MaxHeadSize-len(start)-len("\r\n\r\n")) + "\r\n\r\n")
	resp, body = rc.response("GET")
	checkResponse(t, resp, body, 200, "Hello, world")
}

// A Content-Length over MaxBodySize is answered 413 before a byte of the body is read: a
// net/http client that waits for 100-continue sends none. Raw, the same.
func TestHTTPServerBodyTooLarge(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	big := bytes.Repeat([]byte("x"), MaxBodySize+1)
	req := ht.request("POST", "/", bytes.NewReader(big))
	req.Header.Set("Expect", "100-continue")
	resp, body := ht.do(req)
	checkResponse(t, resp, body, 413, "413: Content Too Large")

	rc := ht.raw()
	rc.send(fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", MaxBodySize+1))
	resp, body = rc.response("POST")
	if resp.StatusCode != 413 || !resp.Close {
		t.Errorf("raw: %s %q (close %v), want 413 and close", resp.Status, body, resp.Close)
	}
	rc.expectClosed()
}

// Transfer-Encoding (chunked bodies) is not implemented: 501 and close.
func TestHTTPServerTransferEncoding(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	rc := ht.raw()
	rc.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
	resp, body := rc.response("POST")
	if resp.StatusCode != 501 || body != "501: Not Implemented" || !resp.Close {
		t.Errorf("%s %q (close %v), want 501 and close", resp.Status, body, resp.Close)
	}
	rc.expectClosed()
}

// An Application gets the body, framed by Content-Length, whether the client sent it at once or
// waited for 100 Continue, and its answer is framed for it (no body for HEAD).
func TestHTTPServerApplicationBody(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, func(req *Request) (int, string, []byte) {
		return 200, "text/plain", []byte(fmt.Sprintf("%s %s %d bytes, ends %q", req.Method, req.Path, len(req.Body), req.Body[max(0, len(req.Body)-3):]))
	})
	body := bytes.Repeat([]byte("0123456789"), 50_000)
	resp, got := ht.do(ht.request("PUT", "/upload", bytes.NewReader(body)))
	checkResponse(t, resp, got, 200, `PUT /upload 500000 bytes, ends "789"`)

	req := ht.request("POST", "/form", strings.NewReader("a=1&b=2"))
	req.Header.Set("Expect", "100-continue")
	resp, got = ht.do(req)
	checkResponse(t, resp, got, 200, `POST /form 7 bytes, ends "b=2"`)

	rc := ht.raw()
	rc.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
	line, err := rc.r.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("before the body: %q, %v; want the interim 100", line, err)
	}
	if blank, _ := rc.r.ReadString('\n'); blank != "\r\n" {
		t.Fatalf("the 100 response does not end with a blank line: %q", blank)
	}
	rc.send("abc")
	resp, got = rc.response("POST")
	checkResponse(t, resp, got, 200, `POST / 3 bytes, ends "abc"`)

	resp, got = ht.do(ht.request("HEAD", "/", nil))
	if resp.StatusCode != 200 || got != "" || resp.ContentLength != int64(len(`HEAD / 0 bytes, ends ""`)) {
		t.Errorf("HEAD: %s, Content-Length %d, body %q", resp.Status, resp.ContentLength, got)
	}
}

// A client that half-closes after its request still gets the answer, then the server closes.
func TestHTTPServerHalfClose(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	rc := ht.raw()
	rc.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if err := rc.c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		resp, body := rc.response("GET")
		checkResponse(t, resp, body, 200, "Hello, world")
	}
	rc.expectClosed()
	acceptTestWait(t, ht.loop, "the connection to close", func() bool { return len(ht.srv.conns) == 0 })
}
