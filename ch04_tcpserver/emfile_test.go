//go:build linux

// The accept handler out of descriptors, and under an accept error that does not go away: it
// backs off instead of spinning, logs once per episode, and accepts again when it can. CPU time
// comes from /proc, hence Linux.

package tcpserver

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/bench"
	"tornadotcp/internal/testutil"
)

const (
	// emfileChildEnv makes the test binary run the EMFILE server child instead of the test.
	emfileChildEnv = "TORNADOTCP_EMFILE_CHILD"
	// emfileLimit is the child's RLIMIT_NOFILE: a few dozen connections fill it.
	emfileLimit = 64
	// emfileClients is how many clients the parent opens against the child at once.
	emfileClients = 200
	// emfileMaxCPU is the most CPU the starved child may use, in seconds per second.
	emfileMaxCPU = 0.2
)

// emfileCPUTicks reads utime+stime from a /proc stat file (a process's, or one thread's).
func emfileCPUTicks(t *testing.T, path string) int64 {
	t.Helper()
	stat, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	ticks, err := bench.ParseStatCPU(stat)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return ticks
}

// emfileCPURate measures the CPU seconds per second that a /proc stat file reports over window.
// Sleeping is the measurement here, not a way to wait for something.
func emfileCPURate(t *testing.T, path string, window time.Duration) float64 {
	t.Helper()
	before, start := emfileCPUTicks(t, path), time.Now()
	time.Sleep(window)
	ticks := emfileCPUTicks(t, path) - before
	return float64(ticks) / bench.ClockTicks / time.Since(start).Seconds()
}

// An error that will not go away (accept on a socket that is readable but not listening says
// EINVAL) is logged once, and the loop's thread stays nearly idle: the listener is off the loop
// between retries, instead of being reported ready on every pass as in Tornado. remove ends it.
func TestAcceptBacksOffOnPersistentError(t *testing.T) {
	testutil.CheckLeaks(t)
	loop, logs, logTo := acceptTestLoop(t)
	pair, err := unix.Socketpair(unix.AF_UNIX,
		unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer closeOpened(pair[:])
	if _, err := unix.Write(pair[1], []byte("x")); err != nil {
		t.Fatal(err)
	}
	remove, err := AddAcceptHandler(loop, pair[0], func(conn int, _ unix.Sockaddr) {
		unix.Close(conn)
		t.Error("accepted a connection from a socketpair")
	}, logTo)
	if err != nil {
		t.Fatal(err)
	}
	acceptTestRun(t, loop)
	acceptTestWait(t, loop, "the failure to be logged", func() bool {
		return strings.Contains(logs.String(), "accept failed")
	})

	var tid int
	acceptTestOnLoop(t, loop, func() { tid = unix.Gettid() })
	rate := emfileCPURate(t, fmt.Sprintf("/proc/self/task/%d/stat", tid), 500*time.Millisecond)
	t.Logf("the loop's thread used %.3f CPU s/s while accept kept failing", rate)
	if rate >= emfileMaxCPU {
		t.Errorf("the loop's thread used %.2f CPU s/s while accept kept failing, "+
			"want under %.2f: it spins", rate, emfileMaxCPU)
	}

	acceptTestOnLoop(t, loop, func() {
		remove()
		remove()
		if err := loop.AddHandler(pair[0], func(int, uint32) {}, ioloop.READ); err != nil {
			t.Errorf("the socket is still registered after remove: %v", err)
		}
		loop.RemoveHandler(pair[0])
	})
	n := strings.Count(logs.String(), "accept failed")
	if n != 1 || !strings.Contains(logs.String(), "invalid argument") {
		t.Errorf("%d log lines about the failure, want 1 naming EINVAL:\n%s", n, logs)
	}
	t.Logf("log:\n%s", logs)
}

// Surviving a full descriptor table. A child process (this test binary again) serves a tiny
// echo with a descriptor limit of 64. The parent opens 200 clients: the child accepts what fits,
// then accept fails with EMFILE, and the handler's spare descriptor closes the rest at once.
// While starved the child keeps serving the clients it has, uses under 20% of a core, and logs
// the episode once. When the parent closes its clients the child's descriptors come back, and a
// new client is served.
func TestAcceptSurvivesEMFILE(t *testing.T) {
	if os.Getenv(emfileChildEnv) == "1" {
		emfileChild(t)
		return
	}
	testutil.CheckLeaks(t)
	stdout, stderr := &testutil.LogBuffer{}, &testutil.LogBuffer{}
	cmd := exec.Command(os.Args[0],
		"-test.run=^TestAcceptSurvivesEMFILE$", "-test.count=1", "-test.timeout=60s")
	// A race-enabled binary sleeps a second before it exits unless told not to.
	cmd.Env = append(os.Environ(),
		emfileChildEnv+"=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := false
	defer func() {
		if !exited {
			cmd.Process.Kill()
			cmd.Wait()
		}
		t.Logf("child's stderr:\n%s", stderr)
	}()

	port := emfileWaitPort(t, stdout, stderr)
	var clients []int
	release := func() {
		closeOpened(clients)
		clients = nil
	}
	defer release()
	for i := range emfileClients {
		c, err := emfileDial(port)
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		clients = append(clients, c)
	}
	emfileWait(t, "the child to run out of descriptors", func() bool {
		return strings.Contains(stderr.String(), "accept failed")
	}, stderr)
	if !strings.Contains(stderr.String(), "too many open files") {
		t.Errorf("the child's accept failed for another reason than EMFILE:\n%s", stderr)
	}

	// Starved, the child still serves the clients it accepted (the first ones: the queue is
	// FIFO), and burns next to nothing.
	emfileEcho(t, clients[0], "still serving\n")
	rate := emfileCPURate(t, fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid), time.Second)
	t.Logf("starved child: %.3f CPU s/s", rate)
	if rate >= emfileMaxCPU {
		t.Errorf("the starved child used %.2f CPU s/s, want under %.2f: it spins on accept",
			rate, emfileMaxCPU)
	}
	if n := strings.Count(stderr.String(), "accept failed"); n != 1 {
		t.Errorf("%d log lines in one starvation episode, want 1", n)
	}

	// Descriptors come back: the child accepts a new client. The whole episode got one line
	// for its start and one for its end.
	release()
	late, err := emfileDial(port)
	if err != nil {
		t.Fatalf("a client after the others left: %v", err)
	}
	defer unix.Close(late)
	emfileEcho(t, late, "accepted again\n")
	emfileWait(t, "the end of the episode to be logged", func() bool {
		return strings.Contains(stderr.String(), "accepting again")
	}, stderr)
	failed := strings.Count(stderr.String(), "accept failed")
	again := strings.Count(stderr.String(), "accepting again")
	if failed != 1 || again != 1 {
		t.Errorf("%d lines for the start of starvation and %d for its end, want 1 and 1",
			failed, again)
	}

	stdin.Close()
	err = cmd.Wait()
	exited = true
	if err != nil {
		t.Errorf("child: %v\nstdout:\n%s", err, stdout)
	}
}

// emfileChild is the child's side: the echo server, until stdin closes.
func emfileChild(t *testing.T) {
	fds, err := BindSockets(0, "127.0.0.1", unix.AF_INET, 1024, false)
	if err != nil {
		t.Fatal(err)
	}
	listener := fds[0]
	loop, err := ioloop.New()
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	buf := make([]byte, 4096)
	remove, err := AddAcceptHandler(loop, listener, func(conn int, _ unix.Sockaddr) {
		err := loop.AddHandler(conn, func(fd int, _ uint32) {
			n, err := unix.Read(fd, buf)
			switch {
			case err == unix.EAGAIN:
			case n > 0:
				unix.Write(fd, buf[:n]) // a line of a few bytes; the socket buffer takes it
			default:
				loop.RemoveHandler(fd)
				unix.Close(fd)
			}
		}, ioloop.READ)
		if err != nil {
			unix.Close(conn)
		}
	}, WithAcceptLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		loop.Stop()
	}()

	limit := unix.Rlimit{Cur: emfileLimit, Max: emfileLimit}
	if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, &limit, nil); err != nil {
		t.Fatalf("setrlimit: %v", err)
	}
	open, _ := os.ReadDir("/proc/self/fd")
	fmt.Fprintf(os.Stderr, "child: %d descriptors open, limit %d\n", len(open), emfileLimit)
	fmt.Printf("listening on %d\n", int(bindTestAddr(t, listener).Port()))

	if err := loop.Start(); err != nil {
		t.Error(err)
	}
	remove()
	loop.CloseAll()
	unix.Close(listener)
}

