// Package netecho is chapter 0: the echo protocol on Go's net package, one goroutine per
// connection. It is the reference every chapter's transcripts are first compared with, and the
// baseline of every benchmark. It shares no code with the chapters, so that a framing bug there
// shows up as a difference here rather than hiding on both sides.
package netecho

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"log"
	"net"
	"sync"
)

// maxLine is the echo protocol's limit: 64 KiB of line, plus its '\n'.
const maxLine = 64<<10 + 1

// Server is an echo server on net.Listener.
type Server struct {
	ln    net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
	wg    sync.WaitGroup
}

// Listen listens on hostport ("127.0.0.1:0" picks a port).
func Listen(hostport string) (*Server, error) {
	ln, err := net.Listen("tcp", hostport)
	if err != nil {
		return nil, err
	}
	return &Server{ln: ln, conns: make(map[net.Conn]struct{})}, nil
}

// ListenTLS is Listen over crypto/tls with cfg: chapter 6's baseline (ch00/tls). Each
// connection's goroutine runs its handshake inside its first Read, as crypto/tls does on net.
func ListenTLS(hostport string, cfg *tls.Config) (*Server, error) {
	s, err := Listen(hostport)
	if err != nil {
		return nil, err
	}
	s.ln = tls.NewListener(s.ln, cfg)
	return s, nil
}

// Addr is the listening address with the real port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve accepts connections until Stop, then waits for every connection to end and returns nil.
func (s *Server) Serve() error {
	defer s.wg.Wait()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		if !s.track(c) {
			c.Close()
			return nil
		}
		go s.serve(c)
	}
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

// serve echoes each complete line as soon as it has arrived. bufio.Scanner starts with a 4 KiB
// buffer and grows it only for a long line, up to maxLine: past that it stops with ErrTooLong.
func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	sc := bufio.NewScanner(c)
	sc.Buffer(nil, maxLine)
	sc.Split(splitKeepingNewline)
	for sc.Scan() {
		if _, err := c.Write(sc.Bytes()); err != nil {
			return
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		log.Printf("netecho: %v: line longer than 64 KiB, closing", c.RemoteAddr())
	}
}

// splitKeepingNewline is bufio.ScanLines without its trimming: each token ends in '\n', and a
// final partial line is dropped.
func splitKeepingNewline(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, data[:i+1], nil
	}
	if atEOF {
		return len(data), nil, nil
	}
	return 0, nil, nil
}

// Stop closes the listener and every connection, and waits for Serve's goroutines to end.
// It may be called more than once.
func (s *Server) Stop() error {
	s.mu.Lock()
	s.done = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
