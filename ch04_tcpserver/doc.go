// Package tcpserver is chapter 4: the non-blocking, single-threaded TCP server of the tutorial,
// and the HTTP server it starts from.
//
// It mirrors tornado/iostream.py, tornado/netutil.py and tornado/tcpserver.py from Tornado 3.2,
// and follows the tutorial's walk down from helloworld.py: HTTPServer derives from TCPServer;
// TCPServer is "non-blocking, single-threaded", create-bind-listen by the BSD socket book; it
// never handles a connection itself but hands each one, as a stream, to HandleStream, which
// Tornado leaves to subclasses by raising NotImplementedError and Go makes an interface the
// compiler checks.
//
// Three layers, on chapter 3's IOLoop:
//   - IOStream (iostream*.go) is a connection on the loop, driven by callbacks as in Tornado 3.x:
//     ReadUntil, ReadUntilRegex, ReadBytes with a streaming callback, ReadUntilClose, and Write
//     with a callback, over a buffer that exists only while there is data. Its bytes go through
//     a Transport (transport.go), a plain socket here and TLS in chapter 6, so that the stream's
//     logic does not know which it has. Connect is the client side.
//   - netutil: BindSockets and BindUnixSocket make listening sockets; AddAcceptHandler accepts
//     on the loop, at most 128 connections per event, surviving a process out of descriptors.
//   - TCPServer: Listen, or Bind and Start, or AddSockets; an IOStream per accepted connection,
//     given to the HandleStream of the application. HTTPServer embeds it, as Tornado's
//     HTTPServer inherits, and answers HTTP/1.1 with Tornado's helloworld.
//
// Where Tornado 3.2 was wrong or weak and the fix is clear, the fix is made and said: a half-
// closed connection still gets its answers, a slow reader cannot make a writer buffer without
// bound, read callbacks run without the IOLoop round trip and without recursion, and a full
// descriptor table pauses accepting instead of spinning.
//
// Everything runs on the loop's goroutine: the stream's and the server's methods, their
// callbacks and HandleStream. Another goroutine reaches them with the loop's AddCallback.
package tcpserver
