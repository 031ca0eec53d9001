// C10K on one thread: ten thousand connections held and served by one loop, its process counted
// from outside.

package ioloop_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

const (
	// c10kConns is how many connections the test holds at once.
	c10kConns = 10_000
	// c10kServerEnv, set in a child process of the test binary, makes the test the server.
	c10kServerEnv = "TORNADOTCP_CH03_C10K_SERVER"
	// maxThreads is the most OS threads the server's whole process may have: the loop's and
	// the Go runtime's few, however many connections there are.
	maxThreads = 8
)

// Ten thousand clients connect, then each sends one line and gets its echo, while all of them
// stay connected: one loop thread serves them all, and the server's process has no more than
// maxThreads OS threads. The server runs in a fresh process of this test binary: the Go runtime
// never ends an idle thread, so a thread count means something only in a process that other
// tests have not used, and each end of 10,000 connections needs 10,000 descriptors, more than
// one process may have under a common hard limit of 20,000.
func TestEchoServerTenThousandConnectionsOneThread(t *testing.T) {
	if os.Getenv(c10kServerEnv) != "" {
		serveForParent(t)
		return
	}
	testutil.CheckLeaks(t)
	testutil.EnsureDescriptors(t, c10kConns+256)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.timeout=1m")
	// A race-enabled binary sleeps a second before it exits unless told not to.
	cmd.Env = append(os.Environ(), c10kServerEnv+"=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the server process: %v", err)
	}
	out := bufio.NewReader(stdout)
	first, err := out.ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(first), "listening on ")
	if err != nil || !ok {
		stdin.Close()
		cmd.Wait()
		t.Fatalf("server process said %q, %v; stderr:\n%s", first, err, &stderr)
	}
	pid := cmd.Process.Pid
	threadsIdle, _ := blocking.OSThreads(pid)
	rssIdle := rssKiB(t, pid)

	start := time.Now()
	conns := make([]net.Conn, 0, c10kConns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range c10kConns {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial client %d: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	connected := time.Since(start)
	for i, c := range conns {
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := fmt.Fprintf(c, "client %05d\n", i); err != nil {
			t.Fatalf("client %d: send: %v", i, err)
		}
	}
	reply := make([]byte, len("client 00000\n"))
	for i, c := range conns {
		if _, err := io.ReadFull(c, reply); err != nil || string(reply) != fmt.Sprintf("client %05d\n", i) {
			t.Fatalf("client %d: got %q, %v", i, reply, err)
		}
	}
	served := time.Since(start)
	threads, err := blocking.OSThreads(pid)
	if err != nil {
		t.Fatalf("count the server's threads: %v", err)
	}
	rss := rssKiB(t, pid)
	t.Logf("%d connections: all connected in %v, all served in %v; server process: %d OS threads (%d before), RSS %d KiB (%d before: %.2f KiB per connection)",
		len(conns), connected.Round(time.Millisecond), served.Round(time.Millisecond), threads, threadsIdle, rss, rssIdle, float64(rss-rssIdle)/float64(len(conns)))
	if threads > maxThreads {
		t.Errorf("the server process has %d OS threads holding %d connections, want at most %d", threads, len(conns), maxThreads)
	}

	for _, c := range conns {
		c.Close()
	}
	conns = nil
	stdin.Close()              // the server's signal to stop
	rest, _ := io.ReadAll(out) // until it exits; Wait would close the pipe
	if err := cmd.Wait(); err != nil || !bytes.Contains(rest, []byte("PASS")) {
		t.Errorf("server process: %v; output:\n%s%s", err, rest, &stderr)
	}
}

// serveForParent is the child's side: serve on an ephemeral port, say where on standard output,
// and stop when standard input closes, checking that the server stops cleanly.
func serveForParent(t *testing.T) {
	testutil.EnsureDescriptors(t, c10kConns+256)
	s, err := ioloop.NewEchoServer("127.0.0.1:0")
	if err != nil {
		t.Fatalf("NewEchoServer: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	fmt.Printf("listening on %s\n", s.Addr())
	// Wait for EOF in the runtime's poller rather than in a blocking read, which would hold
	// an OS thread of its own and count against the server.
	if err := unix.SetNonblock(0, true); err != nil {
		t.Fatalf("stdin: %v", err)
	}
	io.Copy(io.Discard, os.NewFile(0, "stdin"))
	if err := s.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// rssKiB is the resident memory of process pid in KiB, from /proc/PID/status.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read status: %v", err)
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kib int
			fmt.Sscanf(rest, "%d", &kib)
			return kib
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}
