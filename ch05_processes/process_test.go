//go:build linux

// The process tests: Tornado 3.2's test_multi_process and master's TestMultiprocess, and the
// facts of the re-executing design (restarts by task id, giving up, no child left behind), each
// a program of main_test.go run in a subprocess.

package process

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
	"tornadotcp/internal/testutil"
)

// startProgram runs the program name of main_test.go in a subprocess, bounded as Tornado's test
// bounds its processes with alarm(5), generously (testutil.ProgramTimeout) for a loaded machine.
func startProgram(t *testing.T, name string, env ...string) *testutil.Program {
	t.Helper()
	return testutil.StartProgram(t, programEnv, name, env...)
}

func TestMultiProcess(t *testing.T) {
	p := startProgram(t, "multi")
	out, code := p.Rest(t)
	if code != 0 || !slices.Contains(out, "client: ok") {
		t.Fatalf("exit status %d, output %q", code, out)
	}
	log := p.Stderr.String()
	for _, want := range []string{
		"Starting 3 processes",
		"exited with status 2, restarting", "exited with status 3, restarting",
		"exited with status 4, restarting",
		"child 2 (pid ", // the client, which exits 0
	} {
		if !strings.Contains(log, want) {
			t.Errorf("no %q in the log:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "exited normally"); n != 3 {
		t.Errorf("%d children exited normally, want 3 (the client and two servers):\n%s", n, log)
	}
}

func TestForkProcessesTaskIDs(t *testing.T) {
	out, code := startProgram(t, "ids").Rest(t)
	slices.Sort(out)
	want := []string{"task 0 0 true", "task 1 1 true", "task 2 2 true"}
	if code != 0 || !slices.Equal(out, want) {
		t.Fatalf("exit status %d, output %q; want 0, %q", code, out, want)
	}
}

func TestTooManyRestarts(t *testing.T) {
	p := startProgram(t, "failing")
	out, code := p.Rest(t)
	var runs0 int
	var pid1 int
	for _, l := range out {
		var id, pid int
		if n, _ := fmt.Sscanf(l, "task %d pid %d", &id, &pid); n == 2 {
			if id == 0 {
				runs0++
			} else {
				pid1 = pid
			}
		}
	}
	if code != 3 || !slices.Contains(out, "parent: "+ErrTooManyRestarts.Error()) {
		t.Fatalf("exit status %d, output %q; want the parent to report %q", code, out, ErrTooManyRestarts)
	}
	if runs0 != 3 {
		t.Errorf("child 0 ran %d times; with max_restarts=2 Tornado runs it 3 times", runs0)
	}
	if pid1 == 0 {
		t.Fatalf("child 1 never said its pid: %q", out)
	}
	testutil.Gone(t, pid1) // stopped, not orphaned as Tornado leaves it
}

// serving starts the serve program and reads the three children's pids by task id.
func serving(t *testing.T) (*testutil.Program, map[int]int) {
	p := startProgram(t, "serve")
	pids := map[int]int{}
	for len(pids) < 3 {
		var id, pid int
		if l := p.Line(t); strings.HasPrefix(l, "task ") {
			fmt.Sscanf(l, "task %d pid %d", &id, &pid)
			pids[id] = pid
		}
	}
	return p, pids
}

func TestKilledChildRestartsWithItsID(t *testing.T) {
	p, pids := serving(t)
	unix.Kill(pids[1], unix.SIGKILL)
	var id, pid int
	fmt.Sscanf(p.Line(t), "task %d pid %d", &id, &pid)
	if id != 1 || pid == pids[1] {
		t.Fatalf("after SIGKILL to task 1 (pid %d): task %d pid %d", pids[1], id, pid)
	}
	killed := pids[1]
	pids[1] = pid
	p.Cmd.Process.Signal(syscall.SIGTERM)
	if _, code := p.Rest(t); code != 0 {
		t.Fatalf("the parent exited %d after SIGTERM; want 0", code)
	}
	if want := fmt.Sprintf("child 1 (pid %d) killed by signal 9, restarting", killed); !strings.Contains(p.Stderr.String(), want) {
		t.Errorf("no %q in the log:\n%s", want, p.Stderr.String())
	}
	for _, pid := range pids {
		testutil.Gone(t, pid)
	}
}

func TestParentKilledLeavesNoChild(t *testing.T) {
	p, pids := serving(t)
	p.Cmd.Process.Kill()
	p.Rest(t)
	for _, pid := range pids {
		testutil.Gone(t, pid)
	}
}

func TestSecondForkInChildFails(t *testing.T) {
	out, code := startProgram(t, "twice").Rest(t)
	if code != 0 || len(out) != 2 {
		t.Fatalf("exit status %d, output %q", code, out)
	}
	for _, l := range out {
		if !strings.HasSuffix(l, ErrForkedTwice.Error()) {
			t.Errorf("%q: want the second call to fail with %q", l, ErrForkedTwice)
		}
	}
}

func TestUnixSocketInForm2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	p := startProgram(t, "unix", "PROCESS_TEST_UNIX="+path)
	for range 3 {
		p.Line(t)
	}
	seen := map[string]bool{}
	for i := 0; i < 300 && len(seen) < 2; i++ {
		c := dialUnix(t, path)
		fmt.Fprintln(c, "whoami")
		a, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		task, _, _ := strings.Cut(a, " ")
		seen[task] = true
	}
	if len(seen) < 2 {
		t.Errorf("300 connections over the unix socket all reached %v", seen)
	}
	p.Cmd.Process.Signal(syscall.SIGTERM)
	if _, code := p.Rest(t); code != 0 {
		t.Fatalf("the parent exited %d after SIGTERM; want 0", code)
	}
}

func dialUnix(t *testing.T, path string) io.ReadWriteCloser {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	return os.NewFile(uintptr(fd), path)
}

func TestForkRefusedOnceTheSingletonExists(t *testing.T) {
	log := testutil.DefaultLog(t)
	loop, err := ioloop.Instance()
	if err != nil {
		t.Fatal(err)
	}
	defer loop.Close()
	if _, err := ForkProcesses(2, 0); !errors.Is(err, ErrIOLoopInitialized) {
		t.Fatalf("ForkProcesses after Instance: %v; want %v", err, ErrIOLoopInitialized)
	}
	// Tornado's tutorial says a server given a loop starts as one process; 3.2's start(0) forks
	// regardless, and with the singleton passed in, fork_processes refuses, as here.
	srv := New(tcpserver.HandlerFunc(func(s *tcpserver.IOStream, _ string) { s.Close() }),
		tcpserver.WithIOLoop(loop))
	if err := srv.Bind(0, "127.0.0.1", unix.AF_INET, 0, false); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if err := srv.Start(0); !errors.Is(err, ErrIOLoopInitialized) {
		t.Fatalf("Start(0) with the singleton passed: %v; want %v", err, ErrIOLoopInitialized)
	}
	if strings.Contains(log.String(), "Starting") {
		t.Errorf("something was started:\n%s", log)
	}
}

func TestStartTwiceFailsBeforeFork(t *testing.T) {
	log := testutil.DefaultLog(t)
	loop, err := ioloop.New()
	if err != nil {
		t.Fatal(err)
	}
	defer loop.Close()
	srv := New(tcpserver.HandlerFunc(func(s *tcpserver.IOStream, _ string) { s.Close() }),
		tcpserver.WithIOLoop(loop))
	defer srv.Stop()
	if err := srv.Start(1); err != nil {
		t.Fatalf("Start(1): %v", err)
	}
	if err := srv.Start(0); !errors.Is(err, tcpserver.ErrAlreadyStarted) {
		t.Fatalf("second Start: %v; want %v", err, tcpserver.ErrAlreadyStarted)
	}
	if strings.Contains(log.String(), "Starting") {
		t.Errorf("the second Start forked:\n%s", log)
	}
}

func TestStopKillsAfterGrace(t *testing.T) {
	p := startProgram(t, "stubborn")
	out, code := p.Rest(t)
	var pids []int
	for _, l := range out {
		var id, pid int
		if n, _ := fmt.Sscanf(l, "task %d pid %d", &id, &pid); n == 2 {
			pids = append(pids, pid)
		}
	}
	if code != 0 || len(pids) != 2 || !slices.Contains(out, "stopped: <nil>, after the grace: true") {
		t.Fatalf("exit status %d, output %q", code, out)
	}
	for _, pid := range pids {
		testutil.Gone(t, pid)
	}
	if log := p.Stderr.String(); strings.Contains(log, "restarting") {
		t.Errorf("a child stopped was restarted:\n%s", log)
	}
}

// A loop passed to the constructor, then Start(2): every child serves, each on the loop its own
// main made; and what main printed before Start, every child printed again.
func TestLoopPassedStartForks(t *testing.T) {
	p := startProgram(t, "loop")
	var addr string
	before, serving := map[string]bool{}, 0
	for serving < 2 {
		l := p.Line(t)
		if rest, ok := strings.CutPrefix(l, "before the fork: "); ok {
			pid, a, _ := strings.Cut(rest, ", ")
			before[pid], addr = true, a
		} else if strings.HasSuffix(l, " serving") {
			serving++
		}
	}
	tasks := map[string]bool{}
	for i := 0; i < 300 && len(tasks) < 2; i++ {
		task, _ := testutil.Whoami(t, addr)
		tasks[task] = true
	}
	if len(tasks) != 2 {
		t.Errorf("300 connections reached tasks %v; want 0 and 1", tasks)
	}
	p.Cmd.Process.Signal(syscall.SIGTERM)
	out, code := p.Rest(t)
	for _, l := range out {
		if rest, ok := strings.CutPrefix(l, "before the fork: "); ok {
			pid, _, _ := strings.Cut(rest, ", ")
			before[pid] = true
		}
	}
	if code != 0 || len(before) != 3 {
		t.Errorf("exit status %d; the line before the fork came from %d processes, want 3 (parent and two children): %v",
			code, len(before), before)
	}
}

// A child runs main again: a port chosen at random before the fork is chosen again, differently,
// and the child's BindSockets refuses the inherited socket (ErrInheritedMismatch) rather than
// bind elsewhere. Each such child exits 1 and is restarted, until the parent gives up.
func TestRandomPortBeforeForkFails(t *testing.T) {
	p := startProgram(t, "random")
	out, code := p.Rest(t)
	mismatches := 0
	for _, l := range out {
		if strings.Contains(l, tcpserver.ErrInheritedMismatch.Error()) {
			mismatches++
		}
	}
	if code != 3 || !slices.Contains(out, "parent: "+ErrTooManyRestarts.Error()) || mismatches < 3 {
		t.Fatalf("exit status %d, %d mismatches, output:\n%s\nwant at least 3 children refusing the socket and the parent giving up",
			code, mismatches, strings.Join(out, "\n"))
	}
	t.Logf("output:\n%s", strings.Join(out, "\n"))
}
