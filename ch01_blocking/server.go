// The accept loop shared by both chapter 1 servers, and how they stop.

package blocking

import (
	"errors"
	"fmt"
	"log"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrServerClosed is returned by Serve when it is called after Stop, or a second time.
var ErrServerClosed = errors.New("blocking: server closed")

// Server is a blocking echo server: NewIterative or NewThreaded makes one.
type Server struct {
	// ErrorLog receives one line per connection that ended in an error. Nil means log's default.
	ErrorLog *log.Logger

	threaded bool
	listener int
	addr     string

	mu       sync.Mutex
	conns    map[int]struct{} // descriptors being served, so Stop can wake them
	stopping bool
	serving  bool
	served   chan struct{} // closed when Serve has cleaned up
	handlers sync.WaitGroup
}

// NewIterative listens on hostport and returns a server that handles one connection at a time:
// while it echoes for one client, the next waits in the listen backlog, connected by the kernel
// but unanswered.
func NewIterative(hostport string) (*Server, error) { return newServer(hostport, false) }

// NewThreaded listens on hostport and returns a server that starts a goroutine per connection.
// Each one sleeps inside a blocking recv, and a goroutine blocked in a system call keeps its OS
// thread, so the process holds one thread per connected client.
func NewThreaded(hostport string) (*Server, error) { return newServer(hostport, true) }

func newServer(hostport string, threaded bool) (*Server, error) {
	fd, err := Listen(hostport)
	if err != nil {
		return nil, err
	}
	addr, err := LocalAddr(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &Server{
		threaded: threaded,
		listener: fd,
		addr:     addr,
		conns:    make(map[int]struct{}),
		served:   make(chan struct{}),
	}, nil
}

// Addr is the address the server listens on, with the real port.
func (s *Server) Addr() string { return s.addr }

// Serve accepts and serves connections until Stop. It returns nil after Stop, once every
// connection is closed, or the accept error that ended it.
func (s *Server) Serve() error {
	s.mu.Lock()
	if s.stopping || s.serving {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.serving = true
	s.mu.Unlock()

	err := s.acceptLoop()
	s.handlers.Wait()
	unix.Close(s.listener)
	close(s.served)
	return err
}

func (s *Server) acceptLoop() error {
	var backoff time.Duration
	for {
		fd, _, err := Accept(s.listener)
		if err != nil {
			if s.isStopping() {
				return nil
			}
			switch {
			case errors.Is(err, unix.EINTR), errors.Is(err, unix.ECONNABORTED):
				continue
			case errors.Is(err, unix.EMFILE), errors.Is(err, unix.ENFILE):
				// Out of descriptors: wait for some to be freed rather than spin on accept.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logf("%v; retrying in %v", err, backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		if !s.track(fd) {
			unix.Close(fd)
			return nil
		}
		if s.threaded {
			s.handlers.Add(1)
			go func() {
				defer s.handlers.Done()
				s.serveConn(fd)
			}()
		} else {
			s.serveConn(fd)
		}
	}
}

func (s *Server) serveConn(fd int) {
	err := Echo(fd)
	if err != nil && !isPeerGone(err) && !s.isStopping() {
		s.logf("connection fd %d: %v", fd, err)
	}
	s.mu.Lock()
	delete(s.conns, fd)
	s.mu.Unlock()
	unix.Close(fd)
}

// isPeerGone reports errors that mean the client went away, which are not worth a log line.
func isPeerGone(err error) bool {
	return errors.Is(err, unix.ECONNRESET) || errors.Is(err, unix.EPIPE)
}

// track records a new connection, unless the server is stopping.
func (s *Server) track(fd int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return false
	}
	s.conns[fd] = struct{}{}
	return true
}

func (s *Server) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

// Stop closes the listener and every connection and waits until Serve has returned. It may be
// called more than once, and before Serve.
//
// Closing a descriptor does not wake a thread blocked in accept or recv on it (on Linux the call
// simply keeps waiting), so Stop calls shutdown(2) instead, which does: accept fails with EINVAL
// and recv returns 0. Each descriptor is then closed by the goroutine that was using it, never
// under its feet, so its number cannot be reused while a call on it is still running.
func (s *Server) Stop() error {
	s.mu.Lock()
	if s.stopping {
		serving := s.serving
		s.mu.Unlock()
		if serving {
			<-s.served
		}
		return nil
	}
	s.stopping = true
	serving := s.serving
	unix.Shutdown(s.listener, unix.SHUT_RDWR)
	for fd := range s.conns {
		unix.Shutdown(fd, unix.SHUT_RDWR)
	}
	s.mu.Unlock()
	if !serving {
		return wrapClose(unix.Close(s.listener))
	}
	<-s.served
	return nil
}

func wrapClose(err error) error {
	if err != nil {
		return wrap("close", err)
	}
	return nil
}

func (s *Server) logf(format string, args ...any) {
	msg := fmt.Sprintf("%s: "+format, append([]any{s.addr}, args...)...)
	if s.ErrorLog != nil {
		s.ErrorLog.Print(msg)
		return
	}
	log.Print(msg)
}
