//go:build !race

// What the timeouts cost a keep-alive request: the helloworld benchmark with the default
// timeouts and with none, in one run (compare their server-ns/req; allocations are the same).
//
//	go test -run '^$' -bench HTTPServerTimeouts -count 5 ./ch04_tcpserver/

package tcpserver

import "testing"

func BenchmarkHTTPServerTimeouts(b *testing.B) {
	b.Run("defaults", func(b *testing.B) { benchHelloWorld(b) })
	b.Run("none", func(b *testing.B) {
		benchHelloWorld(b, WithHeaderTimeout(0), WithIdleTimeout(0), WithBodyTimeout(0))
	})
}
