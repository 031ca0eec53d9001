//go:build linux

// The descriptor limit, against the real `chapters run` process: under `ulimit -n 256`, 1,000
// clients arrive with traffic. Every server that holds many connections (chapter 1's threaded one
// and every non-blocking one) must live through it, close the connections it cannot take at once
// instead of leaving their clients hanging, keep serving the clients it has, and serve a new
// client as soon as the others leave. Chapter 1's iterative server holds one connection at a
// time, so it never nears the limit: it must live through the 1,000 clients, serving them one
// after another.

package tests

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tornadotcp/internal/catalog"
	"tornadotcp/internal/testutil"
)

const (
	// fdlimitLimit is the server's RLIMIT_NOFILE, soft and hard.
	fdlimitLimit = 256
	// fdlimitClients is how many clients arrive, four times what the server can hold.
	fdlimitClients = 1000
	// fdlimitInFlight is how many clients connect and wait for their first answer at once.
	fdlimitInFlight = 100
	// fdlimitBound is the longest any client may wait for its answer or for its connection to
	// be closed, and the longest the server may take to serve a new client once the others left.
	fdlimitBound = 5 * time.Second
)

// TestFaultDescriptorLimit runs every server of chapter 1 onward under the limit. -short runs
// one server of each kind of loop that is not a copy of another: epoll, and HTTP.
func TestFaultDescriptorLimit(t *testing.T) {
	var entries []catalog.Entry
	for _, e := range catalog.All() {
		if e.Chapter() >= 1 && (!testing.Short() || e.ID == "ch03/epoll" || e.ID == "ch04/http") {
			entries = append(entries, e)
		}
	}
	testutil.EnsureDescriptors(t, fdlimitClients+256)
	bin := fdlimitBuild(t)
	for _, e := range entries {
		t.Run(e.ID, func(t *testing.T) {
			testutil.CheckLeaks(t)
			if e.Serialises {
				fdlimitSerialised(t, bin, e)
				return
			}
			fdlimitRun(t, bin, e)
		})
	}
}

// fdlimitBuild builds the chapters command into a directory of the test's.
func fdlimitBuild(t *testing.T) string {
	t.Helper()
	bin, err := testutil.BuildChapters(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// fdlimitServer is `chapters run ID` under the limit, in a child process.
type fdlimitServer struct {
	cmd    *exec.Cmd
	addr   string
	pid    int        // the process that serves: the child's, or its child's (chapter 5)
	stderr *os.File   // a regular file, read when the child has stopped
	exited chan error // receives Wait's result once
}

var fdlimitListening = regexp.MustCompile(`^listening on (127\.0\.0\.1:[1-9][0-9]*)\n$`)

// fdlimitStart runs `chapters run id -addr 127.0.0.1:0` with its descriptors limited by the
// shell's ulimit, soft and hard (the Go runtime raises a soft limit to the hard one as it
// starts), and waits for its listening line. The child is killed, if still running, when the
// test ends.
//
// Its standard output and error are blocking descriptors: a Go program whose standard stream is
// non-blocking registers it with the runtime's poller as package os initialises, which opens
// that poller before the server does and would hide the failure this test is about. exec gives a
// child a non-blocking pipe unless it is handed an *os.File.
func fdlimitStart(t *testing.T, bin, id string, flags ...string) *fdlimitServer {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	stdout, stdoutW := os.NewFile(uintptr(p[0]), "stdout"), os.NewFile(uintptr(p[1]), "stdout")
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`ulimit -n %d && exec "$0" run "$@" -addr 127.0.0.1:0`, fdlimitLimit)
	s := &fdlimitServer{
		cmd:    exec.Command("/bin/sh", append([]string{"-c", script, bin, id}, flags...)...),
		stderr: stderr,
		exited: make(chan error, 1),
	}
	s.cmd.Stdout, s.cmd.Stderr = stdoutW, stderr
	err = s.cmd.Start()
	stdoutW.Close()
	if err != nil {
		stdout.Close()
		stderr.Close()
		t.Fatal(err)
	}
	s.pid = s.cmd.Process.Pid
	go func() { s.exited <- s.cmd.Wait() }()

	first := make(chan string, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		first <- line
		io.Copy(io.Discard, r) // until the child exits
	}()
	t.Cleanup(func() {
		if !s.stopped() {
			s.cmd.Process.Kill()
			s.exited <- <-s.exited
		}
		<-drained
		stdout.Close()
		stderr.Close()
	})

	var line string
	select {
	case line = <-first:
	case <-time.After(fdlimitBound):
	}
	m := fdlimitListening.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first line %q, want \"listening on 127.0.0.1:PORT\"; stderr:\n%s", line, s.log(t))
	}
	s.addr = m[1]
	return s
}

