// The runner: a chapter 4 server on a loop of its own, started and stopped from other goroutines
// as every catalog server is. Tornado has no such type: its programs end with
// IOLoop.instance().start() and stop with a signal; this is that program's main, made a value.

package catalog

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	blocking "tornadotcp/ch01_blocking"
	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
)

// loopServer is what a runner needs of a server: TCPServer's Listen, Addrs and Stop, which
// EchoServer and HTTPServer have by embedding it, and two ways to close the connections it
// serves, at once and gracefully.
type loopServer interface {
	Listen(port int, address string) error
	Addrs() []string
	Stop()
	CloseAllConnections()
	Shutdown(grace time.Duration, done func())
	EndGrace()
}

// runner runs one server on one loop made for it, and meets the Server contract: Addr, Serve
// until Stop, then nil once every descriptor is closed, and Stop any number of times, from any
// goroutine.
type runner struct {
	loop *ioloop.IOLoop
	srv  loopServer // the loop's goroutine only, once Serve has begun
	addr string

	life       blocking.Lifecycle
	graceEnded atomic.Bool // EndGrace was called
	cleanup    func()      // run once everything is closed (ch06: removes a self-signed pair); may be nil
}

// newRunner makes a loop, the server (newServer must put it on that loop, with
// tcpserver.WithIOLoop) and listens on hostport, "HOST:PORT": a literal address or a name, which
// BindSockets resolves; port 0 picks a free port, which Addr then tells.
func newRunner(hostport string, newServer func(loop *ioloop.IOLoop) loopServer) (*runner, error) {
	host, port, err := blocking.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	loop, err := ioloop.New()
	if err != nil {
		return nil, err
	}
	srv := newServer(loop)
	if err := srv.Listen(port, host); err != nil {
		loop.Close()
		return nil, err
	}
	addrs := srv.Addrs() // leaves out a socket that cannot say its address
	if len(addrs) == 0 {
		srv.Stop()
		loop.Close()
		return nil, fmt.Errorf("listening on %q: %w", hostport, tcpserver.ErrNoAddress)
	}
	return &runner{loop: loop, srv: srv, addr: addrs[0]}, nil
}

// listenEcho is ch04/echo: chapter 4's EchoServer on a loop of its own, with o's idle timeout.
func listenEcho(hostport string, o Options) (*runner, error) {
	if err := o.idleOnly("ch04/echo"); err != nil {
		return nil, err
	}
	return newRunner(hostport, func(loop *ioloop.IOLoop) loopServer {
		return tcpserver.NewEchoServer(append(o.timeouts(), tcpserver.WithIOLoop(loop))...)
	})
}

// listenHelloWorld is ch04/http: chapter 4's HTTPServer serving HelloWorld, on a loop of its own,
// with o's timeouts.
func listenHelloWorld(hostport string, o Options) (*runner, error) {
	return newRunner(hostport, func(loop *ioloop.IOLoop) loopServer {
		return tcpserver.NewHTTPServer(nil, append(o.timeouts(), tcpserver.WithIOLoop(loop))...)
	})
}

// Addr is the first listening address, with the real port.
func (r *runner) Addr() string { return r.addr }

// Serve runs the loop on the calling goroutine until Stop, then stops the server, closes its
// connections and the loop, and returns nil; or the error that ended the loop. Called after
// Stop, or a second time, it returns blocking.ErrServerClosed.
func (r *runner) Serve() error {
	if err := r.life.Begin(); err != nil {
		return err
	}
	err := r.loop.Start() // a Stop queued before Start runs in its first pass
	// The loop is not running any more, so this goroutine may touch what was its: whatever
	// ended the loop, nothing is left open.
	r.closeAll()
	return errors.Join(err, r.life.End(r.closeLoop))
}

// closeLoop closes the loop, then removes what the server made for itself.
func (r *runner) closeLoop() error {
	err := r.loop.Close()
	if r.cleanup != nil {
		r.cleanup()
	}
	return err
}

// Stop stops the server and waits until Serve has closed every descriptor. The server's methods
// belong to the loop's goroutine, so Stop asks the loop to run them (AddCallback) and to leave
// after that pass. Before Serve, it closes everything itself and Serve will not run.
func (r *runner) Stop() error {
	return r.life.Stop(r.wake, r.release)
}

// release closes everything when Stop or Shutdown comes before Serve.
func (r *runner) release() error {
	r.closeAll()
	return r.closeLoop()
}

// Shutdown stops the server gracefully (the server's Shutdown: no more accepts, idle
// connections closed at once, busy ones given up to grace to finish) and waits until Serve has
// closed every descriptor. A Stop meanwhile, from another goroutine, cuts the grace short.
func (r *runner) Shutdown(grace time.Duration) error {
	return r.life.Shutdown(func() { r.drain(grace) }, r.release)
}

// drain asks the running loop to shut the server down gracefully and to leave once the last
// connection has closed.
func (r *runner) drain(grace time.Duration) {
	_ = r.loop.AddCallback(func() {
		r.srv.Shutdown(grace, r.loop.Stop)
		if r.graceEnded.Load() {
			r.srv.EndGrace()
		}
	})
}

// EndGrace ends a graceful shutdown's grace period now (the server's EndGrace): the
// connections still busy get their lingering close. Chapter 5's children call it when their
// parent says the grace period is over.
// It may come before the loop has begun the shutdown: drain looks at graceEnded too.
func (r *runner) EndGrace() {
	r.graceEnded.Store(true)
	_ = r.loop.AddCallback(r.srv.EndGrace)
}

// wake asks the running loop to shut the server down and leave. If the loop has closed already,
// Serve has ended and AddCallback's error says nothing new.
func (r *runner) wake() {
	_ = r.loop.AddCallback(func() {
		r.closeAll()
		r.loop.Stop()
	})
}

// closeAll stops listening and closes the connections at once; both steps may be repeated.
func (r *runner) closeAll() {
	r.srv.Stop()
	r.srv.CloseAllConnections()
}
