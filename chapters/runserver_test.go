// Tests of `chapters run`: its errors in process, and a real run in a child process, which must
// print its listening line first, echo, and exit 0 on SIGINT or SIGTERM.

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	ssl "tornadotcp/ch06_ssl"
	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/testutil"
)

// runTimeout bounds every wait in these tests, so that a broken command fails instead of hanging.
const runTimeout = 10 * time.Second

// ourIDs are the servers these tests run; later chapters test their own.
var ourIDs = []string{"ch00/net", "ch01/iterative", "ch01/threaded"}

// runInProcess calls run for a command that must fail before it serves.
func runInProcess(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(args, &out, &errOut) }()
	select {
	case code = <-done:
	case <-time.After(runTimeout):
		t.Fatalf("chapters %q did not return within %v: it should have failed at once", args, runTimeout)
	}
	return code, out.String(), errOut.String()
}

// oneLine checks that msg is a single line.
func oneLine(t *testing.T, args []string, msg string) {
	t.Helper()
	if strings.Count(msg, "\n") != 1 || !strings.HasSuffix(msg, "\n") {
		t.Errorf("chapters %q: stderr is not one line:\n%s", args, msg)
	}
}

func TestRunUnknownID(t *testing.T) {
	args := []string{"run", "ch99/nope", "-addr", "127.0.0.1:0"}
	code, stdout, stderr := runInProcess(t, args...)
	if code != 2 {
		t.Errorf("exit status %d, want 2", code)
	}
	oneLine(t, args, stderr)
	for _, want := range append([]string{`"ch99/nope"`}, ourIDs...) {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not name %s", stderr, want)
		}
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing", stdout)
	}
}

func TestRunUsageErrors(t *testing.T) {
	tests := []struct {
		args    []string
		wantMsg string
	}{
		{[]string{"run"}, "give an id"},
		{[]string{"run", "-addr", "127.0.0.1:0"}, "give an id"},
		{[]string{"run", "ch01/threaded", "extra"}, "unexpected arguments"},
		{[]string{"run", "ch01/threaded", "-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"run", "ch01/threaded", "-max-threads", "many"}, `invalid value "many"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runInProcess(t, tt.args...)
			if code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if n := strings.Count(stderr, tt.wantMsg); n != 1 {
				t.Errorf("stderr says %q %d times, want once:\n%s", tt.wantMsg, n, stderr)
			}
		})
	}
}

func TestRunHelpFlag(t *testing.T) {
	code, _, stderr := runInProcess(t, "run", "-h")
	if code != 0 {
		t.Errorf("run -h exited %d, want 0", code)
	}
	if !strings.Contains(stderr, "-addr") || !strings.Contains(stderr, "-max-threads") {
		t.Errorf("run -h printed %q, want the flags", stderr)
	}
}

func TestRunBadAddr(t *testing.T) {
	addrs := []string{"nonsense", "127.0.0.1", "127.0.0.1:99999", "127.0.0.1:port"}
	for _, id := range ourIDs {
		for _, addr := range addrs {
			t.Run(id+"/"+addr, func(t *testing.T) {
				testutil.CheckLeaks(t)
				args := []string{"run", id, "-addr", addr}
				code, stdout, stderr := runInProcess(t, args...)
				if code == 0 {
					t.Errorf("exit status 0, want an error")
				}
				oneLine(t, args, stderr)
				if !strings.Contains(stderr, "HOST:PORT") {
					t.Errorf("stderr %q does not say what -addr takes", stderr)
				}
				if stdout != "" {
					t.Errorf("stdout = %q, want no listening line", stdout)
				}
			})
		}
	}
}

