// The part the three servers share: the listener, how Serve runs a loop on one locked OS thread,
// and how Stop ends it from any goroutine.

package nonblocking

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync/atomic"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
)

// Server is a single-threaded echo server on non-blocking sockets. NewBusyPoll, NewSelect or
// NewPoll makes one; they differ only in how the loop learns which sockets are ready.
type Server struct {
	// Logger receives refused connections, connections closed for an error, and accept
	// failures. Nil means slog.Default().
	Logger *slog.Logger

	name     string // "busypoll", "select", "poll", for log lines
	listener int
	addr     string
	reserve  *blocking.Reserve  // the spare descriptor that turns clients away at the limit
	waker    *Waker             // wakes a sleeping loop on Stop; nil for busy-poll: it never sleeps
	run      func(*loop) error  // the server's loop: pass after pass until Stop
	admit    func(fd int) error // may refuse a new connection's descriptor (select's wall)
	stop     atomic.Bool        // set by Stop; the loop checks it every pass
	drain    atomic.Bool        // set by Shutdown; the loop checks it every pass
	grace    atomic.Int64       // Shutdown's grace period, a time.Duration, set before drain

	life blocking.Lifecycle
}

// newServer listens on hostport, non-blocking, with chapter 1's spare descriptor and a waker
// when the loop will sleep.
func newServer(hostport, name string, sleeps bool) (*Server, error) {
	fd, err := Listen(hostport)
	if err != nil {
		return nil, err
	}
	addr, err := blocking.LocalAddr(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	s := &Server{name: name, listener: fd, addr: addr}
	if s.reserve, err = blocking.OpenReserve(); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if sleeps {
		if s.waker, err = NewWaker(); err != nil {
			s.reserve.Close()
			unix.Close(fd)
			return nil, err
		}
	}
	return s, nil
}

// Addr is the address the server listens on, with the real port.
func (s *Server) Addr() string { return s.addr }

// Serve runs the loop on the calling goroutine until Stop, then closes every connection and the
// listener and returns nil; or returns the error that ended the loop (a failed select or poll,
// an unexpected accept error). It returns blocking.ErrServerClosed if called after Stop or twice.
//
// The goroutine is locked to its OS thread for the whole loop: one thread does all the I/O of
// every connection. Nothing else in the server blocks or starts goroutines.
func (s *Server) Serve() error {
	if err := s.life.Begin(); err != nil {
		return err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	l := newLoop(s)
	err := s.run(l)
	l.closeAll()
	return errors.Join(err, s.life.End(s.closeFDs))
}

// Stop ends the loop and waits until Serve has closed every descriptor the server owned. It may
// be called from any goroutine, more than once, and before Serve (which then returns at once).
//
// The busy-poll loop sees the flag on its next pass; the select and poll loops may be asleep in
// the kernel with no timeout, so Stop also writes a byte to their self-pipe, which they watch.
// Lifecycle holds its lock while waking, so the wake cannot race with Serve closing that pipe.
func (s *Server) Stop() error {
	return s.life.Stop(s.wake, s.closeFDs)
}

// wake tells a running loop to stop.
func (s *Server) wake() {
	s.stop.Store(true)
	if s.waker != nil {
		s.waker.Wake()
	}
}

// closeFDs closes the listener, the spare and the waker. Lifecycle calls it once, under its lock.
func (s *Server) closeFDs() error {
	err := s.reserve.Close()
	if s.waker != nil {
		err = errors.Join(err, s.waker.Close())
	}
	if s.listener >= 0 {
		if cerr := unix.Close(s.listener); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close listener: %w", cerr))
		}
	}
	return err
}

// closeListener closes the listener early, for a loop that begins draining; closeFDs then
// leaves it alone. Only the loop's goroutine calls it.
func (s *Server) closeListener(log *slog.Logger) {
	if err := unix.Close(s.listener); err != nil {
		log.Warn("close listener", "err", err)
	}
	s.listener = -1
}

// log is where the server reports: Logger, or slog.Default() when that is nil, with the
// server's id and address.
func (s *Server) log() *slog.Logger {
	l := s.Logger
	if l == nil {
		l = slog.Default()
	}
	return l.With("server", "ch02/"+s.name, "addr", s.addr)
}
