//go:build linux

// Tests of the forked server beyond what every chapter 1 server is tested for (server_test.go):
// each client is served by a process of its own, and no child outlives the parent or its Stop,
// whatever happens to a child, to the parent, or to the descriptor table.

package blocking_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/testutil"
)

// forkedClients connects n clients to srv, echoes a line on each, and returns them with the pid
// of the child serving each, found by the client's address in the parent's accounting.
func forkedClients(t *testing.T, srv *running, n int) ([]*echoclient.Conn, []int) {
	t.Helper()
	conns := make([]*echoclient.Conn, n)
	for i := range conns {
		conns[i] = testutil.Dial(t, srv.Addr())
		testutil.Echo(t, conns[i], fmt.Sprintf("client %d\n", i))
	}
	byPeer := make(map[string]int)
	for pid, peer := range srv.Children() {
		byPeer[peer] = pid
	}
	pids := make([]int, n)
	for i, c := range conns {
		pid, ok := byPeer[c.LocalAddr()]
		if !ok {
			t.Fatalf("client %d (%s) has no child; children: %v", i, c.LocalAddr(), srv.Children())
		}
		pids[i] = pid
	}
	return conns, pids
}

// procStatus returns the value of one line of /proc/PID/status, and false if there is no such
// process.
func procStatus(pid int, field string) (string, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", false
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v), true
		}
	}
	return "", true
}

// gone reports whether process pid has ended: it does not exist, or is a zombie nobody reaped
// (an orphan's new parent, in a container, may be a PID 1 that never waits).
func gone(pid int) bool {
	state, ok := procStatus(pid, "State")
	return !ok || strings.HasPrefix(state, "Z")
}

func TestForkedServesEachClientInItsOwnProcess(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := serve(t, blocking.NewForked)
	conns, pids := forkedClients(t, srv, 3)
	seen := make(map[int]bool)
	for i, pid := range pids {
		if seen[pid] || pid == os.Getpid() {
			t.Fatalf("client %d is served by pid %d, which is not a process of its own: %v", i, pid, pids)
		}
		seen[pid] = true
		if ppid, _ := procStatus(pid, "PPid"); ppid != strconv.Itoa(os.Getpid()) {
			t.Errorf("child %d has parent %q, want this process, %d", pid, ppid, os.Getpid())
		}
		// The connection is the child's descriptor 3, and the parent has closed its copy.
		sock, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/3", pid))
		if err != nil || !strings.HasPrefix(sock, "socket:") {
			t.Errorf("child %d's descriptor 3 is %q, %v; want its socket", pid, sock, err)
		}
		for _, fd := range testutil.OpenFDs(t) {
			if strings.HasSuffix(fd, " -> "+sock) {
				t.Errorf("the parent still holds child %d's connection as %s", pid, fd)
			}
		}
	}
	// Each is still served, by its own child, while the others stay connected.
	for i, c := range conns {
		testutil.Echo(t, c, fmt.Sprintf("client %d again\n", i))
	}
}

// stopReaped stops srv and fails the test if any of pids still exists: Stop returns only once
// every child has been reaped.
func stopReaped(t *testing.T, srv *running, pids []int) {
	t.Helper()
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	for _, pid := range pids {
		if _, ok := procStatus(pid, "State"); ok {
			t.Errorf("child %d still exists after Stop", pid)
		}
	}
}

func TestForkedStopLeavesNoChild(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := serve(t, blocking.NewForked)
	conns, pids := forkedClients(t, srv, 3)
	stopReaped(t, srv, pids)
	if err := srv.waitServe(t); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	if left := srv.Children(); len(left) != 0 {
		t.Errorf("children after Stop: %v", left)
	}
	for i, c := range conns {
		if rest, err := c.ReadToEOF(); err != nil || len(rest) != 0 {
			t.Errorf("client %d after Stop: read %q, %v; want an orderly EOF", i, rest, err)
		}
	}
	if logged := srv.log.String(); logged != "" {
		t.Errorf("Stop logged: %q", logged)
	}
}

