package bench

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// sampleResults is a small summary as a run would produce it: the baseline, a threaded server
// that died at the largest size, and ping-pong rows given out of order.
func sampleResults() []Result {
	return []Result{
		{Server: "ch00/net", Scenario: Idle(1000), Idle: &IdleResult{Served: 1000, Seconds: 0.12, RSSPerConnKiB: 7.61, Threads: 6}},
		{Server: "ch00/net", Scenario: Idle(100), Idle: &IdleResult{Served: 100, Seconds: 0.01, RSSPerConnKiB: 7.7, Threads: 5}},
		{Server: "ch00/net", Scenario: PingPong(100), PingPong: &PingPongResult{Conns: 100, Messages: 74420, PerSecond: 74420, P50Micros: 1279, P99Micros: 3270, CPUMicrosPerMsg: 12.84}},
		{Server: "ch00/net", Scenario: PingPong(1), PingPong: &PingPongResult{Conns: 1, Messages: 6593, PerSecond: 6593, P50Micros: 143, P99Micros: 272, CPUMicrosPerMsg: 65.2}},
		{Server: "ch00/net", Scenario: IdleCPU(), IdleCPU: &IdleCPUResult{Conns: 100, CPUPerWallSecond: 0.001}},
		{Server: "ch01/threaded", Scenario: Idle(100), Idle: &IdleResult{Served: 100, Seconds: 0.04, RSSPerConnKiB: 28, Threads: 105}},
		{Server: "ch01/threaded", Scenario: Idle(1000), Idle: &IdleResult{Served: 612}, Died: "exit status 2: runtime: program exceeds 600-thread limit | boom; fatal error: thread exhaustion"},
		{Server: "ch01/threaded", Scenario: PingPong(1), PingPong: &PingPongResult{Conns: 1, Messages: 6111, PerSecond: 6111, P50Micros: 168, P99Micros: 310, CPUMicrosPerMsg: 76.9}},
		{Server: "ch02/poll", Scenario: WatchCost(1000), PingPong: &PingPongResult{Conns: 1, IdleConns: 1000, PerSecond: 5000, P50Micros: 190, CPUMicrosPerMsg: 120}},
		{Server: "ch02/poll", Scenario: WatchCost(0), PingPong: &PingPongResult{Conns: 1, PerSecond: 6000, P50Micros: 160, CPUMicrosPerMsg: 70}},
	}
}

// checkHelloWorldTwice asks addr for / twice on one connection and checks each answer: 200,
// "Hello, world", and the connection kept alive.
func checkHelloWorldTwice(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, dialTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(serveTimeout))
	r := bufio.NewReader(c)
	for i := range 2 {
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 || string(body) != helloWorld || resp.Close {
			t.Errorf("request %d: %d %q, close %v, %v", i+1, resp.StatusCode, body, resp.Close, err)
		}
	}
}
