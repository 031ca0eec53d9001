// What an HTTP connection waits for, and how long: the header, idle and body timeouts on one
// ioloop.Deadline per connection; and the empty lines a client may send before a request.
// Tornado 3.2's HTTPConnection has no timeouts; Tornado 4.0's HTTP1ServerConnection wraps the
// read of each head and body in gen.with_timeout.

package tcpserver

import "bytes"

// waitPhase is what a connection waits for. Each phase has its own timeout, and entering a
// phase sets the connection's deadline from now: a clock read and a store (ioloop.Deadline), so
// the timeouts cost a keep-alive request no allocation and no timer of its own.
type waitPhase uint8

const (
	// waitingHead: a request head, for HeaderTimeout. For a connection's first request it
	// counts from the accept, as nginx's client_header_timeout and Go's ReadHeaderTimeout do: a
	// client that connects and sends nothing is a slowloris' first move. For a later request it
	// counts from the moment the server sees the request has begun (see timedOut).
	waitingHead waitPhase = iota
	// waitingIdle: between an answer and the next request, for IdleTimeout.
	waitingIdle
	// waitingBody: a request's body, for BodyTimeout, counted from the end of its head.
	waitingBody
	// answering: the server has the request; no timeout.
	answering
)

// startTimeouts gives the connection a deadline when the server has any timeout, and starts
// waiting for the first head.
func (c *httpConn) startTimeouts() {
	if c.server.timeouts != (timeouts{}) {
		c.deadline = c.stream.loop.NewDeadline(c.timedOut)
	}
	c.wait(waitingHead)
}

// wait enters phase p and sets the deadline that goes with it. While idle with no idle timeout,
// the header timeout paces the checks for a request that has begun (timedOut).
func (c *httpConn) wait(p waitPhase) {
	c.waiting = p
	if c.deadline == nil {
		return
	}
	t := &c.server.timeouts
	d := t.header
	switch p {
	case waitingIdle:
		if t.idle > 0 {
			d = t.idle
		}
	case waitingBody:
		d = t.body
	case answering:
		d = 0
	}
	if d > 0 {
		c.deadline.Set(d)
	} else {
		c.deadline.Clear()
	}
}

// nextRequest runs once an answer has gone to the kernel: the connection waits for its next
// request, whose head has begun already if the client pipelined it.
func (c *httpConn) nextRequest() {
	if c.stream.unread() > 0 {
		c.wait(waitingHead)
	} else {
		c.wait(waitingIdle)
	}
	c.readNextHead()
}

// timedOut runs when the deadline passes, and closes the connection unless it was idle and
// has begun a request meanwhile. The stream tells no one when the first bytes of a head arrive
// (it reports the whole head), so the header timeout of a keep-alive request starts when the
// idle deadline finds those bytes waiting: a request begun on a keep-alive connection gets at
// most IdleTimeout and HeaderTimeout together. Go's net/http, a goroutine blocked in a read per
// connection, starts it at the first bytes exactly.
//
// A connection timed out is closed without an answer, as nginx does (it ends the request with
// 408, which only its access log sees) and Go's net/http does: an answer on an idle keep-alive
// connection could cross the client's next request, and the client would take it for that
// request's answer; and a slowloris reads nothing anyway.
func (c *httpConn) timedOut() {
	t := &c.server.timeouts
	switch c.waiting {
	case waitingIdle:
		if c.stream.unread() > 0 {
			c.wait(waitingHead)
			return
		}
		if t.idle == 0 {
			c.wait(waitingIdle)
			return
		}
		endIdle(c.stream)
		return
	case waitingHead:
		c.server.log.Info("tcpserver: closing a connection whose request head took too long",
			"address", c.address, "timeout", t.header)
	case waitingBody:
		c.server.log.Info("tcpserver: closing a connection whose request body took too long",
			"address", c.address, "timeout", t.body)
	}
	c.stream.Close()
}

// crlf is the line ending HTTP asks for.
var crlf = []byte("\r\n")

// skipEmptyLines drops the empty lines before a request line: RFC 9112 §2.2 says a server
// SHOULD ignore at least one, for the old clients that sent CRLF after a POST body, where it
// arrives before the next request line. Like nginx, which skips any number of CR and LF bytes
// there, this skips any number of empty lines; they count towards the head's size and time
// limits, and a lone CR, which ends no line, is left to fail as a request line. Tornado 3.2
// read the empty line as a malformed request line and closed the connection; 4.1 strips
// leading CR and LF bytes (lstrip), as Go's net/http does with up to four of them after a POST.
func skipEmptyLines(head []byte) []byte {
	for {
		switch {
		case bytes.HasPrefix(head, crlf):
			head = head[2:]
		case len(head) > 0 && head[0] == '\n':
			head = head[1:]
		default:
			return head
		}
	}
}
