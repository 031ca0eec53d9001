// Test helpers: the backends every test runs on, descriptors that clean up after themselves, a
// loop runner with a watchdog, and a log that can be searched.

package ioloop

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tornadotcp/internal/testutil"
)

// backend is one monitor under test, with what the contract lets it do differently.
type backend struct {
	name string
	new  func() (Poller, error)
	edge bool // edge-triggered: report changes only
	// hangupIsError: a pipe or socketpair whose peer has gone is ERROR (epoll, poll), not READ
	// with EOF (kqueue).
	hangupIsError bool
	// errorOnlySilent: an fd registered for neither READ nor WRITE reports nothing while merely
	// readable (kqueue watches reads then).
	errorOnlySilent bool
}

// forEachBackend runs test once per backend, each with the leak check.
func forEachBackend(t *testing.T, test func(t *testing.T, b backend)) {
	for _, b := range testBackends() {
		t.Run(b.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			test(t, b)
		})
	}
}

// newPoller makes b's monitor, closed when the test ends.
func newPoller(t *testing.T, b backend) Poller {
	t.Helper()
	p, err := b.new()
	if err != nil {
		t.Fatalf("new %s poller: %v", b.name, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// newLoop makes a loop on b's monitor, logging into the returned buffer, closed when the test
// ends.
func newLoop(t *testing.T, b backend) (*IOLoop, *testutil.LogBuffer) {
	t.Helper()
	p, err := b.new()
	if err != nil {
		t.Fatalf("new %s poller: %v", b.name, err)
	}
	logs := &testutil.LogBuffer{}
	l, err := New(WithPoller(p), WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	if err != nil {
		p.Close()
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l, logs
}

// watchdog is how long a test loop may run before the test is failed and the loop stopped.
const watchdog = 5 * time.Second

// run starts l on this goroutine and returns when it stops. If it is still running after the
// watchdog, the test fails and the loop is stopped: a broken wake-up fails instead of hanging.
func run(t *testing.T, l *IOLoop) {
	t.Helper()
	dog := l.CallLater(watchdog, func() {
		t.Errorf("loop still running after %v", watchdog)
		l.Stop()
	})
	if err := l.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	l.RemoveTimeout(dog)
}

// goStart runs l.Start on a new goroutine and returns a function that waits for it to return
// (failing the test after the watchdog) and gives Start's error.
func goStart(t *testing.T, l *IOLoop) (wait func() error) {
	t.Helper()
	result := make(chan error, 1)
	go func() { result <- l.Start() }()
	return func() error {
		t.Helper()
		select {
		case err := <-result:
			return err
		case <-time.After(watchdog):
			t.Fatalf("Start did not return within %v", watchdog)
			return nil
		}
	}
}

// eventually polls cond until it holds or the watchdog passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(watchdog)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// isSleeping reports whether l is waiting in its monitor with a timeout and nobody woke it.
func (l *IOLoop) isSleeping() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sleeping
}

// fdSet opens descriptors for one test and closes whatever the test did not close itself.
type fdSet struct {
	t    *testing.T
	open map[int]bool
}

func newFDSet(t *testing.T) *fdSet {
	s := &fdSet{t: t, open: make(map[int]bool)}
	t.Cleanup(func() {
		for fd := range s.open {
			unix.Close(fd)
		}
	})
	return s
}

func (s *fdSet) add(fds ...int) {
	for _, fd := range fds {
		s.open[fd] = true
	}
}

// socketpair returns two connected, non-blocking Unix stream sockets.
func (s *fdSet) socketpair() (a, b int) {
	s.t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		s.t.Fatalf("socketpair: %v", err)
	}
	s.add(fds[0], fds[1])
	s.nonblock(fds[0], fds[1])
	return fds[0], fds[1]
}

// pipe returns a non-blocking pipe's read and write ends.
func (s *fdSet) pipe() (r, w int) {
	s.t.Helper()
	var fds [2]int
	if err := unix.Pipe(fds[:]); err != nil {
		s.t.Fatalf("pipe: %v", err)
	}
	s.add(fds[0], fds[1])
	s.nonblock(fds[0], fds[1])
	return fds[0], fds[1]
}

func (s *fdSet) nonblock(fds ...int) {
	s.t.Helper()
	for _, fd := range fds {
		if err := unix.SetNonblock(fd, true); err != nil {
			s.t.Fatalf("set non-blocking: %v", err)
		}
	}
}

// close closes fd now (a peer hanging up, say).
func (s *fdSet) close(fd int) {
	s.t.Helper()
	delete(s.open, fd)
	if err := unix.Close(fd); err != nil {
		s.t.Fatalf("close %d: %v", fd, err)
	}
}

// forget is for a descriptor something else (CloseAll) closed.
func (s *fdSet) forget(fd int) { delete(s.open, fd) }

func write(t *testing.T, fd int, data string) {
	t.Helper()
	if _, err := unix.Write(fd, []byte(data)); err != nil {
		t.Fatalf("write fd %d: %v", fd, err)
	}
}

// drain reads fd until it would block (what an edge-triggered reader must do) and returns what
// it read; EOF ends it too.
func drain(t *testing.T, fd int) string {
	t.Helper()
	var out strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EAGAIN) || n == 0 && err == nil {
			return out.String()
		}
		if err != nil {
			t.Fatalf("read fd %d: %v", fd, err)
		}
		out.Write(buf[:n])
	}
}

// readable reports whether fd has something to read right now.
func readable(t *testing.T, fd int) bool {
	t.Helper()
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(pfd, 0)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	return n > 0 && pfd[0].Revents&unix.POLLIN != 0
}

// contains reports whether s contains every one of subs.
func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
