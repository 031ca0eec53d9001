// TCPServer: listening sockets on a loop, and an IOStream for each connection they accept,
// handed to the application. Mirrors tornado/tcpserver.py (3.2), the tutorial's "two hundred-odd
// lines" (两百多行): listen, add_sockets, add_socket, bind, start, stop, handle_stream and
// _handle_connection, with stop made idempotent (Tornado 4.5, #1901).

package tcpserver

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	ioloop "tornadotcp/ch03_epoll"
)

var (
	// ErrAlreadyStarted: Start was called a second time (Tornado asserts not self._started).
	ErrAlreadyStarted = errors.New("tcpserver: server already started")
	// ErrServerStopped: the server was asked to listen or start after Stop.
	ErrServerStopped = errors.New("tcpserver: server stopped")
)

// Handler is the application's half of a TCPServer: what to do with each connection.
//
// Tornado's TCPServer has a handle_stream method that raises NotImplementedError, and a
// subclass overrides it; forget to, and the mistake shows up as a logged exception at the first
// connection, in production. Here New takes the handler as an interface value, so a server
// without one does not compile: "does not implement Handler (missing method HandleStream)".
//
// HandleStream runs on the loop's goroutine for every accepted connection, with the stream
// (owned by the handler from now on: it must close it, or read it until the peer leaves) and the
// peer's address, "HOST:PORT" ("[::1]:PORT" for IPv6; the socket's path, often empty, for a unix
// socket). It must not block: start reads and writes with callbacks and return. A panic in it is
// logged with the address and closes that stream; the server goes on.
type Handler interface {
	HandleStream(stream *IOStream, address string)
}

// HandlerFunc lets a plain function be a Handler, as http.HandlerFunc does for net/http.
type HandlerFunc func(stream *IOStream, address string)

// HandleStream calls f.
func (f HandlerFunc) HandleStream(stream *IOStream, address string) { f(stream, address) }

// A ServerOption configures New: WithIOLoop, WithLogger, and every StreamOption
// (WithMaxBufferSize, WithReadChunkSize, WithMaxWriteBufferSize, WithStreamLogger), which the
// server passes to the stream of each connection, as Tornado's TCPServer passes its
// max_buffer_size to each IOStream.
type ServerOption interface {
	applyServer(*TCPServer)
}

type serverOption func(*TCPServer)

func (o serverOption) applyServer(s *TCPServer) { o(s) }

func (o StreamOption) applyServer(s *TCPServer) { s.streamOpts = append(s.streamOpts, o) }

// WithIOLoop makes the server accept on loop. Without it, the loop is chosen when sockets are
// first added (see AddSockets).
func WithIOLoop(loop *ioloop.IOLoop) ServerOption {
	return serverOption(func(s *TCPServer) { s.loop = loop })
}

// WithLogger sends the server's reports (a panicking HandleStream, accept failures) to logger
// instead of slog.Default(), and its streams' too unless WithStreamLogger says otherwise.
func WithLogger(logger *slog.Logger) ServerOption {
	return serverOption(func(s *TCPServer) {
		if logger != nil {
			s.log = logger
		}
	})
}

// WithTransport makes the server put each accepted connection's socket through wrap, and give
// the stream the Transport wrap returns (given the server's loop): chapter 6 wraps it in TLS, as Tornado 3.2's
// _handle_connection calls ssl_wrap_socket when the server has ssl_options. wrap runs on the
// loop's goroutine; on error it must leave the socket open, and the server closes it and logs
// nothing more than wrap's error at debug level (a refused connection is not the server's fault).
func WithTransport(wrap func(*ioloop.IOLoop, *SocketTransport) (Transport, error)) ServerOption {
	return serverOption(func(s *TCPServer) { s.wrap = wrap })
}

// TCPServer is a non-blocking, single-threaded TCP server: its listening sockets and every
// connection they accept are served by one IOLoop, on one goroutine.
//
// It has three ways to start, as in Tornado: Listen (bind and accept at once; the usual single
// process); Bind, then Start (chapter 5 lets Start fork first); BindSockets, then AddSockets
// (the caller chooses when to fork, and may make the sockets any way it likes). In each case the
// loop must then be started.
//
// Like everything on the loop, its methods belong to the loop's goroutine: call them before the
// loop starts, or from its handlers and callbacks. Another goroutine stops the server with
// loop.AddCallback(server.Stop).
type TCPServer struct {
	handler    Handler
	loop       *ioloop.IOLoop // nil until sockets are added, unless WithIOLoop chose it
	log        *slog.Logger
	streamOpts []StreamOption
	streamCfg  *streamConfig                                             // streamOpts applied, shared by every stream
	accept     func(conn int, addr unix.Sockaddr)                        // handleConnection, bound once
	wrap       func(*ioloop.IOLoop, *SocketTransport) (Transport, error) // WithTransport; nil for plain sockets

	listeners []listener // accepting
	pending   []int      // bound by Bind, accepting from Start
	started   bool
	stopped   bool
}