// A child that cannot read the pipe's EOF, because it is stopped, is killed after the grace.
func TestForkedStopKillsAStoppedChild(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := serve(t, blocking.NewForked)
	conns, pids := forkedClients(t, srv, 2)
	if err := syscall.Kill(pids[0], syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopReaped(t, srv, pids)
	// The stopped child's client sees its connection closed by the kernel, the other's by its
	// child.
	for i, c := range conns {
		if rest, _ := c.ReadToEOF(); len(rest) != 0 {
			t.Errorf("client %d after Stop: read %q", i, rest)
		}
	}
}

func TestForkedChildKilledMidConnection(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := serve(t, blocking.NewForked)
	conns, pids := forkedClients(t, srv, 3)
	if err := syscall.Kill(pids[1], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if rest, _ := conns[1].ReadToEOF(); len(rest) != 0 {
		t.Errorf("the killed child's client read %q", rest)
	}
	testutil.WaitFor(t, "the parent to reap the killed child", func() bool {
		_, live := srv.Children()[pids[1]]
		return !live
	})
	// The parent and the other children are untouched, and a new client is served.
	testutil.Echo(t, conns[0], "client 0 after the kill\n")
	testutil.Echo(t, conns[2], "client 2 after the kill\n")
	testutil.Echo(t, testutil.Dial(t, srv.Addr()), "a new client\n")
	if logged := srv.log.String(); !strings.Contains(logged, "signal: killed") {
		t.Errorf("log = %q, want the killed child reported", logged)
	}
}

// A connection the parent cannot give a process to, for want of descriptors, is closed, and the
// server goes on; so is one it cannot even accept (the Reserve's work, shared with the others).
func TestForkedOutOfDescriptors(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := serve(t, blocking.NewForked)
	testutil.Echo(t, testutil.Dial(t, srv.Addr()), "warm up\n") // Serve is running

	spare, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	release := testutil.ExhaustDescriptors(t)
	spare.Close()
	// Two descriptors are free: the client's socket and the accepted connection take them, and
	// the spawn, which needs a pipe, fails.
	c := testutil.Dial(t, srv.Addr())
	if rest, _ := c.ReadToEOF(); len(rest) != 0 {
		t.Errorf("a client the parent could not spawn for read %q", rest)
	}
	c.Close()
	// One is free: the client takes it, accept fails, and the Reserve closes the connection.
	release2 := testutil.ExhaustDescriptors(t)
	c2 := testutil.Dial(t, srv.Addr())
	if rest, _ := c2.ReadToEOF(); len(rest) != 0 {
		t.Errorf("a client the parent could not accept read %q", rest)
	}
	c2.Close()
	release2()
	release()
	testutil.Echo(t, testutil.Dial(t, srv.Addr()), "descriptors are back\n")
	// One shortage, two lines: when it began (with the failed spawn) and when it ended.
	logged := srv.log.String()
	if !strings.Contains(logged, "fork/exec") || !strings.Contains(logged, "accepting again") ||
		strings.Count(logged, "\n") != 2 {
		t.Errorf("log = %q, want the shortage's two lines, the first naming the failed spawn", logged)
	}
}

// A parent killed with SIGKILL runs no code: its children learn it from the pipe's EOF.
func TestForkedParentKilled(t *testing.T) {
	testutil.CheckLeaks(t)
	h := startHelper(t, "forked")
	addr := h.addr
	conns := []*echoclient.Conn{testutil.Dial(t, addr), testutil.Dial(t, addr)}
	for i, c := range conns {
		testutil.Echo(t, c, fmt.Sprintf("client %d\n", i))
	}
	kids := children(t, h.cmd.Process.Pid)
	if len(kids) != 2 {
		t.Fatalf("the helper has children %v, want one per client", kids)
	}
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for i, c := range conns {
		if rest, _ := c.ReadToEOF(); len(rest) != 0 {
			t.Errorf("client %d read %q after its server's parent died", i, rest)
		}
	}
	for _, pid := range kids {
		testutil.WaitFor(t, fmt.Sprintf("child %d to end", pid), func() bool { return gone(pid) })
	}
}

// children lists the pids of process pid's children, from /proc/PID/task/*/children.
func children(t *testing.T, pid int) []int {
	t.Helper()
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, task := range tasks {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range strings.Fields(string(data)) {
			n, _ := strconv.Atoi(f)
			out = append(out, n)
		}
	}
	return out
}

// A program started with ForkedChildEnv set to anything but its connection's descriptor says so
// and exits, before any test runs.
func TestForkedChildEnvMisused(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), blocking.ForkedChildEnv+"=oops")
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 2 || !bytes.Contains(out, []byte(blocking.ForkedChildEnv)) {
		t.Errorf("got %v and %q; want exit status 2 and a line naming %s", err, out, blocking.ForkedChildEnv)
	}
}
