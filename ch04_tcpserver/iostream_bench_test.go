// What the stream costs per message and per byte:
//
//	go test -run '^$' -bench 'IOStreamEcho|RawHandlerEcho|IOStreamBulk' -benchmem ./ch04_tcpserver/
//
// BenchmarkIOStreamEcho is the EchoServer of Tornado 4.5's docstring on a stream (ReadUntil("\n"),
// Write, ReadUntil again); BenchmarkRawHandlerEcho is the same echo on chapter 3's loop with a raw
// handler over chapter 2's EchoConn, the baseline the stream must stay close to. Each reports the
// CPU time the loop's thread spent per message (server-ns/msg), measured with
// CLOCK_THREAD_CPUTIME_ID on that thread, beside the round trip's wall time and the allocations.

package tcpserver

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	nonblocking "tornadotcp/ch02_nonblocking"
	ioloop "tornadotcp/ch03_epoll"
)

var newline = []byte("\n")

// echoHandler is an echo connection as an application writes it: its callback is bound once,
// so starting the next read allocates nothing.
type echoHandler struct {
	s    *IOStream
	echo func([]byte)
}

func newEchoHandler(s *IOStream) *echoHandler {
	e := &echoHandler{s: s}
	e.echo = func(line []byte) {
		e.s.Write(line, nil)
		e.s.ReadUntil(newline, e.echo)
	}
	return e
}

// benchConn is the far end of a benchmark's connection, a blocking descriptor, and the
// server's end, non-blocking; over a socketpair or loopback TCP.
type benchConn struct {
	name    string
	connect func(b *testing.B) (server, client int)
}

var benchConns = []benchConn{
	{name: "socketpair", connect: func(b *testing.B) (int, int) { return streamSocketpair(b) }},
	{name: "tcp", connect: tcpConnPair},
}

// tcpConnPair connects a blocking client to a listener on loopback and returns the accepted
// server side and the client, both with Nagle off, as a request-response server would set.
func tcpConnPair(b *testing.B) (server, client int) {
	ln, err := nonblocking.Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(ln)
	addr, _ := blocking.LocalAddr(ln)
	sa, family, _ := blocking.ParseAddr(addr)
	client, err = blocking.Socket(family)
	if err != nil {
		b.Fatal(err)
	}
	if err := unix.Connect(client, sa); err != nil {
		b.Fatal(err)
	}
	server, _, err = blocking.Accept(ln)
	if err != nil {
		b.Fatal(err)
	}
	for _, fd := range []int{server, client} {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	return server, client
}

// pingPong sends 64-byte lines from the client and waits for each echo, b.N times, with the
// loop running on its own goroutine; it reports the loop thread's CPU per message.
func pingPong(b *testing.B, l *ioloop.IOLoop, client int) {
	done := make(chan error, 1)
	go func() { done <- l.Start() }()
	msg := append(make([]byte, 63, 64), '\n')
	for i := range msg[:63] {
		msg[i] = 'a' + byte(i%26)
	}
	reply := make([]byte, 64)
	roundTrip := func() {
		if err := writeFull(client, msg); err != nil {
			b.Fatal(err)
		}
		if n, err := readFull(client, reply); n != len(reply) || err != nil {
			b.Fatalf("echo: %d bytes, %v", n, err)
		}
	}
	roundTrip() // the first read registers the stream; not part of the measurement
	cpu0 := loopThreadCPU(b, l)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		roundTrip()
	}
	b.StopTimer()
	cpu := loopThreadCPU(b, l) - cpu0
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "server-ns/msg")
	l.Stop()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// loopThreadCPU is the CPU time used so far by the thread the loop runs on, read on it.
func loopThreadCPU(b *testing.B, l *ioloop.IOLoop) time.Duration {
	got := make(chan time.Duration, 1)
	if err := l.AddCallback(func() {
		var ts unix.Timespec
		unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
		got <- time.Duration(ts.Nano())
	}); err != nil {
		b.Fatal(err)
	}
	return <-got
}

func BenchmarkIOStreamEcho(b *testing.B) {
	for _, c := range benchConns {
		b.Run(c.name, func(b *testing.B) {
			l, err := ioloop.New()
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			server, client := c.connect(b)
			defer unix.Close(client)
			tr, err := NewSocketTransport(server)
			if err != nil {
				b.Fatal(err)
			}
			s := NewIOStream(l, tr)
			defer s.Close()
			s.ReadUntil(newline, newEchoHandler(s).echo)
			pingPong(b, l, client)
		})
	}
}

func BenchmarkRawHandlerEcho(b *testing.B) {
	for _, c := range benchConns {
		b.Run(c.name, func(b *testing.B) {
			l, err := ioloop.New()
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			server, client := c.connect(b)
			defer unix.Close(client)
			if err := unix.SetNonblock(server, true); err != nil {
				b.Fatal(err)
			}
			conn := nonblocking.NewEchoConn(server)
			defer conn.Close()
			buf := make([]byte, 64<<10)
			events := ioloop.READ
			if err := l.AddHandler(server, func(_ int, ev uint32) {
				if ev&(ioloop.READ|ioloop.ERROR) != 0 {
					conn.HandleRead(buf)
				}
				if ev&ioloop.WRITE != 0 {
					conn.HandleWrite()
				}
				want := ioloop.NONE
				if conn.WantRead() {
					want |= ioloop.READ
				}
				if conn.WantWrite() {
					want |= ioloop.WRITE
				}
				if want != events {
					events = want
					l.UpdateHandler(server, want)
				}
			}, events); err != nil {
				b.Fatal(err)
			}
			defer l.RemoveHandler(server)
			pingPong(b, l, client)
		})
	}
}

// BenchmarkIOStreamBulk moves 8 MiB per operation into a streaming ReadBytes, with Tornado's
// 4 KiB read chunk and with this package's 16 KiB one.
func BenchmarkIOStreamBulk(b *testing.B) {
	const size = 8 << 20
	data := streamPattern(size)
	for _, chunk := range []int{4 << 10, DefaultReadChunkSize} {
		b.Run(fmt.Sprintf("chunk=%dKiB", chunk>>10), func(b *testing.B) {
			l, err := ioloop.New()
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			server, client := streamSocketpair(b)
			defer unix.Close(client)
			tr, err := NewSocketTransport(server)
			if err != nil {
				b.Fatal(err)
			}
			s := NewIOStream(l, tr, WithReadChunkSize(chunk))
			defer s.Close()
			loopDone := make(chan error, 1)
			go func() { loopDone <- l.Start() }()
			got := make(chan int, 1)
			b.SetBytes(size)
			b.ResetTimer()
			for range b.N {
				n := 0
				l.AddCallback(func() {
					s.ReadBytes(size, func([]byte) { got <- n }, func(p []byte) { n += len(p) })
				})
				if err := writeFull(client, data); err != nil {
					b.Fatal(err)
				}
				if n := <-got; n != size {
					b.Fatalf("read %d bytes, want %d", n, size)
				}
			}
			b.StopTimer()
			l.Stop()
			if err := <-loopDone; err != nil {
				b.Fatal(err)
			}
		})
	}
}