// listener is one listening socket and the remover of its accept handler.
type listener struct {
	fd     int
	remove func()
}

// New makes a server that gives each connection to handler. handler must not be nil (that is
// a programming error, and New panics, as net/http's Handle does); a type that lacks
// HandleStream does not compile. Nothing listens until Listen, Start or AddSockets.
//
// A type that extends the server embeds it and passes itself as the handler, as HTTPServer does:
//
//	s := &HTTPServer{...}
//	s.TCPServer = New(s, opts...)
//
// Go's embedding promotes TCPServer's methods to the outer type but, unlike Python's
// inheritance, never dispatches back: a method of the embedded TCPServer cannot reach the outer
// type's HandleStream by itself. Passing the outer value as the Handler is that link.
func New(handler Handler, opts ...ServerOption) *TCPServer {
	if handler == nil {
		panic("tcpserver: New with a nil Handler")
	}
	s := &TCPServer{handler: handler, log: slog.Default()}
	for _, opt := range opts {
		opt.applyServer(s)
	}
	// The server's logger goes first, so that a WithStreamLogger among the options wins.
	s.streamOpts = append([]StreamOption{WithStreamLogger(s.log)}, s.streamOpts...)
	s.streamCfg = newStreamConfig(s.streamOpts)
	s.accept = s.handleConnection
	return s
}

// Listen binds port on address (BindSockets: "" is every interface, a name every address it
// resolves to, port 0 a free port) and accepts on the sockets at once. It may be called more than
// once, for several ports; the loop still has to be started. On error nothing stays open.
func (s *TCPServer) Listen(port int, address string) error {
	if s.stopped {
		return ErrServerStopped
	}
	fds, err := BindSockets(port, address, unix.AF_UNSPEC, 0, false)
	if err != nil {
		return err
	}
	return s.addOwned(fds)
}

// addOwned adds sockets the server made itself (Listen, Bind, Start). If one cannot be added, the
// ones this call added are taken off the loop again and all of fds are closed: nothing is left
// half-listening.
func (s *TCPServer) addOwned(fds []int) error {
	before := len(s.listeners)
	if err := s.AddSockets(fds); err != nil {
		for _, l := range s.listeners[before:] {
			l.remove()
		}
		s.listeners = s.listeners[:before]
		closeOpened(fds)
		return err
	}
	return nil
}

func (s *TCPServer) has(fd int) bool {
	for _, l := range s.listeners {
		if l.fd == fd {
			return true
		}
	}
	return false
}

// AddSockets makes the server accept on fds, listening sockets such as BindSockets or
// BindUnixSocket return, and takes charge of them: Stop closes them.
//
// The loop is chosen here, on the first call, and not in New: the one given WithIOLoop, else the
// loop running on this goroutine, else the process's Instance (ioloop.Current). Tornado does
// the same so that a program can bind, fork (chapter 5) and only then make a loop: a loop's
// epoll descriptor is shared with every child forked after it exists, and each process needs
// its own.
//
// It stops at the first socket it cannot add (the loop cannot be made, or the descriptor is not
// one the loop can watch, or is already added), and returns the error; that socket and the ones
// after it stay the caller's, the earlier ones are the server's.
func (s *TCPServer) AddSockets(fds []int) error {
	if s.stopped {
		return ErrServerStopped
	}
	if s.loop == nil {
		loop, err := ioloop.Current()
		if err != nil {
			return fmt.Errorf("tcpserver: no loop to accept on: %w", err)
		}
		s.loop = loop
	}
	for _, fd := range fds {
		if s.has(fd) {
			return fmt.Errorf("tcpserver: socket %d added twice", fd)
		}
		remove, err := AddAcceptHandler(s.loop, fd, s.accept, WithAcceptLogger(s.log))
		if err != nil {
			return err
		}
		s.listeners = append(s.listeners, listener{fd: fd, remove: remove})
	}
	return nil
}

// AddSocket is AddSockets for one socket.
func (s *TCPServer) AddSocket(fd int) error { return s.AddSockets([]int{fd}) }

// Bind makes the sockets for port on address, as BindSockets does with family, backlog and
// reusePort, and keeps them until Start; after Start it adds them at once. It may be called
// several times before Start, for several ports or addresses. Until Start the kernel queues
// the connections that arrive (up to backlog) and nobody accepts them.
func (s *TCPServer) Bind(port int, address string, family, backlog int, reusePort bool) error {
	if s.stopped {
		return ErrServerStopped
	}
	fds, err := BindSockets(port, address, family, backlog, reusePort)
	if err != nil {
		return err
	}
	if !s.started {
		s.pending = append(s.pending, fds...)
		return nil
	}
	return s.addOwned(fds)
}