func TestRunPortInUse(t *testing.T) {
	for _, id := range ourIDs {
		t.Run(id, func(t *testing.T) {
			testutil.CheckLeaks(t)
			taken, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer taken.Close()
			args := []string{"run", id, "-addr", taken.Addr().String()}
			code, stdout, stderr := runInProcess(t, args...)
			if code != 1 {
				t.Errorf("exit status %d, want 1", code)
			}
			oneLine(t, args, stderr)
			if !strings.Contains(stderr, "another program has that port") || !strings.Contains(stderr, "-addr 127.0.0.1:0") {
				t.Errorf("stderr %q lacks the hint", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want no listening line", stdout)
			}
		})
	}
}

// runHelperEnv makes this test binary behave as the chapters command: see TestRunHelperProcess.
const runHelperEnv = "CHAPTERS_RUN_HELPER_PROCESS"

// TestRunHelperProcess is not a test: in a child started by startRun it is the chapters command,
// with the arguments after "--". In a normal test run it returns at once.
func TestRunHelperProcess(t *testing.T) {
	if os.Getenv(runHelperEnv) != "1" {
		return
	}
	var args []string
	if i := slices.Index(os.Args, "--"); i >= 0 {
		args = os.Args[i+1:]
	}
	os.Exit(run(args, os.Stdout, os.Stderr))
}

// child is `chapters run ...` running in a child process.
type child struct {
	cmd    *exec.Cmd
	addr   string        // from the listening line
	stdout *bufio.Reader // what follows the listening line
	stderr bytes.Buffer
	exited chan error // receives Wait's result
}

var listeningLine = regexp.MustCompile(`^listening on (127\.0\.0\.1:[1-9][0-9]*)\n$`)

// startRun starts the command with args and reads its first line, which must be the listening
// line. The child is killed, if still running, when the test ends.
func startRun(t *testing.T, args ...string) *child {
	t.Helper()
	return startRunVia(t, nil, args...)
}

// startRunVia is startRun through a wrapper command, via, that execs the command line it is
// given after its own arguments (a shell that sets a limit first, say).
func startRunVia(t *testing.T, via []string, args ...string) *child {
	t.Helper()
	c := &child{exited: make(chan error, 1)}
	argv := append(append(via, os.Args[0], "-test.run=^TestRunHelperProcess$", "--"), args...)
	c.cmd = exec.Command(argv[0], argv[1:]...)
	// A race-enabled binary sleeps a second before it exits unless told not to.
	c.cmd.Env = append(os.Environ(), runHelperEnv+"=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	c.cmd.Stderr = &c.stderr
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			c.cmd.Process.Kill()
			<-c.exited
		}
	})
	c.stdout = bufio.NewReader(stdout)
	first := make(chan string, 1)
	go func() {
		line, _ := c.stdout.ReadString('\n')
		first <- line
	}()
	var line string
	select {
	case line = <-first:
	case <-time.After(runTimeout):
		c.cmd.Process.Kill()
		line = <-first
	}
	// Wait closes the pipe, so it starts only after the first line has been read.
	go func() { c.exited <- c.cmd.Wait() }()
	m := listeningLine.FindStringSubmatch(line)
	if m == nil {
		err := <-c.exited
		c.exited <- err
		t.Fatalf("chapters %q: first stdout line %q, want \"listening on 127.0.0.1:PORT\" (%v); stderr:\n%s",
			args, line, err, c.stderr.String())
	}
	c.addr = m[1]
	return c
}

// stopWith sends sig and checks that the child exits with status 0, having printed nothing more on
// standard output.
func (c *child) stopWith(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	rest, _ := io.ReadAll(c.stdout)
	var err error
	select {
	case err = <-c.exited:
		c.exited <- err // for the cleanup
	case <-time.After(runTimeout):
		t.Fatalf("still running %v after %v", runTimeout, sig)
	}
	if err != nil {
		t.Errorf("after %v: %v, want exit status 0; stderr:\n%s", sig, err, c.stderr.String())
	}
	if len(rest) != 0 {
		t.Errorf("stdout after the listening line: %q, want nothing (logs go to stderr)", rest)
	}
}

