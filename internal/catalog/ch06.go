// Chapter 6's servers: the complete TCPServer of the tutorial, chapter 5's form 2 with ssl options.

package catalog

import (
	"fmt"
	"os"
	"path/filepath"

	blocking "tornadotcp/ch01_blocking"
	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
	process "tornadotcp/ch05_processes"
	ssl "tornadotcp/ch06_ssl"
	"tornadotcp/internal/selfsigned"
)

func init() {
	register(
		withOptions(Entry{
			ID: "ch06/tls-echo",
			Summary: "chapter 4's EchoServer over TLS (ssl options: -cert, -key; a self-signed " +
				"pair is made when none is given): the handshake on a helper, the data on the loop; " +
				"-procs N forks as ch05/bind-start (default one process) and answers whoami",
			Protocol: "tls-echo",
			Procs:    true,
		}, listenTLSEcho),
		withOptions(Entry{
			ID: "ch06/https",
			Summary: "Tornado's helloworld over TLS: chapter 4's HTTPServer with ssl options (https); " +
				"-procs N forks as ch05/bind-start (default one process)",
			Protocol: "https",
			Procs:    true,
		}, listenHTTPS),
	)
}

// listenTLSEcho is ch06/tls-echo: chapter 4's EchoServer with o's certificate and idle timeout;
// in several processes it answers whoami and burn N as chapter 5's servers do.
func listenTLSEcho(hostport string, o Options) (Server, error) {
	if err := o.idleOnly("ch06/tls-echo"); err != nil {
		return nil, err
	}
	return tlsServer("ch06/tls-echo", hostport, o, func(opts []tcpserver.ServerOption) (loopServer, *tcpserver.TCPServer) {
		e := tcpserver.NewEchoServer(opts...)
		if o.Procs > 1 {
			e.Answer = process.Answer
		}
		return e, e.TCPServer
	})
}

// listenHTTPS is ch06/https: chapter 4's HTTPServer serving HelloWorld over TLS.
func listenHTTPS(hostport string, o Options) (Server, error) {
	return tlsServer("ch06/https", hostport, o, func(opts []tcpserver.ServerOption) (loopServer, *tcpserver.TCPServer) {
		h := tcpserver.NewHTTPServer(nil, opts...)
		return h, h.TCPServer
	})
}

// tlsServer is the complete TCPServer: chapter 5's form 2 (Bind, then Start(o.Procs); one
// process unless -procs says more) with the ssl options. They are checked before anything
// opens. With no certificate given, the parent makes a self-signed pair (certPair) and hands
// its paths to the children in their Options, so that every child, restarts included, serves
// the same certificate; the directory is removed once the server and its children have
// stopped. A child never makes a pair of its own.
func tlsServer(id, hostport string, o Options, newServer func([]tcpserver.ServerOption) (loopServer, *tcpserver.TCPServer)) (Server, error) {
	host, port, err := blocking.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	if o.Procs == 0 {
		o.Procs = 1 // chapter 6's servers run in one process unless told
	}
	var cleanup func()
	if o.CertFile, o.KeyFile, cleanup, err = certPair(id, o); err != nil {
		return nil, err
	}
	wrap, _, err := ssl.Options{CertFile: o.CertFile, KeyFile: o.KeyFile, HandshakeTimeout: o.HandshakeTimeout}.ServerOption()
	if err != nil {
		cleanup()
		return nil, err
	}
	s, err := bindStart(id, host, port, o, func(loop *ioloop.IOLoop) (loopServer, *tcpserver.TCPServer) {
		opts := append(o.timeouts(), wrap)
		if loop != nil {
			opts = append(opts, tcpserver.WithIOLoop(loop))
		}
		return newServer(opts)
	}, cleanup)
	if err != nil {
		cleanup()
		return nil, err
	}
	return s, nil
}

// certPair is o's certificate and key or, when none is given, a self-signed pair made in a new
// temporary directory, said on standard error; cleanup removes that directory (it does nothing
// for a pair that was given) and is for when the server stops.
func certPair(id string, o Options) (cert, key string, cleanup func(), err error) {
	cert, key, cleanup = o.CertFile, o.KeyFile, func() {}
	if cert != "" || key != "" {
		return cert, key, cleanup, nil
	}
	if cert, key, err = selfsigned.Write(""); err != nil {
		return "", "", nil, fmt.Errorf("%s: making a self-signed certificate: %w", id, err)
	}
	dir := filepath.Dir(cert)
	cleanup = func() { os.RemoveAll(dir) }
	fmt.Fprintf(os.Stderr, "%s: no -cert given; made a self-signed certificate for localhost, "+
		"127.0.0.1 and ::1: %s (key %s), removed when the server stops\n", id, cert, key)
	return cert, key, cleanup, nil
}
