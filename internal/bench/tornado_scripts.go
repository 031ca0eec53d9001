// The real Tornado's servers, as the bench runs them: two small Python programs of our own,
// kept here as text and written to a temporary directory when a plan needs them.

package bench

// tornadoServe is what both programs share: bind the address given on the command line with
// Tornado's bind_sockets, catch SIGINT and SIGTERM before saying where it listens (whoever
// reads that line may signal at once), print `listening on HOST:PORT` from the bound socket,
// and on a signal stop listening, close the connections and exit with status 0, as
// `chapters run` does. asyncio.run needs Tornado 5 or later, where the IOLoop is asyncio's.
const tornadoServe = `import asyncio
import resource
import signal
import sys


def raise_descriptor_limit():
    # Go raises its own soft limit on open files to the hard limit when it starts; do the
    # same, so that a scenario with thousands of connections measures Tornado, not a ulimit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


async def serve(make_server, host, port):
    from tornado.netutil import bind_sockets

    server = make_server()
    sockets = bind_sockets(port, host)
    server.add_sockets(sockets)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    bound_host, bound_port = sockets[0].getsockname()[:2]
    if ":" in bound_host:
        bound_host = "[" + bound_host + "]"
    print("listening on %s:%d" % (bound_host, bound_port), flush=True)
    await stopping.wait()
    server.stop()
    await server.close_all_connections()


def main(make_server):
    if len(sys.argv) != 3:
        sys.exit("usage: %s HOST PORT" % sys.argv[0])
    raise_descriptor_limit()
    asyncio.run(serve(make_server, sys.argv[1], int(sys.argv[2])))
`

// tornadoEchoScript is tornado/echo: a TCPServer whose handle_stream reads a line with
// read_until and writes it back, with the echo protocol's 64 KiB line limit as
// max_buffer_size. It keeps its streams so that it can close them when told to stop.
const tornadoEchoScript = `# tornado/echo: the echo protocol on the real Tornado's TCPServer, for chapters bench.
# Usage: python3 tornado_echo.py HOST PORT (port 0 picks one); the first line out says where.
` + tornadoServe + `

from tornado.iostream import StreamClosedError
from tornado.tcpserver import TCPServer

MAX_LINE = 64 * 1024 + 1  # 64 KiB of line and its newline


class EchoServer(TCPServer):
    def __init__(self):
        super().__init__(max_buffer_size=MAX_LINE)
        self.streams = set()

    async def handle_stream(self, stream, address):
        self.streams.add(stream)
        try:
            while True:
                line = await stream.read_until(b"\n")
                await stream.write(line)
        except StreamClosedError:
            pass
        finally:
            self.streams.discard(stream)

    async def close_all_connections(self):
        for stream in list(self.streams):
            stream.close()
        # Each handler sees its stream closed on a later pass of the loop; give them a few.
        for _ in range(100):
            if not self.streams:
                break
            await asyncio.sleep(0)


if __name__ == "__main__":
    main(EchoServer)
`

// tornadoHTTPScript is tornado/http: the helloworld, a tornado.web.Application whose one
// RequestHandler answers GET / with "Hello, world", on Tornado's HTTPServer.
const tornadoHTTPScript = `# tornado/http: the helloworld on the real Tornado's HTTPServer, for chapters bench.
# Usage: python3 tornado_http.py HOST PORT (port 0 picks one); the first line out says where.
` + tornadoServe + `

import tornado.httpserver
import tornado.web


class HelloHandler(tornado.web.RequestHandler):
    def get(self):
        self.write("Hello, world")


def make_server():
    return tornado.httpserver.HTTPServer(tornado.web.Application([(r"/", HelloHandler)]))


if __name__ == "__main__":
    main(make_server)
`
