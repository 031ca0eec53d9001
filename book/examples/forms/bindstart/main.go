// Bindstart is the second of the tutorial's three ways to start a TCPServer (2. 多进程形式),
// line for line in Go: Bind, then Start(n), which forks n processes (0: one per CPU) that share
// the listening socket, then the loop, in each child. whoami says which child served you.
// `go run ./book/examples/forms/bindstart -procs 2`; Ctrl-C stops the parent and its children.
//
//	server = TCPServer()
//	server.bind(8888)
//	server.start(0)  # Forks multiple sub-processes
//	IOLoop.instance().start()
//
// Go cannot fork a running runtime, so each child is this program run again (chapter 5): it
// runs main from the top, and its Bind adopts the socket the parent bound instead of binding
// again. Anything before Start runs in every process: the listening line is printed by the
// parent only, which is the one that is not a child yet.
package main

import (
	"flag"
	"fmt"
	"log"
	"strings"

	"golang.org/x/sys/unix"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
	process "tornadotcp/ch05_processes"
)

var (
	port    = flag.Int("port", 8888, "run on the given port")
	address = flag.String("address", "", "listen on this address only (default every interface)")
	procs   = flag.Int("procs", 0, "processes to fork (0: one per CPU, as start(0))")
)

func main() {
	flag.Parse()
	echo := tcpserver.NewEchoServer() // server = TCPServer()
	echo.Answer = process.Answer      // (whoami, and burn N)
	server := &process.TCPServer{TCPServer: echo.TCPServer}
	if err := server.Bind(*port, *address, unix.AF_UNSPEC, 0, false); err != nil { // server.bind(8888)
		log.Fatal(err)
	}
	if _, child := process.TaskID(); !child {
		fmt.Println("listening on", strings.Join(server.Addrs(), " "))
	}
	if err := server.Start(*procs); err != nil { // server.start(0): returns in each child
		log.Fatal(err)
	}
	loop, err := ioloop.Instance()
	if err != nil {
		log.Fatal(err)
	}
	if err := loop.Start(); err != nil { // IOLoop.instance().start()
		log.Fatal(err)
	}
}
