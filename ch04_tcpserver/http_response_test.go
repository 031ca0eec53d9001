// Tests of the response side: byte-exact responses, the helloworld application's answers, and
// that the helloworld response costs no allocation.

package tcpserver

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const textPlain = "text/plain; charset=UTF-8"

func TestAppendResponse(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		header    Header
		body      string
		keepAlive bool
		want      string
	}{
		{
			name: "hello, keep-alive", status: 200, header: Header{{"Content-Type", textPlain}}, body: "Hello, world", keepAlive: true,
			want: "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\nHello, world",
		},
		{
			name: "hello, close", status: 200, header: Header{{"Content-Type", textPlain}}, body: "Hello, world",
			want: "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 12\r\nConnection: close\r\n\r\nHello, world",
		},
		{
			name: "no header, no body", status: 404, keepAlive: true,
			want: "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n",
		},
		{
			name: "fields in the order given", status: 405, header: Header{{"Allow", "GET, HEAD"}, {"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}}, keepAlive: true,
			want: "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n",
		},
		{
			name: "status without a reason phrase", status: 299, body: "x",
			want: "HTTP/1.1 299 \r\nContent-Length: 1\r\nConnection: close\r\n\r\nx",
		},
		{
			name: "CR and LF in a field cannot split the response", status: 200, header: Header{{"X-Evil\r\n", "a\r\nSet-Cookie: b"}}, keepAlive: true,
			want: "HTTP/1.1 200 OK\r\nX-Evil  : a  Set-Cookie: b\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(AppendResponse(nil, tc.status, tc.header, []byte(tc.body), tc.keepAlive))
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// Responses are appended, so pipelined answers can share one write buffer.
func TestAppendResponseAppends(t *testing.T) {
	buf := AppendResponse(nil, 200, nil, []byte("a"), true)
	buf = AppendResponse(buf, 404, nil, nil, false)
	want := "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\na" +
		"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
	if string(buf) != want {
		t.Errorf("got  %q\nwant %q", buf, want)
	}
}

func TestAppendResponseHead(t *testing.T) {
	got := string(AppendResponseHead([]byte("|"), 200, Header{{"Content-Type", textPlain}}, 12, true))
	want := "|HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestAppendErrorResponse(t *testing.T) {
	for status, want := range map[int]string{
		400: "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 16\r\nConnection: close\r\n\r\n400: Bad Request",
		413: "HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 22\r\nConnection: close\r\n\r\n413: Content Too Large",
		431: "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 36\r\nConnection: close\r\n\r\n431: Request Header Fields Too Large",
		501: "HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 20\r\nConnection: close\r\n\r\n501: Not Implemented",
	} {
		if got := string(AppendErrorResponse(nil, status)); got != want {
			t.Errorf("AppendErrorResponse(%d):\ngot  %q\nwant %q", status, got, want)
		}
	}
}

func TestStatusText(t *testing.T) {
	for code, want := range map[int]string{
		200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 413: "Content Too Large",
		431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented", 299: "",
	} {
		if got := StatusText(code); got != want {
			t.Errorf("StatusText(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestHTTPDate(t *testing.T) {
	// RFC 9110's own example, given in a zone east of UTC to show the conversion.
	t0 := time.Date(1994, time.November, 6, 9, 49, 37, 0, time.FixedZone("CET", 3600))
	if got, want := HTTPDate(t0), "Sun, 06 Nov 1994 08:49:37 GMT"; got != want {
		t.Errorf("HTTPDate = %q, want %q", got, want)
	}
}

func mustParse(t testing.TB, head string) *Request {
	t.Helper()
	req, err := ParseRequestHead([]byte(head))
	if err != nil {
		t.Fatalf("ParseRequestHead(%q): %v", head, err)
	}
	return req
}

func TestHelloWorld(t *testing.T) {
	for _, tc := range []struct {
		head   string
		status int
		body   string
	}{
		{"GET / HTTP/1.1\r\nHost: h\r\n\r\n", 200, "Hello, world"},
		{"GET /?name=x HTTP/1.1\r\nHost: h\r\n\r\n", 200, "Hello, world"},
		{"GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 200, "Hello, world"},
		{"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", 200, "Hello, world"},
		{"GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n", 404, "404: Not Found"},
		{"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n", 405, "405: Method Not Allowed"},
		{"get / HTTP/1.1\r\nHost: h\r\n\r\n", 405, "405: Method Not Allowed"},
	} {
		status, contentType, body := HelloWorld(mustParse(t, tc.head))
		if status != tc.status || contentType != textPlain || string(body) != tc.body {
			t.Errorf("%q: got %d %q %q, want %d %q %q", tc.head, status, contentType, body, tc.status, textPlain, tc.body)
		}
	}
}

func TestAppendHelloWorld(t *testing.T) {
	for _, tc := range []struct {
		name, head, want string
	}{
		{
			"GET / keep-alive", "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\nHello, world",
		},
		{
			"GET / HTTP/1.0", "GET / HTTP/1.0\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 12\r\nConnection: close\r\n\r\nHello, world",
		},
		{
			"HEAD / has the length and no body", "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\n",
		},
		{
			"HEAD of a missing page", "HEAD /nope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 14\r\nConnection: close\r\n\r\n",
		},
		{
			"404", "GET /nope HTTP/1.1\r\nHost: h\r\n\r\n",
			"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 14\r\nConnection: keep-alive\r\n\r\n404: Not Found",
		},
		{
			"405 says what is allowed", "DELETE / HTTP/1.1\r\nHost: h\r\n\r\n",
			"HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=UTF-8\r\nAllow: GET, HEAD\r\nContent-Length: 23\r\nConnection: keep-alive\r\n\r\n405: Method Not Allowed",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(AppendHelloWorld(nil, mustParse(t, tc.head))); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// Go's HTTP client reads every helloworld answer, pipelined on one connection, as the server
// meant it: status, length, body (none for HEAD) and whether the connection stays open.
func TestHelloWorldReadByNetHTTP(t *testing.T) {
	heads := []string{
		"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: h\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	}
	var wire []byte
	for _, h := range heads {
		wire = AppendHelloWorld(wire, mustParse(t, h))
	}
	r := bufio.NewReader(strings.NewReader(string(wire)))
	for _, h := range heads {
		req := mustParse(t, h)
		resp, err := http.ReadResponse(r, &http.Request{Method: req.Method})
		if err != nil {
			t.Fatalf("%q: ReadResponse: %v", h, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%q: reading the body: %v", h, err)
		}
		status, _, wantBody := HelloWorld(req)
		if req.Method == "HEAD" {
			wantBody = nil
		}
		if resp.StatusCode != status || string(body) != string(wantBody) || resp.Close == req.KeepAlive {
			t.Errorf("%q: got %d %q close=%v, want %d %q close=%v",
				h, resp.StatusCode, body, resp.Close, status, wantBody, !req.KeepAlive)
		}
		if status == 200 && resp.ContentLength != 12 {
			t.Errorf("%q: Content-Length %d, want 12", h, resp.ContentLength)
		}
	}
	if rest, _ := io.ReadAll(r); len(rest) != 0 {
		t.Errorf("%d bytes left over after the last response: %q", len(rest), rest)
	}
}

// The server's hot path, answering GET / into a reused buffer, allocates nothing.
func TestAppendHelloWorldAllocatesNothing(t *testing.T) {
	req := mustParse(t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendHelloWorld(buf[:0], req)
	})
	if allocs != 0 {
		t.Errorf("AppendHelloWorld allocates %v times per call, want 0", allocs)
	}
}

func ExampleAppendHelloWorld() {
	req, err := ParseRequestHead([]byte("GET / HTTP/1.1\r\nHost: localhost:8888\r\n\r\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp := AppendHelloWorld(nil, req)
	fmt.Print(strings.ReplaceAll(string(resp), "\r\n", "\n"))
	// Output:
	// HTTP/1.1 200 OK
	// Content-Type: text/plain; charset=UTF-8
	// Content-Length: 12
	// Connection: keep-alive
	//
	// Hello, world
}

func BenchmarkAppendHelloWorld(b *testing.B) {
	req := mustParse(b, "GET / HTTP/1.1\r\nHost: 127.0.0.1:8888\r\n\r\n")
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendHelloWorld(buf[:0], req)
	}
}

// Parse and answer: the whole per-request cost of the helloworld server outside the socket.
func BenchmarkParseAndAppendHelloWorld(b *testing.B) {
	head := []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1:8888\r\n\r\n")
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		req, err := ParseRequestHead(head)
		if err != nil {
			b.Fatal(err)
		}
		buf = AppendHelloWorld(buf[:0], req)
	}
}