var emfilePortLine = regexp.MustCompile(`listening on (\d+)`)

// emfileWaitPort waits for the child to say which port it listens on.
func emfileWaitPort(t *testing.T, stdout, stderr *testutil.LogBuffer) int {
	t.Helper()
	var port int
	emfileWait(t, "the child to listen", func() bool {
		m := emfilePortLine.FindStringSubmatch(stdout.String())
		if m != nil {
			port, _ = strconv.Atoi(m[1])
		}
		return m != nil
	}, stderr)
	return port
}

// emfileWait waits up to 10 seconds for cond.
func emfileWait(t *testing.T, what string, cond func() bool, stderr *testutil.LogBuffer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; child's stderr:\n%s", what, stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// emfileDial connects a blocking client that gives up reading after 10 seconds.
func emfileDial(port int) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	timeout := &unix.Timeval{Sec: 10}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, timeout); err != nil {
		unix.Close(fd)
		return -1, err
	}
	sa := &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
	if err := unix.Connect(fd, sa); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// emfileEcho sends line on fd and checks that it comes back.
func emfileEcho(t *testing.T, fd int, line string) {
	t.Helper()
	if _, err := unix.Write(fd, []byte(line)); err != nil {
		t.Fatalf("send %q: %v", line, err)
	}
	got := make([]byte, 0, len(line))
	buf := make([]byte, len(line))
	for len(got) < len(line) {
		n, err := unix.Read(fd, buf[:len(line)-len(got)])
		if err != nil || n == 0 {
			t.Fatalf("echo of %q: got %q, then %v (n=%d)", line, got, err, n)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != line {
		t.Fatalf("echo of %q: got %q", line, got)
	}
}
