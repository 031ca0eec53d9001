package tcpserver

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// acceptTestLoop makes a loop that logs into the returned buffer, and the option that sends the
// accept handler's reports there too. Start it with acceptTestRun.
func acceptTestLoop(t *testing.T) (*ioloop.IOLoop, *testutil.LogBuffer, AcceptOption) {
	t.Helper()
	logs := &testutil.LogBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	loop, err := ioloop.New(ioloop.WithLogger(logger))
	if err != nil {
		t.Fatalf("new loop: %v", err)
	}
	t.Cleanup(func() {
		if err := loop.Close(); err != nil {
			t.Errorf("close loop: %v", err)
		}
	})
	return loop, logs, WithAcceptLogger(logger)
}

// acceptTestRun runs loop on its own goroutine until the test ends.
func acceptTestRun(t *testing.T, loop *ioloop.IOLoop) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- loop.Start() }()
	t.Cleanup(func() {
		loop.Stop()
		if err := <-done; err != nil {
			t.Errorf("loop: %v", err)
		}
	})
}

// acceptTestOnLoop runs fn on the loop's goroutine and waits for it.
func acceptTestOnLoop(t *testing.T, loop *ioloop.IOLoop, fn func()) {
	t.Helper()
	done := make(chan struct{})
	if err := loop.AddCallback(func() { defer close(done); fn() }); err != nil {
		t.Fatalf("add callback: %v", err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the loop did not run a callback within 5s")
	}
}

// acceptTestWait asks cond on the loop's goroutine until it holds, for at most 5 seconds.
func acceptTestWait(t *testing.T, loop *ioloop.IOLoop, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var ok bool
		acceptTestOnLoop(t, loop, func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// acceptTestListener is a listening socket on 127.0.0.1 with room for backlog queued clients,
// closed when the test ends unless the test closes it (then it sets the returned pointer to -1).
func acceptTestListener(t *testing.T, backlog int) (fd *int, port int) {
	t.Helper()
	fds, err := BindSockets(0, "127.0.0.1", unix.AF_INET, backlog, false)
	if err != nil {
		t.Fatalf("BindSockets: %v", err)
	}
	fd = &fds[0]
	t.Cleanup(func() {
		if *fd >= 0 {
			unix.Close(*fd)
		}
	})
	return fd, int(bindTestAddr(t, fds[0]).Port())
}

// acceptTestDial connects n clients to 127.0.0.1:port and returns their descriptors, closed when
// the test ends. Each connect returns once the kernel has queued the connection for accept.
func acceptTestDial(t *testing.T, port, n int) []int {
	t.Helper()
	clients := make([]int, 0, n)
	t.Cleanup(func() { closeOpened(clients) })
	for range n {
		fd, err := blocking.Socket(unix.AF_INET)
		if err != nil {
			t.Fatalf("socket: %v", err)
		}
		clients = append(clients, fd)
		sa := &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
		if err := unix.Connect(fd, sa); err != nil {
			t.Fatalf("connect client %d: %v", len(clients), err)
		}
	}
	return clients
}

// Connections queued before the loop starts are all accepted, non-blocking and close-on-exec,
// each with its peer's address.
func TestAcceptHandlerAcceptsQueued(t *testing.T) {
	testutil.CheckLeaks(t)
	loop, logs, logTo := acceptTestLoop(t)
	listener, port := acceptTestListener(t, 0)
	clients := acceptTestDial(t, port, 20)
	want := map[string]bool{}
	for _, c := range clients {
		local, err := blocking.LocalAddr(c)
		if err != nil {
			t.Fatal(err)
		}
		want[local] = true
	}

	got := map[string]bool{}
	remove, err := AddAcceptHandler(loop, *listener, func(conn int, addr unix.Sockaddr) {
		if err := descriptorFlagsError(conn); err != nil {
			t.Error(err)
		}
		got[blocking.FormatAddr(addr)] = true
		unix.Close(conn)
	}, logTo)
	if err != nil {
		t.Fatal(err)
	}
	acceptTestRun(t, loop)
	acceptTestWait(t, loop, "20 connections", func() bool { return len(got) == len(want) })
	acceptTestOnLoop(t, loop, remove)
	for addr := range want {
		if !got[addr] {
			t.Errorf("no connection from %s was accepted (got %v)", addr, got)
		}
	}
	if logs.String() != "" {
		t.Errorf("unexpected log: %s", logs)
	}
}

// A second accept handler on the same descriptor is an error, as a second IOLoop handler is.
func TestAcceptHandlerTwiceIsAnError(t *testing.T) {
	testutil.CheckLeaks(t)
	loop, _, logTo := acceptTestLoop(t)
	listener, _ := acceptTestListener(t, 0)
	closeConn := func(conn int, _ unix.Sockaddr) { unix.Close(conn) }
	remove, err := AddAcceptHandler(loop, *listener, closeConn, logTo)
	if err != nil {
		t.Fatal(err)
	}
	defer remove()
	_, err = AddAcceptHandler(loop, *listener, func(int, unix.Sockaddr) {}, logTo)
	if err == nil {
		t.Fatal("a second accept handler on one fd was accepted")
	}
	// The loop's error, which names the descriptor, is wrapped once, with one prefix.
	fd := fmt.Sprintf("fd %d", *listener)
	msg := err.Error()
	if !errors.Is(err, ioloop.ErrRegistered) || !strings.HasPrefix(msg, "tcpserver: accept: ") ||
		strings.Count(msg, "tcpserver:") != 1 || strings.Count(msg, fd) != 1 {
		t.Errorf("second AddAcceptHandler: %q; want ErrRegistered, wrapped once, naming %s once", msg, fd)
	}
}

// An accept handler given a nil logger reports on slog.Default() instead of crashing when it
// first has something to say: here, accept failing on a socket that does not listen.
func TestAcceptHandlerNilLoggerUsesDefault(t *testing.T) {
	testutil.CheckLeaks(t)
	logs := testutil.DefaultLog(t)
	loop, _, _ := acceptTestLoop(t)
	fd, err := blocking.Socket(unix.AF_INET) // not listening: accept fails with EINVAL
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	remove, err := AddAcceptHandler(loop, fd, func(int, unix.Sockaddr) {}, WithAcceptLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	acceptTestRun(t, loop)
	defer acceptTestOnLoop(t, loop, remove)
	testutil.WaitFor(t, "the default logger to get the failure", func() bool {
		return strings.Contains(logs.String(), "accept failed")
	})
}

// With 300 clients queued, one readable event accepts 128 of them and the loop gets a pass in
// between: a callback added by the first accept runs once that batch is over, and sees 128.
func TestAcceptHandlerTakesAtMost128PerEvent(t *testing.T) {
	testutil.CheckLeaks(t)
	const clients = 300
	loop, _, logTo := acceptTestLoop(t)
	listener, port := acceptTestListener(t, 1024)
	acceptTestDial(t, port, clients)

	accepted := 0
	var batches []int // connections accepted between two passes of the loop
	counting := false
	remove, err := AddAcceptHandler(loop, *listener, func(conn int, _ unix.Sockaddr) {
		unix.Close(conn)
		accepted++
		if !counting {
			counting = true
			start := accepted - 1
			loop.AddCallback(func() {
				batches = append(batches, accepted-start)
				counting = false
			})
		}
	}, logTo)
	if err != nil {
		t.Fatal(err)
	}
	acceptTestRun(t, loop)
	acceptTestWait(t, loop, "every connection", func() bool {
		return accepted == clients && !counting
	})
	acceptTestOnLoop(t, loop, remove)
	t.Logf("batches: %v", batches)
	total := 0
	for _, n := range batches {
		total += n
		if n > acceptsPerEvent {
			t.Errorf("a batch of %d connections, want at most %d", n, acceptsPerEvent)
		}
	}
	if total != clients || len(batches) == 0 || batches[0] != acceptsPerEvent {
		t.Errorf("batches %v, want the first of %d and %d in all", batches, acceptsPerEvent, clients)
	}
}

// remove stops accepting, twice is harmless, and the listener is then free for another handler:
// its next connection waits in the queue and the accept callback does not run.
func TestAcceptHandlerRemove(t *testing.T) {
	testutil.CheckLeaks(t)
	loop, logs, logTo := acceptTestLoop(t)
	listener, port := acceptTestListener(t, 0)
	accepted := 0
	remove, err := AddAcceptHandler(loop, *listener, func(conn int, _ unix.Sockaddr) {
		unix.Close(conn)
		accepted++
	}, logTo)
	if err != nil {
		t.Fatal(err)
	}
	acceptTestRun(t, loop)
	acceptTestDial(t, port, 1)
	acceptTestWait(t, loop, "the first connection", func() bool { return accepted == 1 })

	probed := make(chan int, 1)
	acceptTestOnLoop(t, loop, func() {
		remove()
		remove()
		err := loop.AddHandler(*listener, func(fd int, _ uint32) {
			loop.RemoveHandler(fd)
			probed <- accepted
		}, ioloop.READ)
		if err != nil {
			t.Errorf("the listener is still registered after remove: %v", err)
		}
	})
	acceptTestDial(t, port, 1)
	select {
	case n := <-probed:
		if n != 1 {
			t.Errorf("%d connections accepted after remove, want 1 (the one before)", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the listener never became readable")
	}
	if logs.String() != "" {
		t.Errorf("unexpected log: %s", logs)
	}
}

// A callback that removes the handler and closes the listener in the middle of a batch (a
// server stopping while clients queue): the batch stops there, no accept runs on the closed
// descriptor, and the clients still queued are refused by the kernel.
func TestAcceptHandlerRemoveMidBatch(t *testing.T) {
	testutil.CheckLeaks(t)
	loop, logs, logTo := acceptTestLoop(t)
	listener, port := acceptTestListener(t, 0)
	acceptTestDial(t, port, 10)
	accepted := 0
	var remove func()
	remove, err := AddAcceptHandler(loop, *listener, func(conn int, _ unix.Sockaddr) {
		unix.Close(conn)
		accepted++
		if accepted == 3 {
			remove()
			unix.Close(*listener)
			*listener = -1
		}
	}, logTo)
	if err != nil {
		t.Fatal(err)
	}
	acceptTestRun(t, loop)
	acceptTestWait(t, loop, "the third connection", func() bool { return accepted >= 3 })
	acceptTestOnLoop(t, loop, func() {
		if accepted != 3 {
			t.Errorf("%d connections accepted, want 3: accepting went on after remove", accepted)
		}
		remove()
	})
	if logs.String() != "" {
		t.Errorf("unexpected log (an accept on the closed descriptor?): %s", logs)
	}
}
