// A TCPServer whose Start forks. Mirrors tornado/tcpserver.py TCPServer.start (3.2), the half
// chapter 4 left out.

package process

import (
	tcpserver "tornadotcp/ch04_tcpserver"
)

// TCPServer is chapter 4's TCPServer with Tornado's Start(numProcesses). It embeds the chapter 4
// server rather than copying it: everything but Start is chapter 4's. To give an existing chapter
// 4 server (an EchoServer's, an HTTPServer's) this Start, wrap it:
//
//	echo := tcpserver.NewEchoServer()
//	srv := &process.TCPServer{TCPServer: echo.TCPServer}
type TCPServer struct {
	*tcpserver.TCPServer
}

// New makes a server that gives each connection to handler (chapter 4's New).
func New(handler tcpserver.Handler, opts ...tcpserver.ServerOption) *TCPServer {
	return &TCPServer{TCPServer: tcpserver.New(handler, opts...)}
}

// Start accepts on the sockets Bind made, as Tornado's start(num_processes) does: with n == 1 in
// this process; with any other n after ForkProcesses(n, DefaultMaxRestarts) (n ≤ 0: one per
// CPU), in each child. So in the parent it returns only with an error; it exits when the
// children are gone. It runs once, and a second call is ErrAlreadyStarted before anything forks.
//
// The loop is chosen after the fork, in the child (AddPendingSockets): the one given WithIOLoop,
// else ioloop.Current(), the child's own singleton. Tornado's docstring says no IOLoop may be
// made before start(n), and fork_processes checks only the singleton. A loop passed with
// WithIOLoop is not the singleton and passes that check; in Tornado 3.2 every forked child then
// registers its sockets with the parent's one epoll instance, an open file all of them share.
// Here the child is a new program that makes its loop again, before Start, from main: the
// loop passed is the child's own, and each child has its own epoll. See the book for the
// consequences (and the tutorial's claim that such a server runs as a single process).
func (s *TCPServer) Start(n int) error {
	if err := s.MarkStarted(); err != nil {
		return err
	}
	if n != 1 {
		if _, err := ForkProcesses(n, DefaultMaxRestarts); err != nil {
			return err
		}
	}
	return s.AddPendingSockets()
}

// StartSupervised is Start for a program that keeps the parent in its hands (Fork rather than
// ForkProcesses): the children get the sockets Bind made, as one group (the server must have
// been bound with one Bind call, as the child will repeat it), and serve them; the parent gets
// the running Supervisor and serves nothing. With n == 1 it is Start(1), and the Supervisor is
// nil. In a child and with n == 1 the Supervisor is nil.
func (s *TCPServer) StartSupervised(n int, opts ...ForkOption) (*Supervisor, error) {
	if err := s.MarkStarted(); err != nil {
		return nil, err
	}
	if n == 1 {
		return nil, s.AddPendingSockets()
	}
	opts = append([]ForkOption{WithSockets([][]int{s.PendingSockets()})}, opts...)
	_, sup, err := Fork(n, DefaultMaxRestarts, opts...)
	if err != nil || sup != nil {
		return sup, err
	}
	return nil, s.AddPendingSockets()
}
