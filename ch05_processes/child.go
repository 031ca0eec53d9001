// The child's side of the hand-off: what a re-executed child reads from its environment before
// main runs. Tornado's child needs none of this: after os.fork() it is the parent, with one
// variable, _task_id, set (tornado/process.py fork_processes, 3.2).

package process

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	tcpserver "tornadotcp/ch04_tcpserver"
)

// The environment a parent gives each child. They are removed as soon as they are read, so that
// a program the child runs (a shell, a helper) is not taken for a worker.
const (
	envTaskID  = "TORNADOTCP_TASK_ID"   // the task id, 0 to n-1
	envSockets = "TORNADOTCP_SOCKETS"   // the inherited groups' sizes, "2,1": fds 4,5 then 6
	envPipe    = "TORNADOTCP_PARENT_FD" // the read end of the pipe whose EOF says the parent died
	envReady   = "TORNADOTCP_READY_FD"  // the write end of the pipe Ready writes to
)

// The descriptors a child inherits after 0, 1 and 2 (/dev/null and the parent's standard
// output and error): the two pipes, then the sockets, in the order of the binding calls.
const (
	parentPipeFD  = 3
	readyPipeFD   = 4
	firstSocketFD = 5
)

// ParentGoneGrace is how long a child whose parent has died gives itself to stop after it has
// sent itself SIGTERM, before it exits with status 1 regardless: a program that catches SIGTERM
// for a graceful stop gets that long to finish, and one that ignores it is not left behind.
const ParentGoneGrace = 10 * time.Second

// child is this process's task, if a parent started it.
var child struct {
	sync.Mutex
	isChild  bool
	id       int
	returned bool     // ForkProcesses has returned the id once
	err      error    // the environment could not be read
	ready    *os.File // Ready's pipe; nil once written
}

func init() {
	v, ok := os.LookupEnv(envTaskID)
	if !ok {
		return
	}
	sockets, pipe, ready := os.Getenv(envSockets), os.Getenv(envPipe), os.Getenv(envReady)
	for _, k := range []string{envTaskID, envSockets, envPipe, envReady} {
		os.Unsetenv(k)
	}
	child.isChild = true
	id, err := strconv.Atoi(v)
	if err != nil || id < 0 {
		child.err = fmt.Errorf("process: %s=%q is not a task id", envTaskID, v)
		return
	}
	child.id = id
	groups, err := parseGroups(sockets)
	if err == nil {
		err = tcpserver.InheritSockets(groups)
	}
	if err != nil {
		child.err = fmt.Errorf("process: task %d cannot take its sockets: %w", id, err)
		return
	}
	if fd, err := strconv.Atoi(ready); err == nil {
		unix.CloseOnExec(fd) // exec cleared it; the child's own subprocesses need none of this
		child.ready = os.NewFile(uintptr(fd), "ready pipe")
	}
	if fd, err := strconv.Atoi(pipe); err == nil {
		unix.CloseOnExec(fd)
		go watchParent(os.NewFile(uintptr(fd), "parent pipe"))
	}
}

// Ready tells the parent that this child serves: its sockets are on its loop, or, for a
// server that binds after the fork (SO_REUSEPORT), bound and listening. Supervisor.Ready
// reports when every child has said so. It does nothing outside a child, and after the first
// call. Tornado has no such thing: a forked child's sockets listen from before the fork.
func Ready() {
	child.Lock()
	defer child.Unlock()
	if child.ready == nil {
		return
	}
	fmt.Fprintf(child.ready, "%d\n", child.id)
	child.ready.Close()
	child.ready = nil
}

// parseGroups turns "2,1" into [[4 5] [6]].
func parseGroups(sizes string) ([][]int, error) {
	if sizes == "" {
		return nil, nil
	}
	var groups [][]int
	fd := firstSocketFD
	for s := range strings.SplitSeq(sizes, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%s=%q is not a list of group sizes", envSockets, sizes)
		}
		g := make([]int, n)
		for i := range g {
			g[i] = fd
			fd++
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// watchParent waits for EOF on the pipe whose write end only the parent holds: EOF means the
// parent is gone, however it died. The kernel's parent-death signal (supervise_linux.go) covers
// the same case, but it belongs to the thread that started the child, not to the process, and
// it does not exist off Linux. The child then stops as if told to: SIGTERM to itself, and exit
// after ParentGoneGrace if it is still running.
func watchParent(pipe *os.File) {
	var b [1]byte
	for {
		if _, err := pipe.Read(b[:]); err != nil {
			break
		}
	}
	slog.Warn("process: the parent is gone, stopping", "task", child.id, "pid", os.Getpid())
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	time.Sleep(ParentGoneGrace)
	os.Exit(1)
}

// TaskID is this process's task id, from 0 to n-1, and true, in a child ForkProcesses
// started; false in any other process, the parent included. Tornado's task_id is None until
// fork_processes has returned in the child; a re-executed child knows its id from the start,
// before main, and so does TaskID.
func TaskID() (int, bool) {
	child.Lock()
	defer child.Unlock()
	return child.id, child.isChild && child.err == nil
}
