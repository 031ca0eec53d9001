// Package tcpserver is chapter 4: the non-blocking, single-threaded TCP server of the tutorial,
// and the HTTP server it starts from.
//
// It mirrors tornado/iostream.py, tornado/netutil.py and tornado/tcpserver.py from Tornado 3.2,
// with the parts of tornado/httpserver.py that helloworld.py needs, and follows the tutorial's
// walk down from helloworld.py: HTTPServer derives from TCPServer; TCPServer is "non-blocking,
// single-threaded", create-bind-listen by the BSD socket book; it never handles a connection
// itself but hands each one, as a stream, to HandleStream, which Tornado leaves to subclasses by
// raising NotImplementedError and Go makes an interface the compiler checks. The book's chapter
// is book/04-tcpserver.md.
//
// Three layers, on chapter 3's IOLoop:
//   - IOStream is a connection on the loop, driven by callbacks as in Tornado 3.x:
//     ReadUntil, ReadUntilLimit (a delimited read with a bound of its own, reported instead of
//     closing, as an HTTP server needs for 431), ReadUntilBlankLine (a head up to its empty
//     line, lines ending in CRLF or LF), ReadUntilRegex, ReadBytes with a streaming
//     callback, ReadUntilClose, Write with a callback, CloseWrite and SetNodelay, over a buffer
//     that exists only while there is data. The data a read callback receives is lent until it
//     returns. A stream with a close callback notices a peer that leaves while it is idle, as
//     Tornado 3.2 does. It is five files in the order of iostream.py: the stream and its
//     options (iostream.go), the reads, the writes, the events and the close
//     (iostream_read.go, iostream_write.go, iostream_events.go, iostream_close.go). It has
//     three entry points: the loop calls handleEvents when the descriptor is ready; the
//     application calls the public methods, each of which ends in afterCall; and every
//     callback runs inside run, the stream's callback runner, which asks next, the one state
//     machine, what is due. Its bytes go through a Transport (transport.go), a plain socket
//     here and TLS in chapter 6, so that the stream's logic does not know which it has; the
//     contract's optional methods cover what TLS keeps between the stream and the socket.
//     Connect is the client side.
//   - netutil: BindSockets and BindUnixSocket make listening sockets, recorded for chapter 5's
//     processes, whose children adopt them instead of binding (inherit.go); AddAcceptHandler
//     accepts on the loop, at most 128 connections per event, and backs off when the process is
//     out of descriptors instead of spinning.
//   - TCPServer: New(handler, options), then Listen; or Bind and Start (MarkStarted, then
//     AddPendingSockets: chapter 5 forks between the two); or AddSockets. Each accepted
//     connection becomes an IOStream given to the Handler's HandleStream. The options are
//     WithIOLoop (otherwise the loop is chosen lazily, when sockets are first added),
//     WithLogger, and the StreamOptions (WithMaxBufferSize, WithReadChunkSize,
//     WithMaxWriteBufferSize, WithStreamLogger) that every stream of the server gets;
//     WithTransport puts each accepted socket through a wrapper (chapter 6's TLS), as
//     ConnectVia does for a client. Stop is idempotent and safe from a callback.
//
// Two servers embed TCPServer, as Tornado's subclass it, and pass themselves to New as the
// Handler: EchoServer, the example tcpserver.py's docstring has had since Tornado 4.5 and the
// catalog's ch04/echo; and HTTPServer, HTTP/1.1 with keep-alive, pipelining and 400/413/431/501
// answers, serving Tornado's helloworld as ch04/http. Both take timeouts (timeouts.go):
// HTTPServer a header, an idle and a body timeout by default, EchoServer an idle timeout when
// asked; each connection's is an ioloop.Deadline. The chapters command runs either on a
// loop of its own, started and stopped from other goroutines (internal/catalog); a Tornado
// program would instead end with the loop's Start.
//
// Where Tornado 3.2 was wrong or weak and the fix is clear, the fix is made and said: a half-
// closed connection still gets its answers, a slow reader cannot make a writer buffer without
// bound, read callbacks run without the IOLoop round trip and without recursion, a full
// descriptor table pauses accepting instead of spinning, and stopping twice is harmless.
//
// Everything runs on the loop's goroutine: the stream's and the server's methods, their
// callbacks and HandleStream. Another goroutine reaches them with the loop's AddCallback.
package tcpserver
