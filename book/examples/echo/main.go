// Echo is an echo server written with TCPServer, the Go twin of tornado32/echo.py: a handler
// whose HandleStream reads a line with ReadUntil and writes it back with Write, each with a
// callback, as Tornado 3.2's handle_stream would. Copy it; `go run ./book/examples/echo` runs
// it on port 8888, and `nc 127.0.0.1 8888` talks to it.
package main

import (
	"flag"
	"fmt"
	"log"
	"strings"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
)

var (
	port    = flag.Int("port", 8888, "run on the given port")
	address = flag.String("address", "", "listen on this address only (default every interface)")
)

func main() {
	flag.Parse()
	// Lines longer than 64 KiB end their connection, as the book's echo protocol says
	// (Tornado's max_buffer_size; its default is 100 MiB).
	server := tcpserver.New(echoServer{}, tcpserver.WithMaxBufferSize(64<<10))
	if err := server.Listen(*port, *address); err != nil {
		log.Fatal(err)
	}
	loop, err := ioloop.Instance()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening on", strings.Join(server.Addrs(), " "))
	if err := loop.Start(); err != nil {
		log.Fatal(err)
	}
}

// echoServer is the application's half of the server: Tornado subclasses TCPServer and
// overrides handle_stream; Go passes a value with a HandleStream method to tcpserver.New.
type echoServer struct{}

// HandleStream runs on the loop for each new connection. It must not block: it starts the first
// read and returns.
func (echoServer) HandleStream(stream *tcpserver.IOStream, address string) {
	c := &echoConnection{stream: stream}
	c.readLine()
}

// echoConnection is one client: read a line, write it back, read the next.
type echoConnection struct {
	stream *tcpserver.IOStream
}

// readLine asks for everything up to and including the next "\n"; echoLine gets it. A client
// that leaves while the read waits closes the stream, and echoLine is never called.
func (c *echoConnection) readLine() {
	if err := c.stream.ReadUntil([]byte("\n"), c.echoLine); err != nil {
		c.stream.Close()
	}
}

// echoLine writes the line back (Write copies it: data is only lent until echoLine returns),
// and reads the next line once the echo has gone to the kernel.
func (c *echoConnection) echoLine(data []byte) {
	if err := c.stream.Write(data, c.readLine); err != nil {
		c.stream.Close()
	}
}
