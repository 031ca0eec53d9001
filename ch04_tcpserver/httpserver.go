// HTTPServer: HTTP/1.1 on TCPServer, the tutorial's starting point (helloworld.py listens with
// one). Mirrors HTTPServer and HTTPConnection in tornado/httpserver.py (3.2): handle_stream makes
// a connection object that reads a head with read_until("\r\n\r\n"), a body with read_bytes, calls
// the application, and reads the next head once the answer has been written.

package tcpserver

import (
	"strings"
	"time"

	ioloop "tornadotcp/ch03_epoll"
)

// Application answers one request with a status, a content type and a body; the server frames
// them (Content-Length, Connection, no body for HEAD). HelloWorld is one. It runs on the loop's
// goroutine and must not block; req.Body, like the returned body, need only stay valid until
// the server has appended the response, so it may be the stream's buffer.
type Application func(req *Request) (status int, contentType string, body []byte)

// appendResponse frames what app returns for req.
func (app Application) appendResponse(dst []byte, req *Request) []byte {
	status, contentType, body := app(req)
	header := Header{{"Content-Type", contentType}}
	if contentType == "" {
		header = nil
	}
	if req.Method == "HEAD" {
		return AppendResponseHead(dst, status, header, len(body), req.KeepAlive)
	}
	return AppendResponse(dst, status, header, body, req.KeepAlive)
}

// HTTPServer serves HTTP/1.1 on a TCPServer, which it embeds: Listen, Bind, Start, AddSockets
// and Stop are TCPServer's, and its HandleStream is the HTTP connection. Tornado's HTTPServer
// inherits from TCPServer and overrides handle_stream; Go's embedding gives the methods but not
// the override, so HTTPServer passes itself to New as the Handler (see New).
//
// Per connection: the head is read up to its blank line, at most MaxHeadSize bytes (431 beyond,
// answered before closing); a Content-Length body is read after it, at most MaxBodySize (413,
// refused unread); "Expect: 100-continue" gets its interim 100 first, as Tornado 3.2 sent; a
// malformed head is answered 400 and a Transfer-Encoding 501, each then closed. Requests are
// answered in order, one at a time, so pipelined requests are answered in the order they came.
// The next head is read as soon as the answer is written, while less than readAhead bytes wait
// to be sent, so the answers to the requests one read brought go out in one write; beyond
// that, only once the answer has gone to the kernel, so a client that does not read its
// answers is held back by TCP instead of by the server's memory (Tornado 3.2 waited for every
// write to finish, and sent each answer with a send of its own). Keep-alive follows
// Request.KeepAlive. A connection that is not kept, and one refused, ends with
// IOStream.LingeringClose: its answer goes, then EOF, and what the client had already sent
// (pipelined requests, the rest of a refused head or body) is drained rather than answered
// with a reset that could destroy the answer.
//
// Lines may end in a bare LF as well as CRLF, and empty lines before a request line are skipped
// (RFC 9112 §2.2 allows the one and recommends the other; see ReadUntilBlankLine and
// skipEmptyLines). Three timeouts, each set by an option, close a connection that keeps the
// server waiting: for a request head (WithHeaderTimeout), for the next request on a keep-alive
// connection (WithIdleTimeout), for a request body (WithBodyTimeout); see waitPhase.
type HTTPServer struct {
	*TCPServer
	respond  func(dst []byte, req *Request) []byte
	conns    map[*httpConn]struct{} // open connections, for CloseAllConnections and Shutdown
	timeouts timeouts
	drain    shutdown
}

// NewHTTPServer makes a server that answers every request with app; a nil app serves Tornado's
// helloworld (HelloWorld, written by AppendHelloWorld). opts are TCPServer's, and the timeouts'.
func NewHTTPServer(app Application, opts ...ServerOption) *HTTPServer {
	s := &HTTPServer{respond: AppendHelloWorld, conns: make(map[*httpConn]struct{}),
		timeouts: withTimeouts(httpTimeouts, opts)}
	if app != nil {
		s.respond = app.appendResponse
	}
	s.TCPServer = New(s, opts...)
	return s
}

var continue100 = []byte("HTTP/1.1 100 Continue\r\n\r\n")

// httpConn is one connection (Tornado's HTTPConnection). Its callbacks are bound once, so a
// keep-alive request costs no allocation beyond the parser's; out is reused for every answer.
type httpConn struct {
	server  *HTTPServer
	stream  *IOStream
	address string
	req     *Request // the request whose body is being read
	out     []byte

	waiting  waitPhase        // what the connection waits for, which decides its deadline
	deadline *ioloop.Deadline // nil when the server has no timeouts

	pipelined int // requests answered in a row from input already read (maxPipelinedPerPass)

	// The methods passed to the stream, made into values once, each named for what it does.
	parseHead, finishBody    func([]byte)
	refuseLongHead, readHead func()
}

// HandleStream serves one connection until it closes.
func (s *HTTPServer) HandleStream(stream *IOStream, address string) {
	c := &httpConn{server: s, stream: stream, address: address}
	c.parseHead, c.finishBody = c.head, c.body
	c.refuseLongHead, c.readHead = c.headTooLong, c.nextRequest
	s.conns[c] = struct{}{}
	stream.SetCloseCallback(func() {
		delete(s.conns, c)
		c.deadline.Stop()
		s.drain.closed(s.loop, len(s.conns))
	})
	c.startTimeouts()
	c.readNextHead()
}

// readNextHead waits for the next request; while the server shuts down, an idle connection
// closes instead. Reading fails only on a closed stream.
func (c *httpConn) readNextHead() {
	if c.server.drain.draining && c.idle() {
		closeIdle(c.stream)
		return
	}
	err := c.stream.ReadUntilBlankLine(MaxHeadSize, c.parseHead, c.refuseLongHead)
	if err != nil {
		c.stream.Close()
	}
}

