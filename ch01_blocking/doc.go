// Package blocking is chapter 1: a TCP echo server written the way the tutorial's
// "阻塞式设计" (blocking design) paragraph describes, by hand on raw file descriptors.
//
// It mirrors no Tornado module. It is what Tornado's tcpserver.py exists to avoid: the class
// docstring of tornado/tcpserver.py (3.2) calls TCPServer "non-blocking, single-threaded", and
// this chapter shows what the opposite costs. The tutorial section it follows is the one on
// BSD sockets and create-bind-listen (三段式), and on recv blocking until data arrives.
//
// Everything here uses golang.org/x/sys/unix, not net.Conn: Go's net package already puts every
// socket in non-blocking mode and parks goroutines on the runtime's own epoll (see
// runtime/netpoll.go), so it could not show blocking I/O. A goroutine that calls a blocking
// read(2) through unix.Read keeps its OS thread asleep in the kernel, exactly like a C thread.
//
// Three servers:
//   - Iterative serves one connection at a time; a second client waits in the listen backlog.
//   - Threaded runs one goroutine per connection over blocking calls, so one OS thread per
//     connection: the C10K problem, measurable with OSThreads and ended by the Go runtime's
//     thread limit (runtime/debug.SetMaxThreads).
//   - Forked gives each connection a process of its own, the program started again with the
//     connection inherited: the tutorial's other 多进程, the classic fork-per-connection server.
//
// The framing of the echo protocol (Lines), the socket helpers, what accept's errors mean
// (AcceptAgain, OutOfDescriptors, AcceptBackoff), what a server keeps for the descriptor limit
// (Reserve, StartRuntimePoller), which errors mean the client went away (PeerGone) and how a
// server is served once and stopped from anywhere (Lifecycle) are written once here and
// imported by the later chapters.
package blocking
