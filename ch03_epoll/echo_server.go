// The echo server on raw IOLoop handlers: a listener's handler that accepts, and one handler per
// connection that feeds chapter 2's EchoConn. Tornado 3.2 has no such server (its TCPServer needs
// IOStream, chapter 4); this is what tornado/netutil.py add_accept_handler and the handlers of
// tornado/iostream.py do, written directly on the loop, the way the tutorial's "monitor" sketch
// reads.

package ioloop

import (
	"errors"
	"log/slog"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	nonblocking "tornadotcp/ch02_nonblocking"
)

// EchoServer serves the echo protocol from one IOLoop: a single OS thread for all its
// connections, asleep in the monitor while they are idle. Chapter 2's poll server rebuilt its
// list of descriptors on every pass; here each connection tells the monitor what it wants once,
// and again only when that changes, so an idle connection costs nothing per pass.
type EchoServer struct {
	loop     *IOLoop
	log      *slog.Logger // the loop's
	listener int
	addr     string
	reserve  *blocking.Reserve // the spare descriptor that turns clients away at the limit

	// Owned by the loop's goroutine (Serve's).
	conns   map[int]*echoConn
	buf     []byte                 // the one read buffer of the server; no connection keeps any of it
	accept  Handler                // the listener's handler, made once, re-added after a pause
	backoff blocking.AcceptBackoff // while accept fails for want of descriptors
	fatal   error                  // an accept error the server cannot live with; it ends Serve

	idleTimeout time.Duration // SetIdleTimeout's; zero: none
	// draining: Shutdown has begun; the listener is closed, and connections close once idle.
	draining bool

	life blocking.Lifecycle
}

// NewEchoServer listens on hostport (non-blocking, backlog 128) and makes the loop that Serve will
// run, with opts: WithPoller chooses the monitor (the platform's own by default: epoll on Linux,
// kqueue on the BSDs and macOS), WithLogger where connections closed for an error and accept
// failures are reported.
func NewEchoServer(hostport string, opts ...Option) (*EchoServer, error) {
	l, err := New(opts...) // first: from here on the loop owns the Poller given in opts
	if err != nil {
		return nil, err
	}
	fd, err := nonblocking.Listen(hostport)
	if err != nil {
		l.Close()
		return nil, err
	}
	addr, err := blocking.LocalAddr(fd)
	if err != nil {
		unix.Close(fd)
		l.Close()
		return nil, err
	}
	reserve, err := blocking.OpenReserve()
	if err != nil {
		unix.Close(fd)
		l.Close()
		return nil, err
	}
	s := &EchoServer{
		loop:     l,
		log:      l.log.With("server", "ch03 echo", "addr", addr),
		listener: fd,
		addr:     addr,
		reserve:  reserve,
		conns:    make(map[int]*echoConn),
		buf:      make([]byte, blocking.RecvBufferSize),
	}
	s.accept = s.handleAccept
	return s, nil
}

// SetIdleTimeout makes the server close a connection from which nothing has been read for d
// (neither a byte nor its end), dropping what it is still owed; zero or less, the default, never
// does. The echo protocol's server never closes first, so the limit is for its operator to
// choose: idle connections cost a loop nothing per pass, but each holds a descriptor. Call it
// before Serve.
func (s *EchoServer) SetIdleTimeout(d time.Duration) { s.idleTimeout = max(d, 0) }

// Addr is the address the server listens on, with the real port.
func (s *EchoServer) Addr() string { return s.addr }

// Serve runs the loop on the calling goroutine (locked to its OS thread) until Stop, then closes
// every connection, the listener and the loop, and returns nil; or returns the error that ended
// the loop (the monitor failing, an accept error other than running out of descriptors). Called
// after Stop, or twice, it returns blocking.ErrServerClosed.
func (s *EchoServer) Serve() error {
	if err := s.life.Begin(); err != nil {
		return err
	}
	err := s.loop.AddHandler(s.listener, s.accept, READ)
	if err == nil {
		// A Stop that came before Start makes Start return at once: nothing is lost in between.
		err = s.loop.Start()
	}
	s.closeConns()
	return errors.Join(err, s.fatal, s.life.End(s.closeFDs))
}

// Stop ends the loop and waits until Serve has closed every descriptor. It may be called from
// any goroutine, more than once, and before Serve (which then returns at once). The loop may be
// asleep in the monitor with no timeout: IOLoop.Stop wakes it through the loop's waker.
func (s *EchoServer) Stop() error {
	return s.life.Stop(s.loop.Stop, s.closeFDs)
}

// closeConns closes every connection (what is still owed is dropped: the server is stopping) and
// takes the listener off the loop. The loop is no longer running, so any goroutine may do it.
func (s *EchoServer) closeConns() {
	for _, c := range s.conns {
		s.drop(c, nil)
	}
	if s.listener >= 0 {
		s.loop.RemoveHandler(s.listener)
	}
}

// closeFDs closes the listener, the spare and the loop (its monitor and waker). Called once.
func (s *EchoServer) closeFDs() error {
	return errors.Join(s.reserve.Close(), s.closeListener(), s.loop.Close())
}
