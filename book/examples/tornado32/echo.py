# An echo server on Tornado 3.2's callback API, the twin of ../echo/main.go: a TCPServer
# subclass whose handle_stream reads a line with read_until and writes it back with write, each
# with a callback. Tornado 6.0 removed these callback arguments; this runs on Tornado 3.2
# (checked with 3.2.2 under Python 2.7 and 3.11).
#
#   python echo.py --port=8888
from tornado.ioloop import IOLoop
from tornado.options import define, options, parse_command_line
from tornado.tcpserver import TCPServer

define("port", default=8888, help="run on the given port", type=int)


class EchoServer(TCPServer):
    def handle_stream(self, stream, address):
        EchoConnection(stream)


class EchoConnection(object):
    def __init__(self, stream):
        self.stream = stream
        self.read_line()

    def read_line(self):
        self.stream.read_until(b"\n", self.echo_line)

    def echo_line(self, data):
        if not self.stream.closed():
            self.stream.write(data, self.read_line)


if __name__ == "__main__":
    parse_command_line()
    server = EchoServer()
    server.listen(options.port)
    IOLoop.instance().start()
