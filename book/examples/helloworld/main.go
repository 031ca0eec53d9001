// Helloworld is Tornado 3.2's demos/helloworld/helloworld.py in Go, main() line for line: an
// HTTPServer that answers GET / with "Hello, world", on port 8888 unless -port says otherwise.
// Copy it; `go run ./book/examples/helloworld` runs it, and `curl http://127.0.0.1:8888/` asks.
package main

import (
	"flag"
	"fmt"
	"log"
	"strings"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
)

// define("port", default=8888, help="run on the given port", type=int)
var port = flag.Int("port", 8888, "run on the given port")

// Not in helloworld.py, whose listen(options.port) binds every interface: -address narrows it
// (the example's test listens on 127.0.0.1 only).
var address = flag.String("address", "", "listen on this address only (default every interface)")

// MainHandler's get writes "Hello, world"; Application([(r"/", MainHandler)]) routes / to it.
// tcpserver.HelloWorld is both, as a function: 200 "Hello, world" for GET or HEAD /, 404 for
// any other path, 405 for any other method.
var application tcpserver.Application = tcpserver.HelloWorld

func main() {
	flag.Parse()                                               // tornado.options.parse_command_line()
	httpServer := tcpserver.NewHTTPServer(application)         // tornado.httpserver.HTTPServer(application)
	if err := httpServer.Listen(*port, *address); err != nil { // http_server.listen(options.port)
		log.Fatal(err)
	}
	loop, err := ioloop.Instance() // tornado.ioloop.IOLoop.instance()
	if err != nil {
		log.Fatal(err)
	}
	// helloworld.py prints nothing; this says where it listens, with the real port for -port 0.
	fmt.Println("listening on", strings.Join(httpServer.Addrs(), " "))
	if err := loop.Start(); err != nil { // .start()
		log.Fatal(err)
	}
}