// head parses a request head and reads its body, or answers at once when it has none.
func (c *httpConn) head(data []byte) {
	if data = skipEmptyLines(data); len(data) == 0 {
		c.readNextHead() // only empty lines so far: the head is still to come, on the same clock
		return
	}
	c.wait(answering)
	req, err := ParseRequestHead(data)
	if err == nil {
		err = CheckBodySize(req, MaxBodySize)
	}
	if err != nil {
		c.refuse(err)
		return
	}
	if req.ContentLength == 0 {
		c.answer(req)
		return
	}
	c.req = req
	c.wait(waitingBody)
	if req.Version == "HTTP/1.1" && strings.EqualFold(req.Header.Get("Expect"), "100-continue") {
		c.write(continue100, nil)
	}
	if err := c.stream.ReadBytes(int(req.ContentLength), c.finishBody, nil); err != nil {
		c.stream.Close()
	}
}

// body completes the request whose head came before.
func (c *httpConn) body(data []byte) {
	req := c.req
	c.req = nil
	req.Body = data
	c.answer(req)
}

// answer writes the application's response and reads the next head: at once while little waits
// to be sent (readAhead), so that the answers to pipelined requests go out together, else once
// the answer has gone. A connection not kept alive ends with a lingering close, which sends the
// answer first. While the server shuts down, every answer says Connection: close, so the client
// knows to send no more on this connection.
func (c *httpConn) answer(req *Request) {
	if c.server.drain.draining {
		req.KeepAlive = false
	}
	c.out = c.server.respond(c.out[:0], req)
	if !req.KeepAlive {
		c.write(c.out, nil)
		c.stream.LingeringClose()
		return
	}
	if c.stream.Unsent()+len(c.out) > readAhead {
		c.write(c.out, c.readHead)
		return
	}
	c.write(c.out, nil)
	switch {
	case c.stream.Closed():
	case c.stream.unread() == 0:
		c.pipelined = 0
		c.nextRequest()
	case c.pipelined+1 < maxPipelinedPerPass:
		c.pipelined++
		c.nextRequest()
	default:
		// Give the loop back: the next request is read by a callback the loop runs after the
		// other ready descriptors of its next pass.
		c.pipelined = 0
		if c.stream.loop.AddCallback(c.readHead) != nil {
			c.stream.Close() // the loop is closed: nothing more can run
		}
	}
}

// maxPipelinedPerPass is how many requests a connection gets answered from input already read
// before it gives the loop back: a 16 KiB read can hold five hundred tiny pipelined requests,
// and a pass that answered them all would keep a fresh client waiting for it. 64 requests and
// their answers are about the work of one pass of chapter 3's echo, a 4 KiB read of lines.
const maxPipelinedPerPass = 64

// headTooLong answers a head over MaxHeadSize.
func (c *httpConn) headTooLong() {
	c.wait(answering)
	c.refuse(ErrHeadTooLarge)
}

// refuse answers a request the server will not serve (400, 413, 431 or 501) and ends the
// connection once the answer has gone: after a bad head there is no telling where the next
// request would begin. The client may still be sending (the rest of a 431 head, a 413 body sent
// without waiting for 100 Continue), which the lingering close drains (net/http's server
// half-closes too, then waits half a second without reading). Tornado 3.2 closed without a
// word, and logged the request at INFO, as here.
func (c *httpConn) refuse(err error) {
	c.server.log.Info("tcpserver: refusing an HTTP request", "address", c.address, "err", err)
	c.out = AppendErrorResponse(c.out[:0], StatusOf(err))
	c.write(c.out, nil)
	c.stream.LingeringClose()
}

// write sends p; a stream that cannot take it has closed, or its peer is not reading.
func (c *httpConn) write(p []byte, then func()) {
	if err := c.stream.Write(p, then); err != nil {
		c.stream.Close()
	}
}

// CloseAllConnections closes every open connection at once, dropping what they were owed, as
// Tornado 4.0's HTTPServer.close_all_connections does (the server's Stop leaves them open).
func (s *HTTPServer) CloseAllConnections() {
	for c := range s.conns {
		c.stream.Close()
	}
	clear(s.conns)
}

// idle reports whether the connection is between requests with nothing in hand: an idle
// keep-alive connection. One halfway through a request (its head, or its body) or its answer is
// busy.
func (c *httpConn) idle() bool { return c.req == nil && c.stream.Idle() }

// Shutdown stops the server gracefully, as net/http's Server.Shutdown does: it stops accepting
// at once (Stop), closes the idle keep-alive connections at once, and lets the busy ones finish
// the request in hand, answered with Connection: close, then closes them. When grace is over,
// the connections still busy end with a lingering close (closeBusy), and those still open the
// linger time later are closed. done runs once the last connection has closed.
// A second Shutdown does nothing, and CloseAllConnections still closes everything at once. Like
// every method of the server, it runs on the loop's goroutine.
func (s *HTTPServer) Shutdown(grace time.Duration, done func()) {
	if !s.drain.begin(s.TCPServer, grace, len(s.conns), s.closeBusyConns, s.CloseAllConnections, done) {
		return
	}
	for c := range s.conns {
		if c.idle() {
			closeIdle(c.stream)
		}
	}
}

// EndGrace ends a graceful shutdown's grace period now, as EchoServer.EndGrace does.
func (s *HTTPServer) EndGrace() { s.drain.endGrace(s.loop) }

// closeBusyConns ends the connections still open when the grace period is over with a
// lingering close.
func (s *HTTPServer) closeBusyConns() int {
	n := len(s.conns)
	for c := range s.conns {
		closeBusy(c.stream)
	}
	return n
}
