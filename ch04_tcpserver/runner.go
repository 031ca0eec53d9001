// Runner: a server of this chapter on a loop of its own, started and stopped from other
// goroutines, as the catalog's servers are (the chapters command, the conformance suite, the
// benchmarks). Tornado has no such type: its programs end with IOLoop.instance().start() and stop
// with a signal; this is that program's main, made a value.

package tcpserver

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	nonblocking "tornadotcp/ch02_nonblocking"
	ioloop "tornadotcp/ch03_epoll"
)

// RunnableServer is what a Runner needs of a server: TCPServer's Listen, Addrs and Stop, which
// EchoServer and HTTPServer have by embedding it, and a way to close the connections it serves.
type RunnableServer interface {
	Listen(port int, address string) error
	Addrs() []string
	Stop()
	CloseAllConnections()
}

// Runner runs one server on one loop made for it. It meets the catalog's Server contract: Addr,
// Serve until Stop, then nil once every descriptor is closed, and Stop any number of times, from
// any goroutine.
type Runner struct {
	loop *ioloop.IOLoop
	srv  RunnableServer // the loop's goroutine only, once Serve has begun
	addr string

	life nonblocking.Lifecycle
}

// NewRunner makes a loop, the server (newServer must put it on that loop, with WithIOLoop) and
// listens on hostport, "HOST:PORT": a literal address or a name, which BindSockets resolves; port
// 0 picks a free port, which Addr then tells.
func NewRunner(hostport string, newServer func(loop *ioloop.IOLoop) RunnableServer) (*Runner, error) {
	host, portText, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, fmt.Errorf("tcpserver: address %q: %w", hostport, err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("tcpserver: address %q: port must be a number from 0 to 65535", hostport)
	}
	loop, err := ioloop.New()
	if err != nil {
		return nil, err
	}
	srv := newServer(loop)
	if err := srv.Listen(int(port), host); err != nil {
		loop.Close()
		return nil, err
	}
	addrs := srv.Addrs()
	if len(addrs) == 0 {
		srv.Stop()
		loop.Close()
		return nil, fmt.Errorf("tcpserver: listening on %q: %w", hostport, ErrNoAddress)
	}
	return &Runner{loop: loop, srv: srv, addr: addrs[0]}, nil
}

// Addr is the first listening address, with the real port.
func (r *Runner) Addr() string { return r.addr }

// Serve runs the loop on the calling goroutine until Stop, then stops the server, closes its
// connections and the loop, and returns nil; or the error that ended the loop. Called after Stop,
// or a second time, it returns blocking.ErrServerClosed.
func (r *Runner) Serve() error {
	if err := r.life.Begin(); err != nil {
		return err
	}
	err := r.loop.Start() // a Stop queued before Start runs in its first pass
	// The loop is not running any more, so this goroutine may touch what was its: whatever
	// ended the loop, nothing is left open.
	r.shutdown()
	return errors.Join(err, r.life.End(r.loop.Close))
}

// Stop stops the server and waits until Serve has closed every descriptor. The server's methods
// belong to the loop's goroutine, so Stop asks the loop to run them (AddCallback) and to leave
// after that pass. Before Serve, it closes everything itself and Serve will not run.
func (r *Runner) Stop() error {
	return r.life.Stop(r.wake, func() error {
		r.shutdown()
		return r.loop.Close()
	})
}

// wake asks the running loop to shut the server down and leave. If the loop has closed already,
// Serve has ended and AddCallback's error says nothing new.
func (r *Runner) wake() {
	_ = r.loop.AddCallback(func() {
		r.shutdown()
		r.loop.Stop()
	})
}

// shutdown stops listening and closes the connections; both steps may be repeated.
func (r *Runner) shutdown() {
	r.srv.Stop()
	r.srv.CloseAllConnections()
}
