// The accept loop shared by both chapter 1 servers, and how they stop.

package blocking

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrServerClosed is returned by Serve when it is called after Stop, or a second time.
var ErrServerClosed = errors.New("blocking: server closed")

// Server is a blocking echo server: NewIterative, NewThreaded or NewForked makes one.
type Server struct {
	// Logger receives one line per connection that ended in an error, and the accept loop's
	// reports. Nil means slog.Default().
	Logger *slog.Logger

	threaded bool
	listener int
	addr     string
	reserve  *Reserve  // the accept loop's spare descriptor
	children *children // NewForked's child processes; nil for the other servers

	mu       sync.Mutex
	conns    map[int]struct{} // descriptors being served, so Stop can wake them
	stopping bool
	handlers sync.WaitGroup

	life Lifecycle
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
	reserve, err := OpenReserve()
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &Server{
		threaded: threaded,
		listener: fd,
		addr:     addr,
		reserve:  reserve,
		conns:    make(map[int]struct{}),
	}, nil
}

// Addr is the address the server listens on, with the real port.
func (s *Server) Addr() string { return s.addr }

// Serve accepts and serves connections until Stop. It returns nil after Stop, once every
// connection is closed, or the accept error that ended it.
func (s *Server) Serve() error {
	if err := s.life.Begin(); err != nil {
		return err
	}
	err := s.acceptLoop()
	s.handlers.Wait()
	return errors.Join(err, s.life.End(s.closeListener))
}

func (s *Server) acceptLoop() error {
	log := s.log()
	var backoff AcceptBackoff
	for {
		fd, sa, err := Accept(s.listener)
		if err != nil {
			if s.isStopping() {
				return nil
			}
			switch {
			case AcceptAgain(err):
				continue
			case OutOfDescriptors(err):
				// Turn the waiting client away at once. With none waiting, wait for one (it
				// is then accepted, if descriptors have been freed, or turned away); with no
				// spare, wait for descriptors to be freed rather than spin on accept.
				refused, rerr := s.reserve.Refuse(s.listener, err)
				switch {
				case refused:
					backoff.Refused(log, err)
				case rerr != nil:
					time.Sleep(backoff.Failed(log, err, false))
				default:
					if werr := WaitForClient(s.listener, backoff.Failed(log, err, false)); werr != nil {
						return werr
					}
				}
				continue
			}
			return err
		}
		if !s.track(fd) {
			unix.Close(fd)
			return nil
		}
		if s.children != nil {
			// A process needs descriptors too (a pipe while it starts, a pidfd while it runs):
			// when there are none, the client was turned away at once, as by the Reserve, and
			// that is part of the same shortage, logged once.
			if err := s.spawnConn(fd, FormatAddr(sa)); OutOfDescriptors(err) {
				backoff.Refused(log, err)
				continue
			}
			backoff.Succeeded(log)
			continue
		}
		backoff.Succeeded(log)
		switch {
		case s.threaded:
			s.handlers.Add(1)
			go func() {
				defer s.handlers.Done()
				s.serveConn(fd)
			}()
		default:
			s.serveConn(fd)
		}
	}
}

func (s *Server) serveConn(fd int) {
	err := Echo(fd)
	if err != nil && !PeerGone(err) && !s.isStopping() {
		s.log().Warn("closing connection", "fd", fd, "err", err)
	}
	s.mu.Lock()
	delete(s.conns, fd)
	s.mu.Unlock()
	unix.Close(fd)
}

// PeerGone reports errors that only mean the client went away: it reset or aborted the
// connection (ECONNRESET, ECONNABORTED), or closed it while we were still writing (EPIPE).
// They close that connection quietly, as Tornado's IOStream does for the same three
// (_ERRNO_CONNRESET in tornado/iostream.py, 3.2), and are not worth a log line.
func PeerGone(err error) bool {
	return errors.Is(err, unix.ECONNRESET) || errors.Is(err, unix.ECONNABORTED) ||
		errors.Is(err, unix.EPIPE)
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
	return s.life.Stop(s.wake, s.closeListener)
}

// wake makes the accept loop and every connection's recv return.
func (s *Server) wake() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopping = true
	unix.Shutdown(s.listener, unix.SHUT_RDWR)
	for fd := range s.conns {
		unix.Shutdown(fd, unix.SHUT_RDWR)
	}
	if s.children != nil {
		s.children.stop()
	}
}

// closeListener closes the listener and the spare descriptor, once: Lifecycle calls it when Serve
// ends, or from a Stop that came before any Serve.
func (s *Server) closeListener() error {
	err := s.reserve.Close()
	if s.children != nil {
		err = errors.Join(err, s.children.close())
	}
	if cerr := unix.Close(s.listener); cerr != nil {
		err = errors.Join(err, wrap("close", cerr))
	}
	return err
}

// log is where the server reports: Logger, or slog.Default() when that is nil, with the
// server's address.
func (s *Server) log() *slog.Logger {
	l := s.Logger
	if l == nil {
		l = slog.Default()
	}
	return l.With("addr", s.addr)
}
