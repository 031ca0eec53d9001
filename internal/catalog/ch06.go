package catalog

import (
	"fmt"
	"os"
	"path/filepath"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
	ssl "tornadotcp/ch06_ssl"
	"tornadotcp/internal/selfsigned"
)

func init() {
	register(
		withOptions(Entry{
			ID: "ch06/tls-echo",
			Summary: "chapter 4's EchoServer over TLS (ssl options: -cert, -key; a self-signed " +
				"pair is made when none is given): the handshake on a helper, the data on the loop",
			Protocol: "tls-echo",
		}, listenTLSEcho),
		withOptions(Entry{
			ID:       "ch06/https",
			Summary:  "Tornado's helloworld over TLS: chapter 4's HTTPServer with ssl options (https)",
			Protocol: "https",
		}, listenHTTPS),
	)
}

// listenTLSEcho is ch06/tls-echo: chapter 4's EchoServer with o's certificate and idle timeout.
func listenTLSEcho(hostport string, o Options) (*runner, error) {
	if err := o.idleOnly("ch06/tls-echo"); err != nil {
		return nil, err
	}
	return tlsRunner("ch06/tls-echo", hostport, o, func(opts []tcpserver.ServerOption) loopServer {
		return tcpserver.NewEchoServer(opts...)
	})
}

// listenHTTPS is ch06/https: chapter 4's HTTPServer serving HelloWorld over TLS.
func listenHTTPS(hostport string, o Options) (*runner, error) {
	return tlsRunner("ch06/https", hostport, o, func(opts []tcpserver.ServerOption) loopServer {
		return tcpserver.NewHTTPServer(nil, opts...)
	})
}

// tlsRunner checks the ssl options before anything opens (see certPair), then runs newServer
// with the TLS option, o's timeouts and its loop.
func tlsRunner(id, hostport string, o Options, newServer func([]tcpserver.ServerOption) loopServer) (*runner, error) {
	cert, key, cleanup, err := certPair(id, o)
	if err != nil {
		return nil, err
	}
	wrap, _, err := ssl.Options{CertFile: cert, KeyFile: key, HandshakeTimeout: o.HandshakeTimeout}.ServerOption()
	if err != nil {
		cleanup()
		return nil, err
	}
	r, err := newRunner(hostport, func(loop *ioloop.IOLoop) loopServer {
		return newServer(append(o.timeouts(), wrap, tcpserver.WithIOLoop(loop)))
	})
	if err != nil {
		cleanup()
		return nil, err
	}
	r.cleanup = cleanup
	return r, nil
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
