package catalog

import tcpserver "tornadotcp/ch04_tcpserver"

func init() {
	register(
		Entry{
			ID:      "ch04/echo",
			Summary: "Tornado's EchoServer (the TCPServer docstring's example, since Tornado 4.5): a TCPServer whose HandleStream reads a line with IOStream.ReadUntil and writes it back, on one IOLoop",
			Listen:  listener(tcpserver.ListenEcho),
		},
		Entry{
			ID:       "ch04/http",
			Summary:  "Tornado's helloworld on an HTTPServer built on TCPServer: GET / answers Hello, world (HTTP/1.1, keep-alive)",
			Listen:   listener(tcpserver.ListenHelloWorld),
			Protocol: "http",
		},
	)
}
