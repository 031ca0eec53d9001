// EchoServer: the example in the docstring of tornado/tcpserver.py since Tornado 4.5 (3.2's
// docstring has none), a TCPServer whose handle_stream reads a line with read_until("\n"),
// writes it back, and reads the next; the chapter's server of the echo protocol (ch04/echo).

package tcpserver

import (
	"time"

	blocking "tornadotcp/ch01_blocking"
	ioloop "tornadotcp/ch03_epoll"
)

// lineEnd is the echo protocol's delimiter.
var lineEnd = []byte("\n")

// EchoServer serves the echo protocol: each line back as it came, in order. It is a TCPServer
// (embedded, as Tornado's example subclasses TCPServer) whose HandleStream is the whole
// application: read a line, write it, read the next.
//
// It reads the next line at once, before the echo has gone to the kernel, so the echoes of all
// the lines one read brought go back in one write (see IOStream's Writing). Once readAhead
// bytes of echoes wait to be sent, it reads the next line only when they have reached the
// kernel, as the EchoServer example in Tornado's TCPServer docstring does for every line (yield
// stream.write(data) in 4.5, await since 5.1). So a client that sends and never reads fills the
// socket's send buffer and then readAhead bytes of the stream's, and the server stops reading
// it instead of buffering its echoes without bound: TCP's flow control holds that client back,
// the way chapter 2's EchoConn stops reading past MaxPendingOutput. Such a client then costs
// the echoes owed and the input read ahead of them, at most readAhead and one read chunk
// (DefaultReadChunkSize), both let go and counted towards chapter 2's return of memory to the
// OS when it leaves.
//
// A line too long ends its connection with IOStream.LingeringClose: the echoes owed before it
// arrive, then EOF, and the rest of what the client sent is drained, not answered with a reset.
type EchoServer struct {
	*TCPServer
	// Answer, when set before the server starts, may answer a line instead of echoing it: it
	// gets each complete line with its '\n' and returns the reply (with its '\n') and true, or
	// false to have the line echoed. Chapter 5's servers answer "whoami" and "burn N" with it.
	// It runs on the loop's goroutine; data is the stream's buffer, valid only during the call.
	Answer func(line []byte) (reply []byte, ok bool)
	conns  map[*echoConn]struct{} // open connections, for CloseAllConnections and Shutdown
	idle   time.Duration          // WithIdleTimeout's; zero: none
	drain  shutdown
}

// NewEchoServer makes an echo server; opts are TCPServer's. Its streams hold at most 64 KiB of
// a line (blocking.MaxLineLength, not counting the '\n', which is how MaxBufferSize counts a
// ReadUntil): a longer line ends its connection, and the others go on. A WithMaxBufferSize among
// opts changes that limit. WithIdleTimeout makes it close, quietly, a connection that has had no
// line echoed for that long, because it sent none or does not read its echoes (none by default:
// the echo protocol's server never closes first); the other timeouts do not apply.
func NewEchoServer(opts ...ServerOption) *EchoServer {
	e := &EchoServer{conns: make(map[*echoConn]struct{}), idle: withTimeouts(timeouts{}, opts).idle}
	e.TCPServer = New(e, append([]ServerOption{WithMaxBufferSize(blocking.MaxLineLength)}, opts...)...)
	return e
}

// echoConn is one connection. The methods it passes to the stream are made into values once,
// when it opens, and named for what they do: a method value written at each call
// (stream.ReadUntil(lineEnd, c.echoLine)) would allocate every line.
type echoConn struct {
	server            *EchoServer
	stream            *IOStream
	echo              func([]byte)
	readNext, tooLong func()
	idle              *ioloop.Deadline // closes the stream; nil without an idle timeout
	idleFor           time.Duration
}

// HandleStream starts echoing a new connection.
func (e *EchoServer) HandleStream(stream *IOStream, _ string) {
	c := &echoConn{server: e, stream: stream, idleFor: e.idle}
	c.echo, c.readNext, c.tooLong = c.echoLine, c.readLine, c.lineTooLong
	if e.Answer != nil {
		c.echo = c.answerLine
	}
	if e.idle > 0 {
		c.idle = stream.loop.NewDeadline(func() { endIdle(stream) })
	}
	e.conns[c] = struct{}{}
	stream.SetCloseCallback(func() {
		delete(e.conns, c)
		c.idle.Stop()
		e.drain.closed(e.loop, len(e.conns))
	})
	c.readLine()
}