// Start accepts on the sockets Bind made. It runs once: a second call is ErrAlreadyStarted.
// If the pending sockets cannot be added, they are all closed. It is MarkStarted followed by
// AddPendingSockets: this chapter serves in one process, and chapter 5's Start(n) forks between
// the two, as Tornado's start(num_processes) does.
func (s *TCPServer) Start() error {
	if err := s.MarkStarted(); err != nil {
		return err
	}
	return s.AddPendingSockets()
}

// MarkStarted is the first half of Start: it marks the server started, or says why it cannot
// start (ErrAlreadyStarted, ErrServerStopped), so that a Start that forks learns it before it
// forks. From now on Bind adds its sockets at once.
func (s *TCPServer) MarkStarted() error {
	if s.stopped {
		return ErrServerStopped
	}
	if s.started {
		return ErrAlreadyStarted
	}
	s.started = true
	return nil
}

// AddPendingSockets is the second half of Start: it accepts on the sockets Bind kept, choosing
// the loop if none was given (AddSockets), in the process that will serve them. If they cannot
// be added, they are all closed. It needs MarkStarted first.
func (s *TCPServer) AddPendingSockets() error {
	if !s.started {
		return errors.New("tcpserver: AddPendingSockets before MarkStarted")
	}
	fds := s.pending
	s.pending = nil
	return s.addOwned(fds)
}

// PendingSockets lists the sockets Bind made that wait for Start, in the order Bind made them.
// They stay the server's. Chapter 5's Start hands them to the processes it starts.
func (s *TCPServer) PendingSockets() []int { return slices.Clone(s.pending) }

// Stop stops accepting: every listening socket is taken off the loop and closed, and the
// sockets Bind kept for Start are closed too (Tornado leaves those open). Connections already
// accepted go on; their streams are the handler's.
//
// Stopping twice does nothing. Tornado 3.2's second stop() raises nothing either, but calls
// remove_handler again for every descriptor number it had: a number the process has reused since,
// for a new connection, loses that connection's handler.
//
// Stop may run from a callback, HandleStream included: the batch of accepts under way ends before
// its next accept, and the loop drops the events still queued for a closed listener, so no accept
// runs on a closed descriptor. Tornado 3.2's accept handler loops "while True": after a
// handle_stream that stopped the server, it called accept on the socket stop() had just closed
// and raised EBADF (fixed in 5.0, #2069).
func (s *TCPServer) Stop() {
	if s.stopped {
		return
	}
	s.stopped = true
	for _, l := range s.listeners {
		l.remove()
		if err := unix.Close(l.fd); err != nil {
			s.log.Warn("tcpserver: closing a listening socket", "fd", l.fd, "err", err)
		}
	}
	closeOpened(s.pending)
	s.listeners, s.pending = nil, nil
}

// Addrs lists the addresses the server's sockets are bound to, with the real ports: those it
// accepts on, then those waiting for Start. A socket that cannot say (it was closed behind the
// server's back) is left out.
func (s *TCPServer) Addrs() []string {
	var addrs []string
	for _, l := range s.listeners {
		if a, err := blocking.LocalAddr(l.fd); err == nil {
			addrs = append(addrs, a)
		}
	}
	for _, fd := range s.pending {
		if a, err := blocking.LocalAddr(fd); err == nil {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// handleConnection is the accept callback: a stream for the new connection, given to the
// handler. The connection is already non-blocking and close-on-exec (AddAcceptHandler).
func (s *TCPServer) handleConnection(conn int, addr unix.Sockaddr) {
	t, err := NewSocketTransport(conn)
	if err != nil {
		unix.Close(conn)
		s.log.Warn("tcpserver: cannot use an accepted connection", "fd", conn, "err", err)
		return
	}
	var tr Transport = t
	if s.wrap != nil {
		if tr, err = s.wrap(s.loop, t); err != nil {
			t.Close()
			s.log.Debug("tcpserver: connection refused by its transport", "fd", conn, "err", err)
			return
		}
	}
	stream := newSharedStream(s.loop, tr, s.streamCfg)
	s.handle(stream, blocking.FormatAddr(addr))
}

// handle calls HandleStream; a panic closes the stream, is logged with the peer's address and
// stack, and goes no further: the rest of the accept batch and the loop carry on. Tornado 3.2
// logs "Error in connection callback" and carries on too, but does nothing to the stream: one
// that handle_stream had already set reading stays open on the loop until its peer leaves.
func (s *TCPServer) handle(stream *IOStream, address string) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("tcpserver: panic in HandleStream, closing the connection",
				"address", address, "panic", r, "stack", string(debug.Stack()))
			stream.Close()
		}
	}()
	s.handler.HandleStream(stream, address)
}
