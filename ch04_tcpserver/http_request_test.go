// Tests of ParseRequestHead: what a valid head parses to, which rule rejects each bad one and
// with which status, and that net/http reads the valid heads the same way.

package tcpserver

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// manyFields is a head with 50 header fields, the last one X-Field-49.
var manyFields = func() string {
	var b strings.Builder
	b.WriteString("GET / HTTP/1.1\r\nHost: h\r\n")
	for i := range 50 {
		fmt.Fprintf(&b, "X-Field-%d: value %d\r\n", i, i)
	}
	b.WriteString("\r\n")
	return b.String()
}()

var validHeads = []struct {
	name string
	head string
	want Request
}{
	{
		name: "GET with query",
		head: "GET /search?q=tornado&page=2 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\n\r\n",
		want: Request{
			Method: "GET", Target: "/search?q=tornado&page=2", Path: "/search", Query: "q=tornado&page=2",
			Version: "HTTP/1.1", Header: Header{{"Host", "example.com"}, {"User-Agent", "curl/8.5.0"}},
			KeepAlive: true,
		},
	},
	{
		name: "empty query",
		head: "GET /? HTTP/1.1\r\nHost: h\r\n\r\n",
		want: Request{Method: "GET", Target: "/?", Path: "/", Version: "HTTP/1.1", Header: Header{{"Host", "h"}}, KeepAlive: true},
	},
	{
		name: "HTTP/1.0 closes by default and needs no Host",
		head: "GET / HTTP/1.0\r\n\r\n",
		want: Request{Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.0"},
	},
	{
		name: "HTTP/1.0 keep-alive, any case",
		head: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
		want: Request{Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.0", Header: Header{{"Connection", "Keep-Alive"}}, KeepAlive: true},
	},
	{
		name: "HTTP/1.0 keep-alive in a token list",
		head: "GET / HTTP/1.0\r\nConnection: foo ,keep-alive\r\n\r\n",
		want: Request{Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.0", Header: Header{{"Connection", "foo ,keep-alive"}}, KeepAlive: true},
	},
	{
		name: "HTTP/1.0 close wins over keep-alive",
		head: "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
		want: Request{Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.0", Header: Header{{"Connection", "keep-alive, close"}}},
	},
	{
		name: "HTTP/1.1 Connection close",
		head: "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		want: Request{Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.1", Header: Header{{"Host", "h"}, {"Connection", "close"}}},
	},
	{
		name: "HTTP/1.1 close in a second Connection field, upper case",
		head: "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nconnection: TE, CLOSE\r\n\r\n",
		want: Request{
			Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.1",
			Header: Header{{"Host", "h"}, {"Connection", "Upgrade"}, {"connection", "TE, CLOSE"}},
		},
	},
	{
		name: "HTTP/1.1 a token that only contains close does not close",
		head: "GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n",
		want: Request{Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.1", Header: Header{{"Host", "h"}, {"Connection", "closed"}}, KeepAlive: true},
	},
	{
		name: "absolute-form",
		head: "GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
		want: Request{
			Method: "GET", Target: "http://example.com:8080/a/b?c=d", Path: "/a/b", Query: "c=d",
			Version: "HTTP/1.1", Header: Header{{"Host", "example.com:8080"}}, KeepAlive: true,
		},
	},
	{
		name: "absolute-form with an empty path, scheme in capitals",
		head: "GET HTTPS://example.com?x HTTP/1.1\r\nHost: example.com\r\n\r\n",
		want: Request{
			Method: "GET", Target: "HTTPS://example.com?x", Path: "/", Query: "x",
			Version: "HTTP/1.1", Header: Header{{"Host", "example.com"}}, KeepAlive: true,
		},
	},
	{
		name: "asterisk-form",
		head: "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
		want: Request{Method: "OPTIONS", Target: "*", Path: "*", Version: "HTTP/1.1", Header: Header{{"Host", "h"}}, KeepAlive: true},
	},
	{
		name: "POST with a body length, field names in any case",
		head: "POST /form HTTP/1.1\r\nhost: h\r\ncontent-LENGTH: 12\r\n\r\n",
		want: Request{
			Method: "POST", Target: "/form", Path: "/form", Version: "HTTP/1.1",
			Header: Header{{"host", "h"}, {"content-LENGTH", "12"}}, ContentLength: 12, KeepAlive: true,
		},
	},
	{
		name: "repeated identical Content-Length with leading zeros",
		head: "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 07\r\nContent-Length: 07\r\n\r\n",
		want: Request{
			Method: "PUT", Target: "/x", Path: "/x", Version: "HTTP/1.1",
			Header: Header{{"Host", "h"}, {"Content-Length", "07"}, {"Content-Length", "07"}}, ContentLength: 7, KeepAlive: true,
		},
	},
	{
		name: "repeated fields kept in order",
		head: "GET / HTTP/1.1\r\nHost: h\r\nAccept: text/html\r\nX-Other: 1\r\naccept: text/plain\r\n\r\n",
		want: Request{
			Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.1",
			Header:    Header{{"Host", "h"}, {"Accept", "text/html"}, {"X-Other", "1"}, {"accept", "text/plain"}},
			KeepAlive: true,
		},
	},
	{
		name: "optional whitespace trimmed, inner whitespace and tabs kept, empty value",
		head: "GET / HTTP/1.1\r\nHost:h\r\nX-Spaced: \t a \t b \t\r\nX-Empty:\r\nX-Blank:   \r\n\r\n",
		want: Request{
			Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.1",
			Header:    Header{{"Host", "h"}, {"X-Spaced", "a \t b"}, {"X-Empty", ""}, {"X-Blank", ""}},
			KeepAlive: true,
		},
	},
	{
		name: "obs-text in a value",
		head: "GET / HTTP/1.1\r\nHost: h\r\nX-Name: caf\xc3\xa9\r\n\r\n",
		want: Request{Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.1", Header: Header{{"Host", "h"}, {"X-Name", "caf\xc3\xa9"}}, KeepAlive: true},
	},
	{
		name: "bare LF line endings",
		head: "GET /a HTTP/1.1\nHost: h\n\n",
		want: Request{Method: "GET", Target: "/a", Path: "/a", Version: "HTTP/1.1", Header: Header{{"Host", "h"}}, KeepAlive: true},
	},
	{
		name: "mixed line endings",
		head: "GET /a HTTP/1.1\r\nHost: h\nX: y\r\n\n",
		want: Request{Method: "GET", Target: "/a", Path: "/a", Version: "HTTP/1.1", Header: Header{{"Host", "h"}, {"X", "y"}}, KeepAlive: true},
	},
	{
		name: "extension method",
		head: "PURGE /cache HTTP/1.1\r\nHost: h\r\n\r\n",
		want: Request{Method: "PURGE", Target: "/cache", Path: "/cache", Version: "HTTP/1.1", Header: Header{{"Host", "h"}}, KeepAlive: true},
	},
}

func TestParseRequestHeadValid(t *testing.T) {
	for _, tc := range validHeads {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRequestHead([]byte(tc.head))
			if err != nil {
				t.Fatalf("ParseRequestHead: %v", err)
			}
			if d := cmp.Diff(&tc.want, got); d != "" {
				t.Errorf("request differs (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseRequestHeadManyFields(t *testing.T) {
	req, err := ParseRequestHead([]byte(manyFields))
	if err != nil {
		t.Fatalf("ParseRequestHead: %v", err)
	}
	if len(req.Header) != 51 {
		t.Errorf("got %d fields, want 51", len(req.Header))
	}
	if got := req.Header.Get("x-field-49"); got != "value 49" {
		t.Errorf(`Get("x-field-49") = %q, want "value 49"`, got)
	}
}

// The head is copied: the caller may reuse its read buffer as soon as the parser returns.
func TestParseRequestHeadDoesNotKeepTheBuffer(t *testing.T) {
	buf := []byte("GET /path?q HTTP/1.1\r\nHost: example.com\r\n\r\n")
	req, err := ParseRequestHead(buf)
	if err != nil {
		t.Fatalf("ParseRequestHead: %v", err)
	}
	for i := range buf {
		buf[i] = '#'
	}
	if req.Target != "/path?q" || req.Header.Get("Host") != "example.com" {
		t.Errorf("request changed with the buffer: %+v", req)
	}
}

// Go's own server parser is a second opinion on every valid head: the same method, target,
// version, body length and connection persistence.
func TestParseRequestHeadAgreesWithNetHTTP(t *testing.T) {
	for _, tc := range validHeads {
		t.Run(tc.name, func(t *testing.T) {
			theirs, err := http.ReadRequest(bufio.NewReader(strings.NewReader(tc.head)))
			if err != nil {
				t.Fatalf("net/http rejects it: %v", err)
			}
			ours, err := ParseRequestHead([]byte(tc.head))
			if err != nil {
				t.Fatalf("ParseRequestHead: %v", err)
			}
			if ours.Method != theirs.Method || ours.Target != theirs.RequestURI || ours.Version != theirs.Proto {
				t.Errorf("request line: ours %q %q %q, net/http %q %q %q",
					ours.Method, ours.Target, ours.Version, theirs.Method, theirs.RequestURI, theirs.Proto)
			}
			if ours.ContentLength != max(theirs.ContentLength, 0) {
				t.Errorf("ContentLength = %d, net/http says %d", ours.ContentLength, theirs.ContentLength)
			}
			if ours.KeepAlive == theirs.Close {
				t.Errorf("KeepAlive = %v, net/http says Close = %v", ours.KeepAlive, theirs.Close)
			}
		})
	}
}

var badHeads = []struct {
	name   string
	head   string
	status int
	detail string // a piece of the error text naming the rule that fired
}{
	{"empty", "", 400, "blank line"},
	{"no blank line", "GET / HTTP/1.1\r\nHost: h\r\n", 400, "blank line"},
	{"only a blank line", "\r\n\r\n", 400, "request line"},
	{"bytes after the blank line", "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET", 400, "after the blank line"},
	{"second head after the blank line", "GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n", 400, "after the blank line"},
	{"request line of two parts", "GET /\r\n\r\n", 400, "request line"},
	{"request line of four parts", "GET / HTTP/1.1 x\r\nHost: h\r\n\r\n", 400, "request line"},
	{"two spaces", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "request line"},
	{"leading space", " GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "request line"},
	{"trailing space", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400, "request line"},
	{"tab as separator", "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "request line"},
	{"method with a bad byte", "GE(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "method"},
	{"target not origin-form", "GET index.html HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target"},
	{"asterisk with GET", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target"},
	{"authority-form", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 400, "target"},
	{"absolute-form of another scheme", "GET ftp://example.com/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target"},
	{"absolute-form without a host", "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target"},
	{"control byte in the target", "GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target"},
	{"DEL in the target", "GET /a\x7fb HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target"},
	{"non-ASCII in the target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target"},
	{"lone CR at the end of the request line", "GET / HTTP/1.1\r\r\nHost: h\r\n\r\n", 400, "version"},
	{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 400, "version"},
	{"HTTP/1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 400, "version"},
	{"lower-case version", "GET / http/1.1\r\nHost: h\r\n\r\n", 400, "version"},
	{"field without colon", "GET / HTTP/1.1\r\nHost h\r\n\r\n", 400, "colon"},
	{"space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, "whitespace before the colon"},
	{"tab before colon", "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400, "whitespace before the colon"},
	{"obs-fold with a space", "GET / HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n b\r\n\r\n", 400, "folded"},
	{"obs-fold with a tab", "GET / HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n\tb\r\n\r\n", 400, "folded"},
	{"folded first field", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400, "folded"},
	{"empty field name", "GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n", 400, "field name"},
	{"bad byte in a field name", "GET / HTTP/1.1\r\nHost: h\r\nX(y): z\r\n\r\n", 400, "field name"},
	{"non-ASCII field name", "GET / HTTP/1.1\r\nHost: h\r\nX-\xc3\xa9: z\r\n\r\n", 400, "field name"},
	{"NUL in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", 400, "field value"},
	{"lone CR in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400, "field value"},
	{"DEL in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x7fb\r\n\r\n", 400, "field value"},
	{"escape in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: \x1b[31m\r\n\r\n", 400, "field value"},
	{"negative Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length"},
	{"signed Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", 400, "Content-Length"},
	{"non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400, "Content-Length"},
	{"empty Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400, "Content-Length"},
	{"Content-Length with inner space", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n", 400, "Content-Length"},
	{"Content-Length list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n", 400, "Content-Length"},
	{"overflowing Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775808\r\n\r\n", 400, "Content-Length"},
	{"differing Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400, "Content-Length"},
	{"Content-Length 5 and 05 differ as text", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 05\r\n\r\n", 400, "Content-Length"},
	{"HTTP/1.1 without Host", "GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n", 400, "Host"},
	{"two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "Host"},
	{"two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", 400, "Host"},
	{"chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 501, "Transfer-Encoding"},
	{"chunked with Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ntransfer-encoding: chunked\r\n\r\n", 501, "Transfer-Encoding"},
	{"empty Transfer-Encoding", "POST / HTTP/1.0\r\nTransfer-Encoding:\r\n\r\n", 501, "Transfer-Encoding"},
	{"head over 64 KiB", "GET / HTTP/1.1\r\nHost: h\r\nX: " + strings.Repeat("a", MaxHeadSize) + "\r\n\r\n", 431, "64"},
}

func TestParseRequestHeadRejects(t *testing.T) {
	for _, tc := range badHeads {
		t.Run(tc.name, func(t *testing.T) {
			req, err := ParseRequestHead([]byte(tc.head))
			if err == nil {
				t.Fatalf("accepted: %+v", req)
			}
			if req != nil {
				t.Errorf("returned a request with the error %v", err)
			}
			if got := StatusOf(err); got != tc.status {
				t.Errorf("StatusOf(%v) = %d, want %d", err, got, tc.status)
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("error %q does not mention %q", err, tc.detail)
			}
		})
	}
}

// A head of exactly MaxHeadSize bytes is still parsed; one byte more is 431.
func TestParseRequestHeadSizeLimit(t *testing.T) {
	const frame = "GET / HTTP/1.1\r\nHost: h\r\nX: \r\n\r\n"
	head := []byte("GET / HTTP/1.1\r\nHost: h\r\nX: " + strings.Repeat("a", MaxHeadSize-len(frame)) + "\r\n\r\n")
	if len(head) != MaxHeadSize {
		t.Fatalf("test head is %d bytes, want %d", len(head), MaxHeadSize)
	}
	if _, err := ParseRequestHead(head); err != nil {
		t.Fatalf("head of exactly MaxHeadSize: %v", err)
	}
	head = append(head[:len(head)-4], "a\r\n\r\n"...)
	_, err := ParseRequestHead(head)
	if !errors.Is(err, ErrHeadTooLarge) {
		t.Fatalf("head of MaxHeadSize+1: error %v, want ErrHeadTooLarge", err)
	}
}

func TestStatusOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 200},
		{ErrBadRequest, 400},
		{fmt.Errorf("%w: detail", ErrBadRequest), 400},
		{fmt.Errorf("%w: detail", ErrBodyTooLarge), 413},
		{fmt.Errorf("%w: detail", ErrHeadTooLarge), 431},
		{fmt.Errorf("%w: detail", ErrNotImplemented), 501},
		{fmt.Errorf("outer: %w", fmt.Errorf("%w: inner", ErrHeadTooLarge)), 431},
		{errors.New("something else"), 500},
	} {
		if got := StatusOf(tc.err); got != tc.want {
			t.Errorf("StatusOf(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestCheckBodySize(t *testing.T) {
	for _, tc := range []struct {
		length, limit int64
		ok            bool
	}{
		{0, 0, true},
		{12, MaxBodySize, true},
		{MaxBodySize, MaxBodySize, true},
		{MaxBodySize + 1, MaxBodySize, false},
		{1, 0, false},
	} {
		err := CheckBodySize(&Request{ContentLength: tc.length}, tc.limit)
		if tc.ok && err != nil {
			t.Errorf("CheckBodySize(%d, %d) = %v, want nil", tc.length, tc.limit, err)
		}
		if !tc.ok && (!errors.Is(err, ErrBodyTooLarge) || StatusOf(err) != 413) {
			t.Errorf("CheckBodySize(%d, %d) = %v, want ErrBodyTooLarge (413)", tc.length, tc.limit, err)
		}
	}
}

func TestHeaderLookups(t *testing.T) {
	h := Header{{"Accept", "a"}, {"X-One", "1"}, {"ACCEPT", "b"}, {"accept", ""}}
	if got := h.Get("accept"); got != "a" {
		t.Errorf(`Get("accept") = %q, want the first value "a"`, got)
	}
	if got := h.Get("Missing"); got != "" {
		t.Errorf(`Get("Missing") = %q, want ""`, got)
	}
	if d := cmp.Diff([]string{"a", "b", ""}, h.Values("Accept")); d != "" {
		t.Errorf("Values(Accept) differs (-want +got):\n%s", d)
	}
	if got := h.Values("Missing"); got != nil {
		t.Errorf("Values(Missing) = %q, want nil", got)
	}
	if !h.Has("x-one") || h.Has("x-two") {
		t.Errorf("Has: x-one %v (want true), x-two %v (want false)", h.Has("x-one"), h.Has("x-two"))
	}
}

// AppendHead writes a head that parses back to the same request: the property the fuzz
// target checks on every input it accepts.
func TestAppendHeadRoundTrip(t *testing.T) {
	for _, tc := range validHeads {
		t.Run(tc.name, func(t *testing.T) {
			first, err := ParseRequestHead([]byte(tc.head))
			if err != nil {
				t.Fatalf("ParseRequestHead: %v", err)
			}
			again, err := ParseRequestHead(first.AppendHead(nil))
			if err != nil {
				t.Fatalf("re-parsing %q: %v", first.AppendHead(nil), err)
			}
			if d := cmp.Diff(first, again); d != "" {
				t.Errorf("round trip differs (-first +again):\n%s", d)
			}
		})
	}
}

func TestAppendHeadBytes(t *testing.T) {
	req := &Request{Method: "GET", Target: "/x?y", Version: "HTTP/1.1", Header: Header{{"Host", "h"}, {"X-Empty", ""}}}
	got := string(req.AppendHead([]byte("prefix|")))
	want := "prefix|GET /x?y HTTP/1.1\r\nHost: h\r\nX-Empty: \r\n\r\n"
	if got != want {
		t.Errorf("AppendHead = %q, want %q", got, want)
	}
}

func BenchmarkParseRequestHead(b *testing.B) {
	// What wrk sends, give or take the host.
	head := []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1:8888\r\n\r\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(head)))
	for b.Loop() {
		if _, err := ParseRequestHead(head); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRequestHeadCurl(b *testing.B) {
	head := []byte("GET /search?q=tornado HTTP/1.1\r\nHost: 127.0.0.1:8888\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(head)))
	for b.Loop() {
		if _, err := ParseRequestHead(head); err != nil {
			b.Fatal(err)
		}
	}
}

// The same head through net/http's parser, for scale.
func BenchmarkNetHTTPReadRequest(b *testing.B) {
	const head = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8888\r\n\r\n"
	r := strings.NewReader(head)
	br := bufio.NewReader(r)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(head)
		br.Reset(r)
		if _, err := http.ReadRequest(br); err != nil {
			b.Fatal(err)
		}
	}
}
