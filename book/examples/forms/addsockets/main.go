// Addsockets is the third of the tutorial's three ways to start a TCPServer (3. 高级多进程形式),
// line for line in Go: BindSockets, ForkProcesses(n) (0: one per CPU), and in each child a
// TCPServer made after the fork, given the sockets with AddSockets, then the loop. whoami says
// which child served you. `go run ./book/examples/forms/addsockets -procs 2`; Ctrl-C stops all.
//
//	sockets = bind_sockets(8888)
//	tornado.process.fork_processes(0)
//	server = TCPServer()
//	server.add_sockets(sockets)
//	IOLoop.instance().start()
//
// Each child is this program run again (chapter 5): its BindSockets adopts the sockets the
// parent bound, and ForkProcesses returns its task id at once. Between the fork and the server
// a child may do what it likes (open its own files, choose its own settings by task id): the
// flexibility the tutorial means.
package main

import (
	"flag"
	"fmt"
	"log"
	"strings"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
	process "tornadotcp/ch05_processes"
)

var (
	port    = flag.Int("port", 8888, "run on the given port")
	address = flag.String("address", "", "listen on this address only (default every interface)")
	procs   = flag.Int("procs", 0, "processes to fork (0: one per CPU, as fork_processes(0))")
)

func main() {
	flag.Parse()
	sockets, err := tcpserver.BindSockets(*port, *address, unix.AF_UNSPEC, 0, false) // sockets = bind_sockets(8888)
	if err != nil {
		log.Fatal(err)
	}
	if _, child := process.TaskID(); !child {
		var addrs []string
		for _, fd := range sockets {
			addr, err := blocking.LocalAddr(fd)
			if err != nil {
				log.Fatal(err)
			}
			addrs = append(addrs, addr)
		}
		fmt.Println("listening on", strings.Join(addrs, " "))
	}
	if _, err := process.ForkProcesses(*procs, process.DefaultMaxRestarts); err != nil { // fork_processes(0)
		log.Fatal(err)
	}
	echo := tcpserver.NewEchoServer()                // server = TCPServer()
	echo.Answer = process.Answer                     // (whoami, and burn N)
	if err := echo.AddSockets(sockets); err != nil { // server.add_sockets(sockets)
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
