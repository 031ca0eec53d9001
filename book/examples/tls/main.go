// TLS is an echo server over TLS from a certificate file and a key file: Tornado's
// TCPServer(ssl_options={"certfile": …, "keyfile": …}), with chapter 6's ssl.NewTCPServer. The
// handler is the same kind as book/examples/echo's and sees plaintext: the TLS is the
// transport's business. `go run ./chapters gencert -dir /tmp/demo` makes a self-signed pair;
// then `go run ./book/examples/tls -certfile /tmp/demo/cert.pem -keyfile /tmp/demo/key.pem`
// runs it on port 8888, and `openssl s_client -connect 127.0.0.1:8888 -quiet` talks to it.
package main

import (
	"flag"
	"fmt"
	"log"
	"strings"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
	ssl "tornadotcp/ch06_ssl"
)

var (
	port     = flag.Int("port", 8888, "run on the given port")
	address  = flag.String("address", "", "listen on this address only (default every interface)")
	certfile = flag.String("certfile", "", "the server's certificate, PEM (ssl_options' certfile)")
	keyfile  = flag.String("keyfile", "", "its private key, PEM (ssl_options' keyfile)")
)

func main() {
	flag.Parse()
	if err := serve(); err != nil {
		log.Fatal(err)
	}
}

// serve makes the server, listens and runs the loop until it stops.
func serve() error {
	// The options are checked here, before any socket opens, as Tornado 3.2's TCPServer
	// checks its ssl_options: a missing file is an error, and (beyond 3.2) so is a key that
	// does not match the certificate.
	opts := ssl.Options{CertFile: *certfile, KeyFile: *keyfile}
	server, err := ssl.NewTCPServer(lineEcho{}, opts, tcpserver.WithMaxBufferSize(64<<10))
	if err != nil {
		return err
	}
	if err := server.Listen(*port, *address); err != nil {
		return err
	}
	loop, err := ioloop.Instance()
	if err != nil {
		return err
	}
	fmt.Println("listening on", strings.Join(server.Addrs(), " "))
	return loop.Start()
}

// lineEcho echoes each line back. The stream it is given is already the TLS one: its handshake
// runs (on a helper goroutine, stepped by the loop) while the first read waits, as in Tornado
// 3.2, where handle_stream gets an SSLIOStream whose handshake has not finished.
type lineEcho struct{}

func (lineEcho) HandleStream(stream *tcpserver.IOStream, _ string) {
	var echo func(line []byte)
	read := func() {
		if err := stream.ReadUntil([]byte("\n"), echo); err != nil {
			stream.Close()
		}
	}
	echo = func(line []byte) {
		if err := stream.Write(line, read); err != nil {
			stream.Close()
		}
	}
	read()
}