// readLine asks for the next line, of at most the stream's MaxBufferSize bytes before its '\n',
// which the idle timeout, if any, waits for from now; while the server shuts down, a connection
// that has nothing more to echo closes instead. Reading can fail only on a stream that has
// closed, whose close callback has the last word.
func (c *echoConn) readLine() {
	if c.server.drain.draining && c.stream.Idle() {
		closeIdle(c.stream)
		return
	}
	c.idle.Set(c.idleFor)
	limit := c.stream.cfg.maxBuffer + len(lineEnd)
	if err := c.stream.ReadUntilLimit(lineEnd, limit, c.echo, c.tooLong); err != nil {
		c.stream.Close()
	}
}

// lineTooLong ends the connection: the lingering close sends the echoes still owed, then
// keeps the client's unread input from turning the end into a reset.
func (c *echoConn) lineTooLong() {
	c.stream.cfg.log.Warn("tcpserver: line too long, closing the connection", "fd", c.stream.t.FD(),
		"limit", c.stream.cfg.maxBuffer)
	c.stream.LingeringClose()
}

// readAhead is how much output a server of this package lets wait for the kernel while it reads
// the client's next line or request. Answers then go out in writes of up to 16 KiB, a system
// call for every 250 or so 64-byte echoes, and a client that does not read costs the server at
// most this much more than the one answer the kernel refused.
const readAhead = 16 << 10

// echoLine writes the line back and reads the next, at once while little waits to be sent,
// else once the kernel has the echoes. Write copies what it cannot send at once, so handing it
// the stream's own buffer is safe.
func (c *echoConn) echoLine(data []byte) {
	then := c.readNext
	if c.stream.Unsent()+len(data) <= readAhead && !c.server.drain.draining {
		then = nil // a draining server reads on only once the echo has gone, to see it idle
	}
	if err := c.stream.Write(data, then); err != nil {
		c.stream.Close()
		return
	}
	if then == nil {
		c.readLine()
	}
}

// answerLine is echoLine for a server with an Answer: the answer, if there is one, goes back
// in the line's place.
func (c *echoConn) answerLine(data []byte) {
	if reply, ok := c.server.Answer(data); ok {
		data = reply
	}
	c.echoLine(data)
}

// CloseAllConnections closes every open connection at once, dropping what they were owed. A
// TCPServer's Stop leaves accepted connections to their handler; a program that is shutting
// down calls this after Stop (Tornado 4.0 gave HTTPServer close_all_connections for the same).
func (e *EchoServer) CloseAllConnections() {
	for c := range e.conns {
		c.stream.Close()
	}
	clear(e.conns)
}

// Shutdown stops the server gracefully: it stops accepting at once (Stop), closes the idle
// connections at once (IOStream.Idle: every echo sent, no partial line, nothing unread), and
// lets the others finish: each closes as soon as it is idle, so a client that stops sending gets
// every echo it is owed, then EOF. When grace is over, the connections still busy end with a
// lingering close (closeBusy), and those still open the linger time later are closed. done runs once the last connection has closed. A second Shutdown does nothing, and
// CloseAllConnections still closes everything at once. Like every method of the server, it runs
// on the loop's goroutine.
func (e *EchoServer) Shutdown(grace time.Duration, done func()) {
	if !e.drain.begin(e.TCPServer, grace, len(e.conns), e.closeBusyConns, e.CloseAllConnections, done) {
		return
	}
	for c := range e.conns {
		if c.stream.Idle() {
			closeIdle(c.stream)
		}
	}
}

// EndGrace ends a graceful shutdown's grace period now: the connections still busy get the
// lingering close the end of the period would give them. Chapter 5's parent process uses it to
// end its children's grace, since only the parent knows the period. Call it on the loop's
// goroutine; without a grace period running it does nothing.
func (e *EchoServer) EndGrace() { e.drain.endGrace(e.loop) }

// closeBusyConns ends the connections still open when the grace period is over with a
// lingering close.
func (e *EchoServer) closeBusyConns() int {
	n := len(e.conns)
	for c := range e.conns {
		closeBusy(c.stream)
	}
	return n
}
