// One message's round trip through the loop, on each backend: a client goroutine writes 64 bytes
// on a blocking socket and waits for the echo; the loop's handler reads and writes them back.
// `go test -bench PingPong -run '^$' ./ch03_epoll/`

package ioloop

import (
	"testing"

	"golang.org/x/sys/unix"
)

func BenchmarkPingPong(b *testing.B) {
	for _, be := range testBackends() {
		b.Run(be.name, func(b *testing.B) {
			p, err := be.new()
			if err != nil {
				b.Fatal(err)
			}
			l, err := New(WithPoller(p))
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
			if err != nil {
				b.Fatal(err)
			}
			server, client := pair[0], pair[1]
			defer unix.Close(client)
			defer unix.Close(server)
			if err := unix.SetNonblock(server, true); err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 4096)
			if err := l.AddHandler(server, func(fd int, _ uint32) {
				for { // drained to EAGAIN, so the edge-triggered backend works too
					n, err := unix.Read(fd, buf)
					if n <= 0 || err != nil {
						return
					}
					unix.Write(fd, buf[:n])
				}
			}, READ); err != nil {
				b.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- l.Start() }()

			msg := make([]byte, 64)
			reply := make([]byte, 64)
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := unix.Write(client, msg); err != nil {
					b.Fatal(err)
				}
				for got := 0; got < len(reply); {
					n, err := unix.Read(client, reply[got:])
					if err != nil || n == 0 {
						b.Fatalf("read: %d, %v", n, err)
					}
					got += n
				}
			}
			b.StopTimer()
			l.Stop()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}
