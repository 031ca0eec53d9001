package catalog

func init() {
	register(
		withOptions(Entry{
			ID: "ch04/echo",
			Summary: "the EchoServer of Tornado's TCPServer docstring (4.5 on): a TCPServer whose " +
				"HandleStream reads a line with IOStream.ReadUntil and writes it back, on one IOLoop",
		}, listenEcho),
		withOptions(Entry{
			ID: "ch04/http",
			Summary: "Tornado's helloworld on an HTTPServer built on TCPServer: GET / answers " +
				"Hello, world (HTTP/1.1, keep-alive)",
			Protocol: "http",
		}, listenHelloWorld),
	)
}
