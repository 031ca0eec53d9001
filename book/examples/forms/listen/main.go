// Listen is the first of the tutorial's three ways to start a TCPServer ("TCPServer的三种形式",
// 1. 单进程形式), line for line in Go: one process, Listen, then the loop. The server is chapter
// 4's EchoServer answering whoami as chapter 5's do (`task=none`: no process was forked).
// `go run ./book/examples/forms/listen` serves on port 8888; `nc 127.0.0.1 8888` talks to it.
//
//	server = TCPServer()
//	server.listen(8888)
//	IOLoop.instance().start()
package main

import (
	"flag"
	"fmt"
	"log"
	"strings"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
	process "tornadotcp/ch05_processes"
)

var (
	port    = flag.Int("port", 8888, "run on the given port")
	address = flag.String("address", "", "listen on this address only (default every interface)")
)

func main() {
	flag.Parse()
	echo := tcpserver.NewEchoServer() // server = TCPServer()
	echo.Answer = process.Answer      // (whoami, and burn N)
	server := echo.TCPServer
	if err := server.Listen(*port, *address); err != nil { // server.listen(8888)
		log.Fatal(err)
	}
	loop, err := ioloop.Instance()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening on", strings.Join(server.Addrs(), " "))
	if err := loop.Start(); err != nil { // IOLoop.instance().start()
		log.Fatal(err)
	}
}
