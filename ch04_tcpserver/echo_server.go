// EchoServer: the example in the docstring of tornado/tcpserver.py since Tornado 4.5 (3.2's
// docstring has none), a TCPServer whose handle_stream reads a line with read_until("\n"),
// writes it back, and reads the next; the chapter's server of the echo protocol (ch04/echo).

package tcpserver

import (
	"time"

	blocking "tornadotcp/ch01_blocking"
)

// lineEnd is the echo protocol's delimiter.
var lineEnd = []byte("\n")

// EchoServer serves the echo protocol: each line back as it came, in order. It is a TCPServer
// (embedded, as Tornado's example subclasses TCPServer) whose HandleStream is the whole
// application: read a line, write it, read the next.
//
// It waits for each echo to reach the kernel before it reads the next line, as the EchoServer
// example in Tornado's TCPServer docstring does (yield stream.write(data) in 4.5, await since
// 5.1); a plain callback version would write and read again at once. Almost always the kernel
// takes the line at once and the next read follows in the same turn of the stream's loop, so
// this costs nothing. But a client that sends
// and never reads fills the socket's send buffer, and then the server stops reading it instead
// of buffering its echoes without bound: TCP's flow control holds that client back, the way
// chapter 2's EchoConn stops reading past MaxPendingOutput. It also means that when a line too
// long closes the connection, every echo owed before it has already gone.
type EchoServer struct {
	*TCPServer
	conns map[*echoConn]struct{} // open connections, for CloseAllConnections and Shutdown
	drain shutdown
}

// NewEchoServer makes an echo server; opts are TCPServer's. Its streams hold at most 64 KiB of
// a line (blocking.MaxLineLength, not counting the '\n', which is how MaxBufferSize counts a
// ReadUntil): a longer line closes its connection with ErrBufferFull, and the others go on. A
// WithMaxBufferSize among opts changes that limit.
func NewEchoServer(opts ...ServerOption) *EchoServer {
	e := &EchoServer{conns: make(map[*echoConn]struct{})}
	e.TCPServer = New(e, append([]ServerOption{WithMaxBufferSize(blocking.MaxLineLength)}, opts...)...)
	return e
}

// echoConn is one connection. The methods it passes to the stream are made into values once,
// when it opens, and named for what they do: a method value written at each call
// (stream.ReadUntil(lineEnd, c.echoLine)) would allocate every line.
type echoConn struct {
	server   *EchoServer
	stream   *IOStream
	echo     func([]byte)
	readNext func()
}

// HandleStream starts echoing a new connection.
func (e *EchoServer) HandleStream(stream *IOStream, _ string) {
	c := &echoConn{server: e, stream: stream}
	c.echo, c.readNext = c.echoLine, c.readLine
	e.conns[c] = struct{}{}
	stream.SetCloseCallback(func() {
		delete(e.conns, c)
		e.drain.closed(e.loop, len(e.conns))
	})
	c.readLine()
}

// readLine asks for the next line; while the server shuts down, a connection that has nothing
// more to echo closes instead. Reading can fail only on a stream that has closed, whose close
// callback has the last word.
func (c *echoConn) readLine() {
	if c.server.drain.draining && c.stream.Idle() {
		c.stream.Close()
		return
	}
	if err := c.stream.ReadUntil(lineEnd, c.echo); err != nil {
		c.stream.Close()
	}
}

// echoLine writes the line back; the next read starts once the kernel has it. Write copies what
// it cannot send at once, so handing it the stream's own buffer is safe.
func (c *echoConn) echoLine(data []byte) {
	if err := c.stream.Write(data, c.readNext); err != nil {
		c.stream.Close()
	}
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
// every echo it is owed, then EOF. When grace is over, the connections still busy are closed
// anyway. done runs once the last connection has closed. A second Shutdown does nothing, and
// CloseAllConnections still closes everything at once. Like every method of the server, it runs
// on the loop's goroutine.
func (e *EchoServer) Shutdown(grace time.Duration, done func()) {
	if !e.drain.begin(e.TCPServer, grace, len(e.conns), e.closeBusyConns, done) {
		return
	}
	for c := range e.conns {
		if c.stream.Idle() {
			c.stream.Close()
		}
	}
}

// closeBusyConns closes the connections still open when the grace period is over.
func (e *EchoServer) closeBusyConns() int {
	n := len(e.conns)
	for c := range e.conns {
		closeBusy(c.stream)
	}
	return n
}