// stopped reports whether the child has exited, without waiting.
func (s *fdlimitServer) stopped() bool {
	select {
	case err := <-s.exited:
		s.exited <- err
		return true
	default:
		return false
	}
}

// log is what the child wrote on its standard error so far.
func (s *fdlimitServer) log(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(s.stderr.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fdlimitChild waits, bounded, for the one child of the process pid (whichever of its threads
// started it) and returns its pid.
func fdlimitChild(t *testing.T, pid int) int {
	t.Helper()
	var child int
	testutil.WaitFor(t, fmt.Sprintf("a child of pid %d", pid), func() bool {
		files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			if fields := strings.Fields(string(b)); len(fields) > 0 {
				child, _ = strconv.Atoi(fields[0])
				return true
			}
		}
		return false
	})
	return child
}

// limit reads the child's descriptor limit, soft and hard, from /proc.
func (s *fdlimitServer) limit(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", s.pid))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Max open files\s+(\d+)\s+(\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no descriptor limit in /proc/%d/limits:\n%s", s.pid, b)
	}
	return string(m[1]) + "/" + string(m[2])
}

// fdlimitEpollEntry is one registration in an epoll descriptor's /proc fdinfo: the watched
// descriptor and the data it was registered with.
var fdlimitEpollEntry = regexp.MustCompile(
	`tfd:\s*(\d+)\s+events:\s*[0-9a-f]+\s+data:\s*([0-9a-f]+)`)

// runtimePoller reports whether the child has the Go runtime's own poller open: on Linux an
// epoll instance whose registration of its eventfd carries an address as its data
// (runtime/netpoll_epoll.go, netpollinit), where the book's loops register descriptor numbers.
func (s *fdlimitServer) runtimePoller(t *testing.T) bool {
	t.Helper()
	proc := fmt.Sprintf("/proc/%d/", s.pid)
	entries, err := os.ReadDir(proc + "fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if target, _ := os.Readlink(proc + "fd/" + e.Name()); target != "anon_inode:[eventpoll]" {
			continue
		}
		info, err := os.ReadFile(proc + "fdinfo/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range fdlimitEpollEntry.FindAllStringSubmatch(string(info), -1) {
			fd, _ := strconv.ParseUint(m[1], 10, 64)
			if data, _ := strconv.ParseUint(m[2], 16, 64); data != fd {
				return true
			}
		}
	}
	return false
}

// fdlimitProto is what a client says, and how it knows it has been answered in full.
type fdlimitProto struct {
	tls      bool // over TLS: the first write makes the handshake
	request  func(i int) []byte
	answered func(req, got []byte) bool
	right    func(req, got []byte) bool
}