func TestRunUntilSignal(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		sig    syscall.Signal
		client string // "none": signal at once; "echo": echo, close, then signal; "idle": echo and stay connected
	}{
		{"threaded SIGTERM at once", []string{"ch01/threaded"}, syscall.SIGTERM, "none"},
		{"threaded SIGTERM after an echo", []string{"ch01/threaded"}, syscall.SIGTERM, "echo"},
		{"threaded SIGINT with a client", []string{"ch01/threaded"}, syscall.SIGINT, "idle"},
		{"iterative SIGTERM with a client", []string{"ch01/iterative"}, syscall.SIGTERM, "idle"},
		{"iterative SIGINT with a client", []string{"ch01/iterative"}, syscall.SIGINT, "idle"},
		{"iterative SIGINT at once", []string{"ch01/iterative"}, syscall.SIGINT, "none"},
		{"net SIGTERM with a client", []string{"ch00/net"}, syscall.SIGTERM, "idle"},
		{"threaded -max-threads", []string{"ch01/threaded", "-max-threads", "500"}, syscall.SIGTERM, "idle"},
		{"flags before the id", []string{"-max-threads", "500", "ch01/iterative"}, syscall.SIGINT, "echo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			c := startRun(t, append(append([]string{"run"}, tt.args...), "-addr", "127.0.0.1:0")...)
			if tt.client == "none" {
				c.stopWith(t, tt.sig)
				return
			}
			conn, err := echoclient.Dial(c.addr, runTimeout)
			if err != nil {
				t.Fatalf("dial %s: %v", c.addr, err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(runTimeout))
			line := fmt.Sprintf("hello from %s\n", tt.name)
			if err := conn.Send([]byte(line)); err != nil {
				t.Fatal(err)
			}
			if got, err := conn.ReadLine(); err != nil || string(got) != line {
				t.Fatalf("echo: got %q, %v; want %q", got, err, line)
			}
			if tt.client == "echo" {
				conn.Close()
			}
			c.stopWith(t, tt.sig)
			if tt.client == "idle" {
				// The server closed the connection as it stopped: an orderly EOF.
				rest, err := conn.ReadToEOF()
				if err != nil || len(rest) != 0 {
					t.Errorf("client after the stop: %q, %v; want EOF", rest, err)
				}
			}
		})
	}
}

// gracefulFake is a server whose Shutdown lasts until Stop, as a busy server's grace period
// does; it records which of the two was called, and its Shutdown sends the second signal.
type gracefulFake struct {
	calls   []string
	stopped chan struct{}
	signals chan os.Signal
}

func (f *gracefulFake) Addr() string { return "127.0.0.1:1" }
func (f *gracefulFake) Serve() error { return nil }

func (f *gracefulFake) Stop() error {
	f.calls = append(f.calls, "Stop")
	close(f.stopped)
	return nil
}

func (f *gracefulFake) Shutdown(grace time.Duration) error {
	f.calls = append(f.calls, fmt.Sprintf("Shutdown(%v)", grace))
	f.signals <- syscall.SIGINT
	<-f.stopped
	return nil
}

// stop shuts a server down gracefully after a first signal, and stops it at once after a
// second; with -grace 0 it stops at once.
func TestRunStopSecondSignal(t *testing.T) {
	for _, tt := range []struct {
		grace     time.Duration
		wantCalls string
		wantSaid  string
	}{
		{time.Hour, "Shutdown(1h0m0s) Stop",
			"terminated, stopping gracefully: busy connections have 1h0m0s to finish; " +
				"a second signal stops at once|interrupt, stopping at once"},
		{0, "Stop", "terminated, stopping"},
	} {
		f := &gracefulFake{stopped: make(chan struct{}), signals: make(chan os.Signal, 1)}
		var said []string
		err := stop(f, tt.grace, syscall.SIGTERM, f.signals, func(s string) { said = append(said, s) })
		if err != nil {
			t.Errorf("grace %v: %v", tt.grace, err)
		}
		// Shutdown runs on another goroutine, and stop returns after it has.
		if got := strings.Join(f.calls, " "); got != tt.wantCalls {
			t.Errorf("grace %v: calls %q, want %q", tt.grace, got, tt.wantCalls)
		}
		if got := strings.Join(said, "|"); got != tt.wantSaid {
			t.Errorf("grace %v: said %q, want %q", tt.grace, got, tt.wantSaid)
		}
	}
}

// A certificate that cannot be used is not an address problem: the hint names -cert and -key.
func TestListenHintCertificate(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("certfile %q %w", "/nope.pem", ssl.ErrNoSuchFile),
		fmt.Errorf("%w: tls: found a certificate rather than a key", ssl.ErrKeyPair),
		ssl.ErrMissingCertFile,
	} {
		if h := listenHint(err); !strings.Contains(h, "-cert and -key take PEM files") {
			t.Errorf("listenHint(%v) = %q, want the -cert hint", err, h)
		}
	}
}
