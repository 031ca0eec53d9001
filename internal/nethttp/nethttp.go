// Package nethttp is the HTTP baseline: Tornado's helloworld (GET / answers "Hello, world") on
// Go's net/http, a goroutine per connection. It is to ch04/http what netecho is to the echo
// servers: the reference every chapter's HTTP server is measured against. The benchmarks pin it
// to one CPU, and the Go runtime then sets GOMAXPROCS to 1 by itself (it counts the CPUs the
// process may run on); Serve logs the value so a run can show it.
package nethttp

import (
	"crypto/tls"
	"errors"
	"log"
	"net"
	"net/http"
	"runtime"
	"sync"
)

// helloWorld is the whole body, as Tornado's helloworld.py writes it.
const helloWorld = "Hello, world"

// Server is the helloworld on net/http.
type Server struct {
	ln    net.Listener
	srv   *http.Server
	conns sync.WaitGroup // one per connection, from StateNew to StateClosed
	stop  sync.Once
}

// Listen listens on hostport ("127.0.0.1:0" picks a port).
func Listen(hostport string) (*Server, error) {
	ln, err := net.Listen("tcp", hostport)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln}
	mux := http.NewServeMux()
	// "GET /{$}" is exactly "/" for GET and HEAD: another path is 404, another method 405.
	mux.HandleFunc("GET /{$}", hello)
	s.srv = &http.Server{Handler: mux, ConnState: s.track}
	return s, nil
}

// ListenTLS is Listen over crypto/tls with cfg: the HTTPS baseline (ch00/https). The config
// offers no "h2", so clients speak HTTP/1.1, as they do to chapter 6's https.
func ListenTLS(hostport string, cfg *tls.Config) (*Server, error) {
	s, err := Listen(hostport)
	if err != nil {
		return nil, err
	}
	s.ln = tls.NewListener(s.ln, cfg)
	return s, nil
}

// hello writes the body with its type set, so net/http need not sniff it.
func hello(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.Write([]byte(helloWorld))
}

// track counts the connections: http.Server.Serve returns as soon as its listener is closed,
// while the contract is to return once every connection is closed too. net/http reports
// StateNew on the accepting goroutine, before the connection's own starts, so no Add can come
// after Serve's Wait has begun.
func (s *Server) track(_ net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		s.conns.Add(1)
	case http.StateClosed, http.StateHijacked:
		s.conns.Done()
	}
}

// Addr is the listening address with the real port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve answers requests until Stop, then waits for every connection to end and returns nil.
func (s *Server) Serve() error {
	log.Printf("nethttp: serving on %s with GOMAXPROCS %d", s.Addr(), runtime.GOMAXPROCS(0))
	err := s.srv.Serve(s.ln)
	s.conns.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Stop closes the listener and every connection at once (http.Server.Close, not the graceful
// Shutdown: a benchmark's clients are gone or about to be). It may be called more than once.
func (s *Server) Stop() error {
	var err error
	s.stop.Do(func() {
		err = s.srv.Close()
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
	})
	return err
}
