// The TLS TCPServer: chapter 4's TCPServer with ssl options, each accepted connection's socket
// wrapped in the TLS transport. Mirrors TCPServer.__init__ (ssl_options) and _handle_connection
// (ssl_wrap_socket, then SSLIOStream) in tornado/tcpserver.py (3.2).

package ssl

import (
	"crypto/tls"
	"errors"
	"log/slog"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
)

// ErrTooManyHandshakes refuses a connection while MaxHandshakes handshakes are in flight.
var ErrTooManyHandshakes = errors.New("ssl: too many handshakes in flight")

// TCPServer is chapter 4's TCPServer, embedded (Listen, Bind, Start, AddSockets, Stop are its),
// serving TLS. Config is the checked configuration.
type TCPServer struct {
	*tcpserver.TCPServer
	Config *tls.Config
}

// NewTCPServer checks o (see Options.TLSConfig) before anything opens, and makes a server whose
// handler gets streams that read and write plaintext. Tornado 3.2 checks only that the files
// exist; here a key that does not match the certificate is an error too.
func NewTCPServer(handler tcpserver.Handler, o Options, opts ...tcpserver.ServerOption) (*TCPServer, error) {
	wrap, cfg, err := o.ServerOption()
	if err != nil {
		return nil, err
	}
	return &TCPServer{TCPServer: tcpserver.New(handler, append(opts, wrap)...), Config: cfg}, nil
}

// NewHTTPServer is chapter 4's HTTPServer over TLS: https.
func NewHTTPServer(app tcpserver.Application, o Options, opts ...tcpserver.ServerOption) (*tcpserver.HTTPServer, error) {
	wrap, _, err := o.ServerOption()
	if err != nil {
		return nil, err
	}
	return tcpserver.NewHTTPServer(app, append(opts, wrap)...), nil
}

// NewEchoServer is chapter 4's EchoServer over TLS.
func NewEchoServer(o Options, opts ...tcpserver.ServerOption) (*tcpserver.EchoServer, error) {
	wrap, _, err := o.ServerOption()
	if err != nil {
		return nil, err
	}
	return tcpserver.NewEchoServer(append(opts, wrap)...), nil
}

// ServerOption checks o and returns the chapter 4 server option that wraps every accepted
// socket in TLS, with the configuration it uses. Any server built on chapter 4's TCPServer
// takes it, chapter 5's multi-process one included.
func (o Options) ServerOption() (tcpserver.ServerOption, *tls.Config, error) {
	cfg, err := o.TLSConfig()
	if err != nil {
		return nil, nil, err
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	timeout := o.HandshakeTimeout
	if timeout == 0 {
		timeout = DefaultHandshakeTimeout
	}
	limit := o.MaxHandshakes
	if limit <= 0 {
		limit = DefaultMaxHandshakes
	}
	// The count is the loop's: every wrap and every transport call runs on its goroutine. A
	// server in several processes has one count per process.
	inFlight := new(int)
	wrap := func(loop *ioloop.IOLoop, sock *tcpserver.SocketTransport) (tcpserver.Transport, error) {
		if *inFlight >= limit {
			return nil, ErrTooManyHandshakes
		}
		st := settings{loop: loop, log: log, timeout: timeout, inFlight: inFlight}
		return newTransport(sock, cfg, true, st), nil
	}
	return tcpserver.WithTransport(wrap), cfg, nil
}
