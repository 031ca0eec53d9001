// Chapter 4's lesson for the tour: Tornado's TCPServer, started the tutorial's first way (New,
// Listen, then the loop's Start) with a HandleStream of the tour's own (this file); and
// keep-alive on the helloworld HTTPServer, measured from outside, in tour_ch04_http.go.

package main

import (
	"errors"
	"fmt"
	"time"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
	"tornadotcp/internal/echoclient"
)

// ch04Facts is what chapter 4's lesson measured, for the narration and for its test.
type ch04Facts struct {
	Form1     form1Facts
	KeepAlive keepAliveFacts
}

// How chapter 4's lesson is run by the tour: the sizes it uses.
var ch04Plan = struct {
	Line     string        // what the echo client sends to the form-1 server
	Within   time.Duration // the most the form-1 round trip may take, loop included
	Requests int           // HTTP requests in each of the two runs against ch04/http
}{
	Line:     "hello, TCPServer\n",
	Within:   5 * time.Second,
	Requests: 1000,
}

func ch04Lesson(env *tourEnv) error {
	_, err := runCh04(env)
	return err
}

func runCh04(env *tourEnv) (ch04Facts, error) {
	var f ch04Facts
	var err error
	env.say("The tutorial starts from helloworld.py: its main makes an HTTPServer, which is derived from")
	env.say("(派生自) TCPServer, listens, and starts the IOLoop. TCPServer itself never reads a byte: it hands")
	env.say("each connection, as an IOStream, to handle_stream, which Tornado leaves to subclasses by raising")
	env.say("NotImplementedError. Here it is the Handler interface, which the compiler checks. Live:")
	if f.Form1, err = startupForm1(env, ch04Plan.Line, ch04Plan.Within); err != nil {
		return f, fmt.Errorf("the first startup form: %w", err)
	}
	if f.KeepAlive, err = keepAlive(env, "ch04/http", ch04Plan.Requests); err != nil {
		return f, fmt.Errorf("ch04/http: %w", err)
	}
	return f, nil
}

// form1Facts is what the first startup form's run measured.
type form1Facts struct {
	Addr      string        // where Listen bound, with the port the kernel chose
	Client    string        // the client's own address, as its socket reports it
	Peer      string        // the address HandleStream was given for the connection
	Calls     int           // how many times HandleStream ran
	OnLoop    bool          // it ran on the loop's goroutine: ioloop.Current there was the loop started
	Line      string        // what HandleStream's read delivered
	Echo      string        // what the client got back
	RoundTrip time.Duration // from the client's send to its echo
}

// echoOnceHandler is the tour's application: its HandleStream reads one line and writes it
// back, then closes. It runs on the loop's goroutine, as every callback of the stream does.
type echoOnceHandler struct {
	loop    *ioloop.IOLoop
	streams []*tcpserver.IOStream
	f       *form1Facts
}

// HandleStream is what makes echoOnceHandler a tcpserver.Handler. Without it, tcpserver.New
// would not compile.
func (h *echoOnceHandler) HandleStream(stream *tcpserver.IOStream, address string) {
	h.f.Calls++
	h.f.Peer = address
	current, err := ioloop.Current()
	h.f.OnLoop = err == nil && current == h.loop
	h.streams = append(h.streams, stream)
	err = stream.ReadUntil([]byte("\n"), func(line []byte) {
		h.f.Line = string(line) // the stream's bytes are lent until this callback returns
		if stream.Write(line, stream.Close) != nil {
			stream.Close()
		}
	})
	if err != nil {
		stream.Close()
	}
}

// closeAll closes what HandleStream was given and has not closed yet.
func (h *echoOnceHandler) closeAll() {
	for _, s := range h.streams {
		s.Close()
	}
}

// startupForm1 runs Tornado's first startup form in this process: a TCPServer made with New and
// a handler, Listen, and the process's Instance loop started on this goroutine. Listen is given
// no loop and none runs here, so it takes the Instance, as Tornado's add_sockets takes
// IOLoop.current(). A client on another goroutine sends line, reads its echo and then asks the
// loop to stop the server and itself; Start returns and the Instance is closed.
func startupForm1(env *tourEnv, line string, within time.Duration) (form1Facts, error) {
	var f form1Facts
	h := &echoOnceHandler{f: &f}
	server := tcpserver.New(h)
	if err := server.Listen(0, "127.0.0.1"); err != nil {
		return f, err
	}
	loop, err := ioloop.Instance()
	if err != nil {
		server.Stop()
		return f, err
	}
	defer loop.Close()
	h.loop = loop
	f.Addr = server.Addrs()[0]

	type result struct {
		client, echo string
		took         time.Duration
		err          error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.took, r.client, r.echo, r.err = echoOnce(f.Addr, line, within)
		// Whatever happened, the loop is stopped: the server's methods belong to its goroutine.
		if err := loop.AddCallback(func() {
			server.Stop()
			h.closeAll()
			loop.Stop()
		}); err != nil && r.err == nil {
			r.err = err
		}
		done <- r
	}()
	if err := loop.Start(); err != nil {
		r := <-done // the client gave up; its callback to stop will never run
		server.Stop()
		h.closeAll()
		return f, errors.Join(err, r.err)
	}
	r := <-done
	f.Client, f.Echo, f.RoundTrip = r.client, r.echo, r.took
	if r.err != nil {
		return f, fmt.Errorf("client: %w", r.err)
	}
	if f.Calls != 1 || !f.OnLoop || f.Peer != f.Client || f.Line != line || f.Echo != line {
		return f, fmt.Errorf("%w: HandleStream ran %d times (on the loop: %v) for peer %q, the client was %q; it read %q, the client got %q back",
			errNotForm1, f.Calls, f.OnLoop, f.Peer, f.Client, f.Line, f.Echo)
	}

	env.say("")
	env.say("  server := tcpserver.New(handler); server.Listen(0, \"127.0.0.1\"); then the Instance loop's Start():")
	env.say("    listening on %s (Listen was given no loop and none was running, so it took", f.Addr)
	env.say("    the process's Instance, as Tornado's add_sockets takes IOLoop.current())")
	env.say("    a client connected from %s and sent %q", f.Client, line)
	env.say("    HandleStream(stream, %q) ran once, on the loop's own goroutine: it asked the", f.Peer)
	env.say("    stream for a line (ReadUntil), and when it came wrote it back (Write), closing once it had gone")
	env.say("    the client got %q back %s after sending it", f.Echo, roundDuration(f.RoundTrip))
	return f, nil
}

// errNotForm1 means the first startup form did not run as the chapter says: HandleStream was not
// called once, on the loop, for the client's connection, or the line did not come back.
var errNotForm1 = errors.New("the server did not hand the connection to HandleStream and echo it")

// echoOnce connects to addr, sends line and reads one line back, within timeout; it returns the
// round trip, the client's own address and the line it got.
func echoOnce(addr, line string, timeout time.Duration) (time.Duration, string, string, error) {
	c, err := echoclient.Dial(addr, timeout)
	if err != nil {
		return 0, "", "", err
	}
	defer c.Close()
	start := time.Now()
	if err := c.SetDeadline(start.Add(timeout)); err != nil {
		return 0, "", "", err
	}
	if err := c.Send([]byte(line)); err != nil {
		return 0, c.LocalAddr(), "", err
	}
	echo, err := c.ReadLine()
	return time.Since(start), c.LocalAddr(), string(echo), err
}
