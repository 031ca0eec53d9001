// Timeouts: how long EchoServer and HTTPServer wait on a client before they close its
// connection. Tornado 3.2 has none: a client that connects and sends a byte now and then holds
// its connection, and a descriptor, for ever. Tornado 4.0 gave HTTPServer
// idle_connection_timeout (default 3600 s, and also the time allowed for a head) and
// body_timeout (default none).

package tcpserver

import "time"

const (
	// DefaultHeaderTimeout is how long HTTPServer waits for a request head: 60 s, nginx's
	// client_header_timeout and Node's headersTimeout. A real client sends its head in one
	// round trip; a minute leaves room for someone typing a request into nc by hand, and a
	// slowloris connection is gone within it.
	DefaultHeaderTimeout = 60 * time.Second

	// DefaultIdleTimeout is how long HTTPServer keeps a keep-alive connection with no request
	// under way: 75 s, nginx's keepalive_timeout. An idle connection costs the loop nothing
	// but a descriptor, so the limit can be generous.
	DefaultIdleTimeout = 75 * time.Second

	// DefaultBodyTimeout is how long HTTPServer waits for a whole request body: 60 s, nginx's
	// client_body_timeout (which nginx counts between two reads; here it bounds the whole
	// body, as Tornado 4.0's body_timeout and Go's ReadTimeout do). A body of MaxBodySize then
	// needs 17 KiB/s, slower than any link a reader will test on.
	DefaultBodyTimeout = 60 * time.Second
)

// timeouts are a server's limits; zero means none.
type timeouts struct {
	header, idle, body time.Duration
}

// httpTimeouts are HTTPServer's defaults. EchoServer has none by default: the echo protocol's
// server never closes first.
var httpTimeouts = timeouts{
	header: DefaultHeaderTimeout,
	idle:   DefaultIdleTimeout,
	body:   DefaultBodyTimeout,
}

// A timeoutOption sets one of the timeouts. It is a ServerOption so that it can be given with
// the others, but TCPServer serves no requests and has nothing to time: EchoServer and
// HTTPServer pick these options out of the list they are given (withTimeouts).
type timeoutOption func(*timeouts)

func (timeoutOption) applyServer(*TCPServer) {}

// WithHeaderTimeout sets how long HTTPServer waits for a request head: from the moment the
// connection is accepted for the first request, and for each later one from the moment its
// first bytes are seen (see HTTPServer). A connection that has not sent a whole head by then is
// closed without an answer, as nginx and Go's net/http do. Zero or less: no limit. The default
// is DefaultHeaderTimeout. EchoServer ignores it.
func WithHeaderTimeout(d time.Duration) ServerOption {
	return timeoutOption(func(t *timeouts) { t.header = max(d, 0) })
}

// WithIdleTimeout sets how long a connection may wait with nothing under way before the server
// closes it. For HTTPServer that is a keep-alive connection between an answer and the next
// request (default DefaultIdleTimeout); for EchoServer, a connection that has had no line
// echoed for that long (default none). Zero or less: no limit.
func WithIdleTimeout(d time.Duration) ServerOption {
	return timeoutOption(func(t *timeouts) { t.idle = max(d, 0) })
}

// WithBodyTimeout sets how long HTTPServer waits for a request's body, from the end of its
// head; a connection whose body has not all come by then is closed. Zero or less: no limit. The
// default is DefaultBodyTimeout. EchoServer ignores it.
func WithBodyTimeout(d time.Duration) ServerOption {
	return timeoutOption(func(t *timeouts) { t.body = max(d, 0) })
}

// withTimeouts applies the timeout options among opts to the defaults t.
func withTimeouts(t timeouts, opts []ServerOption) timeouts {
	for _, opt := range opts {
		if set, ok := opt.(timeoutOption); ok {
			set(&t)
		}
	}
	return t
}
