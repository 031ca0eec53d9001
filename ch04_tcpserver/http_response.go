// The HTTP/1.1 response, appended to the caller's write buffer, and the tutorial's helloworld
// application. Mirrors what tornado/web.py RequestHandler.flush and finish put on the wire for
// demos/helloworld/helloworld.py (3.2): a status line, a few fields, Content-Length, the body.
//
// Appending to a []byte instead of building strings lets the server answer pipelined requests
// into one buffer and write them in one call, and the helloworld answer costs no allocation.

package tcpserver

import (
	"strconv"
	"strings"
	"time"
)

// StatusText returns the reason phrase for the status codes this server sends, with RFC 9110's
// names (413 is "Content Too Large" there, no longer "Request Entity Too Large"), and "" for any
// other code: the reason phrase is optional on the wire (RFC 9112 §4) and clients ignore it.
func StatusText(status int) string {
	switch status {
	case 200:
		return "OK"
	case 400:
		return "Bad Request"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 413:
		return "Content Too Large"
	case 431:
		return "Request Header Fields Too Large"
	case 500:
		return "Internal Server Error"
	case 501:
		return "Not Implemented"
	default:
		return ""
	}
}

// AppendResponseHead appends a response head to dst: "HTTP/1.1 <status> <reason>", the given
// fields in order, then Content-Length and Connection, which it always writes itself (so the
// header must not carry them). status is a three-digit code.
//
// Connection is "keep-alive" or "close", spelled out both ways: an HTTP/1.1 client would assume
// keep-alive, but an HTTP/1.0 one (ab -k) keeps the connection only when told, and nginx does the
// same. No Date field is added, so the output is deterministic; a server that wants one (RFC 9110
// §6.6.1 asks origin servers with a clock for it) passes {"Date", HTTPDate(now)} in header.
//
// Answering HEAD, call this with the length the body would have and send no body (RFC 9110
// §9.3.2). CR and LF in a name or value are written as spaces, so a field built from untrusted
// text cannot end the head early and inject fields of its own (response splitting).
func AppendResponseHead(dst []byte, status int, header Header, contentLength int, keepAlive bool) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, StatusText(status)...)
	dst = append(dst, "\r\n"...)
	for _, f := range header {
		dst = appendFieldText(dst, f.Name)
		dst = append(dst, ": "...)
		dst = appendFieldText(dst, f.Value)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(contentLength), 10)
	if keepAlive {
		return append(dst, "\r\nConnection: keep-alive\r\n\r\n"...)
	}
	return append(dst, "\r\nConnection: close\r\n\r\n"...)
}

// AppendResponse appends a whole response: AppendResponseHead with len(body), then body.
func AppendResponse(dst []byte, status int, header Header, body []byte, keepAlive bool) []byte {
	dst = AppendResponseHead(dst, status, header, len(body), keepAlive)
	return append(dst, body...)
}

// appendFieldText appends s with every CR and LF turned into a space, as net/http does.
func appendFieldText(dst []byte, s string) []byte {
	if !strings.ContainsAny(s, "\r\n") {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// AppendErrorResponse appends the answer to a request the server will not serve, such as
// StatusOf(err) for an error from ParseRequestHead: a plain-text body "400: Bad Request" (the
// words of Tornado's default error page, without its HTML) and Connection: close, because after
// a bad head the server cannot tell where the next request would start.
func AppendErrorResponse(dst []byte, status int) []byte {
	reason := StatusText(status)
	var digits [20]byte
	code := strconv.AppendInt(digits[:0], int64(status), 10)
	dst = AppendResponseHead(dst, status, Header{{"Content-Type", plainText}}, len(code)+len(": ")+len(reason), false)
	dst = append(dst, code...)
	dst = append(dst, ": "...)
	return append(dst, reason...)
}

// httpDateLayout is IMF-fixdate, the one Date format servers send (RFC 9110 §5.6.7).
const httpDateLayout = "Mon, 02 Jan 2006 15:04:05 GMT"

// HTTPDate formats t for a Date field. A server refreshes it once a second, not per response.
func HTTPDate(t time.Time) string {
	return t.UTC().Format(httpDateLayout)
}

// plainText is the helloworld's content type. Tornado's RequestHandler defaults to
// "text/html; charset=UTF-8"; "Hello, world" is not HTML, so this says what it is.
const plainText = "text/plain; charset=UTF-8"

// The helloworld application's bodies. They are shared by every response: callers must not
// modify what HelloWorld returns.
var (
	helloWorldBody       = []byte("Hello, world")
	notFoundBody         = []byte("404: Not Found")
	methodNotAllowedBody = []byte("405: Method Not Allowed")
)

// HelloWorld is Tornado's demos/helloworld application: one handler on "/" whose get writes
// "Hello, world". GET and HEAD of "/" answer 200 (a HEAD response carries the length and no
// body); any other path is 404, whatever the method, as no route matches it; any other method
// on "/" is 405 (the response must then carry Allow: GET, HEAD, which AppendHelloWorld adds).
// Tornado 3.2 answered HEAD with 405 too, its handler defining only get; serving HEAD is what
// RFC 9110 §9.1 asks of every general-purpose server. The query is ignored, as Tornado's
// routing matches the path alone.
func HelloWorld(req *Request) (status int, contentType string, body []byte) {
	switch {
	case req.Path != "/":
		return 404, plainText, notFoundBody
	case req.Method != "GET" && req.Method != "HEAD":
		return 405, plainText, methodNotAllowedBody
	default:
		return 200, plainText, helloWorldBody
	}
}

// AppendHelloWorld appends HelloWorld's complete answer to req: the Allow field on 405, no body
// for HEAD, and the connection kept or closed as req.KeepAlive says. Into a buffer with room it
// allocates nothing.
func AppendHelloWorld(dst []byte, req *Request) []byte {
	status, contentType, body := HelloWorld(req)
	header := Header{{"Content-Type", contentType}, {"Allow", "GET, HEAD"}}
	if status != 405 {
		header = header[:1]
	}
	if req.Method == "HEAD" {
		return AppendResponseHead(dst, status, header, len(body), req.KeepAlive)
	}
	return AppendResponse(dst, status, header, body, req.KeepAlive)
}
