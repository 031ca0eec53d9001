//go:build !race

// What the servers cost per message: allocations (tests) and the loop thread's CPU (benchmarks).
// Not built with -race, whose sync.Pool drops a quarter of what is put back (see
// iostream_alloc_test.go).
//
//	go test -run '^$' -bench 'EchoServer|HTTPServer' -benchmem ./ch04_tcpserver/

package tcpserver

import (
	"testing"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// allocTarget is what allocServer needs of EchoServer and HTTPServer.
type allocTarget interface {
	Listen(port int, address string) error
	Addrs() []string
	Stop()
	CloseAllConnections()
}

// allocServer is a server on a loop of its own (not started) and a blocking client connected
// to it, all closed by the returned function once the loop has stopped.
func allocServer(tb testing.TB, newServer func(loop *ioloop.IOLoop) allocTarget) (
	loop *ioloop.IOLoop, client int, closeAll func()) {
	tb.Helper()
	loop, err := ioloop.New()
	if err != nil {
		tb.Fatal(err)
	}
	srv := newServer(loop)
	if err := srv.Listen(0, "127.0.0.1"); err != nil {
		loop.Close()
		tb.Fatal(err)
	}
	sa, family, err := blocking.ParseAddr(srv.Addrs()[0])
	if err == nil {
		client, err = blocking.Socket(family)
	}
	if err == nil {
		err = unix.Connect(client, sa)
	}
	if err != nil {
		srv.Stop()
		loop.Close()
		tb.Fatal(err)
	}
	unix.SetsockoptInt(client, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	return loop, client, func() {
		unix.Close(client)
		srv.Stop()
		srv.CloseAllConnections()
		loop.Close()
	}
}

// runLoop starts loop on its own goroutine and returns the function that stops it and waits.
func runLoop(tb testing.TB, loop *ioloop.IOLoop) (stop func()) {
	done := make(chan error, 1)
	go func() { done <- loop.Start() }()
	return func() {
		loop.Stop()
		if err := <-done; err != nil {
			tb.Error(err)
		}
	}
}

// helloRequest and its answer, the exchange of the keep-alive benchmarks: what wrk sends.
var helloRequest = []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1:8888\r\n\r\n")

func helloAnswer(tb testing.TB) []byte {
	req, err := ParseRequestHead(helloRequest)
	if err != nil {
		tb.Fatal(err)
	}
	return AppendHelloWorld(nil, req)
}

// exchange writes msg on the client and reads back len(reply) bytes into reply.
func exchange(tb testing.TB, client int, msg, reply []byte) {
	if err := writeFull(client, msg); err != nil {
		tb.Fatal(err)
	}
	if n, err := readFull(client, reply); n != len(reply) || err != nil {
		tb.Fatalf("reply: %d bytes, %v", n, err)
	}
}

// A line through EchoServer (accepted by TCPServer, read by ReadUntil, written back, and the
// next read started from the write's callback) allocates nothing.
func TestEchoServerAllocatesNothing(t *testing.T) {
	testutil.CheckLeaks(t)
	loop, client, closeAll := allocServer(t, func(l *ioloop.IOLoop) allocTarget { return NewEchoServer(WithIOLoop(l)) })
	defer closeAll()
	stop := runLoop(t, loop)
	defer stop()
	msg := []byte("a line of the echo protocol\n")
	reply := make([]byte, len(msg))
	exchange(t, client, msg, reply)
	if allocs := testing.AllocsPerRun(1000, func() { exchange(t, client, msg, reply) }); allocs > 0.01 {
		t.Errorf("%.2f allocations per echoed line, want none", allocs)
	}
}

// A keep-alive helloworld request costs the parser's three allocations (the head as a string,
// the Request, its Header) and nothing more: the answer is appended into the connection's
// buffer, written, and the next head read, with callbacks bound when the connection opened.
func TestHTTPServerKeepAliveAllocs(t *testing.T) {
	testutil.CheckLeaks(t)
	loop, client, closeAll := allocServer(t, func(l *ioloop.IOLoop) allocTarget { return NewHTTPServer(nil, WithIOLoop(l)) })
	defer closeAll()
	stop := runLoop(t, loop)
	defer stop()
	reply := make([]byte, len(helloAnswer(t)))
	exchange(t, client, helloRequest, reply)
	if string(reply) != string(helloAnswer(t)) {
		t.Fatalf("answer %q, want %q", reply, helloAnswer(t))
	}
	allocs := testing.AllocsPerRun(1000, func() { exchange(t, client, helloRequest, reply) })
	t.Logf("%.2f allocations per keep-alive request", allocs)
	if allocs > 3.01 {
		t.Errorf("%.2f allocations per keep-alive request, want the parser's 3", allocs)
	}
}

// BenchmarkEchoServer is BenchmarkIOStreamEcho's ping-pong through TCPServer and EchoServer:
// the server-ns/msg of the two differ by what the server layer adds.
func BenchmarkEchoServer(b *testing.B) {
	loop, client, closeAll := allocServer(b, func(l *ioloop.IOLoop) allocTarget { return NewEchoServer(WithIOLoop(l)) })
	defer closeAll()
	pingPong(b, loop, client)
}

// BenchmarkHTTPServerHelloWorld: one keep-alive client sending wrk's request and waiting for
// each answer; server-ns/req is the loop thread's CPU per request.
func BenchmarkHTTPServerHelloWorld(b *testing.B) { benchHelloWorld(b) }

// benchHelloWorld is BenchmarkHTTPServerHelloWorld on a server made with opts.
func benchHelloWorld(b *testing.B, opts ...ServerOption) {
	loop, client, closeAll := allocServer(b, func(l *ioloop.IOLoop) allocTarget {
		return NewHTTPServer(nil, append(opts, WithIOLoop(l))...)
	})
	defer closeAll()
	stop := runLoop(b, loop)
	reply := make([]byte, len(helloAnswer(b)))
	exchange(b, client, helloRequest, reply)
	cpu0 := loopThreadCPU(b, loop)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		exchange(b, client, helloRequest, reply)
	}
	b.StopTimer()
	b.ReportMetric(float64((loopThreadCPU(b, loop)-cpu0).Nanoseconds())/float64(b.N), "server-ns/req")
	stop()
}
