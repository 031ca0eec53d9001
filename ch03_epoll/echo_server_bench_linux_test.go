// Echo ping-pong in one process, chapter 3's servers beside the net baseline and chapter 2's
// poll server: `go test -bench EchoPingPong -run '^$' ./ch03_epoll/`. The client is one blocking
// socket on a goroutine locked to its thread, so its CPU time can be told from the server's.

package ioloop_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tornadotcp/internal/catalog"
)

// cpuTime is the CPU time used by this process (who is RUSAGE_SELF) or the calling thread
// (RUSAGE_THREAD).
func cpuTime(tb testing.TB, who int) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(who, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEchoPingPong reports, besides the round trip's ns/op and the process's allocs/op, the
// CPU the server side spent per message (server-ns/op): the process's CPU time less the client
// thread's, which leaves the server and the Go runtime's own work for it.
func BenchmarkEchoPingPong(b *testing.B) {
	for _, id := range []string{"ch00/net", "ch02/poll", "ch03/epoll", "ch03/poll"} {
		b.Run(strings.ReplaceAll(id, "/", "_"), func(b *testing.B) {
			e, err := catalog.Lookup(id)
			if err != nil {
				b.Fatal(err)
			}
			s, err := e.Listen("127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- s.Serve() }()
			defer func() {
				if err := s.Stop(); err != nil {
					b.Error(err)
				}
				if err := <-served; err != nil {
					b.Error(err)
				}
			}()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			fd := rawDial(b, s.Addr())
			msg := []byte("a line of sixty-four bytes, the size the benchmarks send......\n")
			roundTrip := pingPong(b, fd, msg, make([]byte, len(msg)))
			for range 100 {
				roundTrip()
			}

			b.ReportAllocs()
			process, client := cpuTime(b, unix.RUSAGE_SELF), cpuTime(b, unix.RUSAGE_THREAD)
			n := 0
			for b.Loop() {
				roundTrip()
				n++
			}
			server := cpuTime(b, unix.RUSAGE_SELF) - process - (cpuTime(b, unix.RUSAGE_THREAD) - client)
			b.ReportMetric(float64(server.Nanoseconds())/float64(n), "server-ns/op")
		})
	}
}