var (
	fdlimitEcho = fdlimitProto{
		request:  func(i int) []byte { return fmt.Appendf(nil, "client %d\n", i) },
		answered: func(req, got []byte) bool { return len(got) >= len(req) },
		right:    func(req, got []byte) bool { return string(got) == string(req) },
	}
	fdlimitHTTP = fdlimitProto{
		request: func(int) []byte { return []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") },
		answered: func(_, got []byte) bool {
			return strings.HasSuffix(string(got), "\r\n\r\nHello, world")
		},
		right: func(_, got []byte) bool { return strings.HasPrefix(string(got), "HTTP/1.1 200 ") },
	}
)

// exchange sends one request on conn and reads its answer, within fdlimitBound. It returns
// "served", or how the connection was closed on it before any answer ("EOF", "reset"), or
// what else went wrong, which is a failure.
func (p fdlimitProto) exchange(conn net.Conn, i int) string {
	conn.SetDeadline(time.Now().Add(fdlimitBound))
	req := p.request(i)
	_, err := conn.Write(req)
	var got []byte
	buf := make([]byte, 512)
	for err == nil && !p.answered(req, got) {
		var n int
		n, err = conn.Read(buf)
		got = append(got, buf[:n]...)
	}
	switch {
	case err == nil && p.right(req, got):
		return "served"
	case err == nil:
		return fmt.Sprintf("asked %q, answered %q", req, got)
	case len(got) > 0:
		return fmt.Sprintf("asked %q, answered %q, then %v", req, got, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// A TLS client's handshake cut off by a close at accept is unexpected EOF.
		return "EOF"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return "reset"
	}
	return err.Error()
}

// fdlimitClient is one client's first exchange: how it ended and how long it took from the
// start of connect. A served client's connection stays open.
type fdlimitClient struct {
	conn net.Conn
	end  string
	took time.Duration
}

func fdlimitConnect(addr string, p fdlimitProto, i int) fdlimitClient {
	start := time.Now()
	conn, err := net.DialTimeout("tcp", addr, fdlimitBound)
	if err != nil {
		return fdlimitClient{end: "connect: " + err.Error(), took: time.Since(start)}
	}
	if p.tls {
		conn = tls.Client(conn, insecureTLS())
	}
	c := fdlimitClient{end: p.exchange(conn, i), took: time.Since(start)}
	if c.end == "served" {
		c.conn = conn
	} else {
		conn.Close()
	}
	return c
}

func fdlimitRun(t *testing.T, bin string, e catalog.Entry) {
	p := fdlimitEcho
	if isHTTP(e) {
		p = fdlimitHTTP
	}
	p.tls = e.TLS()
	// The limit is each process's: a multi-process server of chapter 5 runs one serving
	// process here (with more, each has its own limit and reports its own shortage).
	// Start(1) does not fork (Tornado's rule), so ch05/bind-start and chapter 6's servers (form
	// 2 too) serve in the process started; the other forms start one child, which serves, and
	// which is examined here.
	var flags []string
	if e.Procs {
		flags = []string{"-procs", "1"}
	}
	s := fdlimitStart(t, bin, e.ID, flags...)
	if e.ID == "ch05/add-sockets" || e.ID == "ch05/reuseport" {
		s.pid = fdlimitChild(t, s.pid)
		// The child is found as soon as it exists, before its runtime has started (and
		// before any client is let in below): give it until its poller is open.
		testutil.WaitFor(t, "the child's runtime poller", func() bool { return s.runtimePoller(t) })
	}
	if got, want := s.limit(t), fmt.Sprintf("%d/%d", fdlimitLimit, fdlimitLimit); got != want {
		t.Fatalf("the server's descriptor limit is %s (soft/hard), want %s", got, want)
	}
	if !s.runtimePoller(t) {
		t.Errorf("the Go runtime's poller is not open before the first client: the first " +
			"runtime timer set at the limit would end the process")
	}

	// 1,000 clients, 100 at a time: each connects, asks, and keeps its connection if answered.
	clients := make([]fdlimitClient, fdlimitClients)
	inFlight := make(chan struct{}, fdlimitInFlight)
	var wg sync.WaitGroup
	for i := range clients {
		inFlight <- struct{}{}
		wg.Go(func() {
			defer func() { <-inFlight }()
			clients[i] = fdlimitConnect(s.addr, p, i)
		})
	}
	wg.Wait()
	var held []net.Conn
	ends := map[string]int{}
	var refusedAfter []time.Duration
	for _, c := range clients {
		ends[c.end]++
		switch c.end {
		case "served":
			held = append(held, c.conn)
		case "EOF", "reset":
			refusedAfter = append(refusedAfter, c.took)
		}
	}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	if s.stopped() {
		t.Fatalf("the server died with %d clients; stderr:\n%.3000s", len(held), s.log(t))
	}
	served, closed := ends["served"], ends["EOF"]+ends["reset"]
	if served+closed != fdlimitClients || served == 0 || served >= fdlimitLimit {
		t.Errorf("%d clients served, %d closed at once, of %d; want every other client closed "+
			"at once, none hanging: %v", served, closed, fdlimitClients, ends)
	}

	// At the limit, the server still serves the clients it holds.
	for i, c := range held {
		if end := p.exchange(c, i); end != "served" {
			t.Fatalf("client %d of those served, at the limit: %s", i, end)
		}
	}

	// The clients leave; a new one is served as soon as the server has descriptors again.
	for _, c := range held {
		c.Close()
	}
	held = nil
	left := time.Now()
	attempts := 0
	for {
		attempts++
		c := fdlimitConnect(s.addr, p, -attempts)
		if c.end == "served" {
			c.conn.Close()
			break
		}
		if time.Since(left) > fdlimitBound || (c.end != "EOF" && c.end != "reset") {
			t.Fatalf("a new client after the others left: %s, %v after they left", c.end,
				time.Since(left))
		}
	}
	recovered := time.Since(left)

	s.terminate(t)
	log := s.log(t)
	if strings.Contains(log, "fatal error") || strings.Count(log, "accept failed") != 1 {
		t.Errorf("want one line for the shortage, and no fatal error; stderr:\n%.3000s", log)
	}
	slices.Sort(refusedAfter)
	t.Logf("%s under ulimit -n %d, %d clients: %d served; %d closed at once (%d EOF, %d reset) "+
		"after p50 %v, p99 %v, max %v from connect; a new client served %v after the others "+
		"left (%d attempts)", e.ID, fdlimitLimit, fdlimitClients, served, closed, ends["EOF"],
		ends["reset"], fdlimitPercentile(refusedAfter, 50), fdlimitPercentile(refusedAfter, 99),
		fdlimitPercentile(refusedAfter, 100), recovered.Round(time.Microsecond), attempts)
}

// terminate sends SIGTERM and waits, bounded, for exit status 0.
func (s *fdlimitServer) terminate(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.exited:
		s.exited <- err
		if err != nil {
			t.Errorf("after SIGTERM: %v, want exit status 0", err)
		}
	case <-time.After(fdlimitBound):
		t.Fatalf("still running %v after SIGTERM", fdlimitBound)
	}
}

// fdlimitHeld is how long a client of the one-at-a-time server waits, unanswered, while another
// holds the server, before fdlimitSerialised lets the other go.
const fdlimitHeld = 300 * time.Millisecond

// fdlimitSerialised is fdlimitRun for a server that serves one client at a time: its lesson is
// the wait, not the limit. The 1,000 clients, 100 at a time, each leave once answered: every one
// must be served, in turn, the others waiting in the listen queue. Then a client that stays holds
// the server: the next one is not answered while it stays, and is answered once it leaves.
func fdlimitSerialised(t *testing.T, bin string, e catalog.Entry) {
	s := fdlimitStart(t, bin, e.ID)
	if got, want := s.limit(t), fmt.Sprintf("%d/%d", fdlimitLimit, fdlimitLimit); got != want {
		t.Fatalf("the server's descriptor limit is %s (soft/hard), want %s", got, want)
	}
	if !s.runtimePoller(t) {
		t.Errorf("the Go runtime's poller is not open before the first client")
	}

	ends := make([]string, fdlimitClients)
	waited := make([]time.Duration, fdlimitClients)
	inFlight := make(chan struct{}, fdlimitInFlight)
	var wg sync.WaitGroup
	for i := range ends {
		inFlight <- struct{}{}
		wg.Go(func() {
			defer func() { <-inFlight }()
			c := fdlimitConnect(s.addr, fdlimitEcho, i)
			if c.conn != nil {
				c.conn.Close()
			}
			ends[i], waited[i] = c.end, c.took
		})
	}
	wg.Wait()
	if s.stopped() {
		t.Fatalf("the server died; stderr:\n%.3000s", s.log(t))
	}
	for i, end := range ends {
		if end != "served" {
			t.Errorf("client %d: %s, want served in its turn", i, end)
		}
	}

	holder := fdlimitConnect(s.addr, fdlimitEcho, -1)
	if holder.end != "served" {
		t.Fatalf("a client after the 1,000: %s", holder.end)
	}
	next, err := net.DialTimeout("tcp", s.addr, fdlimitBound)
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	req := fdlimitEcho.request(-2)
	if _, err := next.Write(req); err != nil {
		t.Fatal(err)
	}
	next.SetReadDeadline(time.Now().Add(fdlimitHeld))
	if n, err := next.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the next client, while another holds the server: read %d bytes, %v; want "+
			"no answer yet", n, err)
	}
	holder.conn.Close()
	left := time.Now()
	next.SetReadDeadline(time.Now().Add(fdlimitBound))
	got := make([]byte, len(req))
	if _, err := io.ReadFull(next, got); err != nil || string(got) != string(req) {
		t.Fatalf("the next client, once the other left: %q, %v; want %q", got, err, req)
	}
	answered := time.Since(left)

	s.terminate(t)
	if log := s.log(t); strings.Contains(log, "fatal error") || strings.Contains(log, "accept failed") {
		t.Errorf("want no fatal error and no shortage of descriptors; stderr:\n%.3000s", log)
	}
	slices.Sort(waited)
	t.Logf("%s under ulimit -n %d, %d clients, %d at a time, each leaving once answered: all "+
		"served, one at a time, after p50 %v, p99 %v, max %v from connect; the next client "+
		"answered %v after the one holding the server left", e.ID, fdlimitLimit, fdlimitClients,
		fdlimitInFlight, fdlimitPercentile(waited, 50), fdlimitPercentile(waited, 99),
		fdlimitPercentile(waited, 100), answered.Round(time.Microsecond))
}

// fdlimitPercentile is the p-th percentile of sorted durations, rounded for reading.
func fdlimitPercentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := min(len(sorted)-1, (len(sorted)*p+99)/100-1)
	return sorted[max(i, 0)].Round(10 * time.Microsecond)
}
