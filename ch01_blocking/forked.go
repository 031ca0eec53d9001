// The classic fork-per-connection server, the other half of the tutorial's "多线程或者多进程":
// the parent accepts, and each client is served by a process of its own. It mirrors no Tornado
// function; tornado/process.py fork_processes (3.2) forks workers before accepting, which is
// chapter 5's design.

package blocking

import (
	"errors"
	"maps"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// ForkedStopGrace is how long Stop lets the children of a forked server end by themselves
// before it kills them.
const ForkedStopGrace = 5 * time.Second

// NewForked listens on hostport and returns a server that gives each connection a process of its
// own, as a C server calls fork() after accept. Go cannot fork a running runtime (the child would
// have one thread, and the runtime's other threads and locks would be gone), so the parent starts
// the same program again, /proc/self/exe, with the connection as its descriptor 3 and
// ForkedChildEnv set: the program serves that one connection with Echo and exits before its main
// runs (see forked_child.go). The parent closes its copy of the connection at once, waits for
// each child by its pid, and keeps accepting. Linux only: /proc/self/exe names the running
// program there; elsewhere no child can start, and each connection is closed with a log line.
func NewForked(hostport string) (*Server, error) {
	s, err := newServer(hostport, false)
	if err != nil {
		return nil, err
	}
	// The pipe's write end never leaves the parent (it is close-on-exec); each child inherits the
	// read end and reads EOF from it once the parent is gone, however it went, even killed.
	r, w, err := os.Pipe()
	if err != nil {
		s.closeListener()
		return nil, err
	}
	s.children = &children{watchR: r, watchW: w, live: make(map[int]childInfo)}
	return s, nil
}

// children is what a forked server keeps about the processes it started.
type children struct {
	watchR, watchW *os.File // the pipe whose EOF tells every child the parent has gone

	mu   sync.Mutex
	live map[int]childInfo // by pid, until reaped
	kill *time.Timer       // set by stop: kills the children still live after the grace
}

type childInfo struct {
	peer string      // the client's address
	proc *os.Process // for Kill, which is safe after the process is reaped (unlike kill(pid))
}

// Children returns the pid of every child process of a forked server that has not yet been
// reaped, with the address of the client it serves; nil for the other servers.
func (s *Server) Children() map[int]string {
	if s.children == nil {
		return nil
	}
	c := s.children
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[int]string, len(c.live))
	for pid, ch := range c.live {
		out[pid] = ch.peer
	}
	return out
}

// spawnConn hands conn, a tracked connection, to a child of its own and closes the parent's copy
// at once: the client is the child's now. If no child can be started the client's connection
// is closed, the server goes on, and the error is returned; spawnConn has logged it unless it
// is OutOfDescriptors, which the accept loop reports.
func (s *Server) spawnConn(conn int, peer string) error {
	// An *os.File closes its descriptor when it is collected, so the parent's copy is closed
	// through it, never with unix.Close. It stays blocking: NewFile gives the runtime's poller
	// only descriptors that are non-blocking already.
	f := os.NewFile(uintptr(conn), "conn")
	err := s.spawn(f, peer)
	s.mu.Lock()
	delete(s.conns, conn)
	s.mu.Unlock()
	f.Close()
	if err != nil && !OutOfDescriptors(err) && !s.isStopping() {
		s.log().Warn("cannot start a process for the connection; closing it", "peer", peer, "err", err)
	}
	return err
}

// spawn starts a child serving conn, and a goroutine in s.handlers that waits for it.
func (s *Server) spawn(conn *os.File, peer string) error {
	c := s.children
	p, err := os.StartProcess("/proc/self/exe", []string{os.Args[0]}, &os.ProcAttr{
		Env: append(os.Environ(), ForkedChildEnv+"="+strconv.Itoa(childConnFD)),
		// Descriptors 0 to 4 of the child: no standard input or output, the parent's standard
		// error for its log lines, the connection (3) and the pipe to watch (4).
		Files: []*os.File{nil, nil, os.Stderr, conn, c.watchR},
		// Its own process group, so that a Ctrl-C at a terminal reaches the parent alone, which
		// then stops the children itself.
		Sys: &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.live[p.Pid] = childInfo{peer: peer, proc: p}
	c.mu.Unlock()
	s.handlers.Add(1)
	go func() {
		defer s.handlers.Done()
		// Wait waits for this pid only (wait4(pid), or its pidfd): never wait4(-1), which would
		// reap children that other code in the program waits for.
		state, err := p.Wait()
		c.mu.Lock()
		delete(c.live, p.Pid)
		c.mu.Unlock()
		switch {
		case err != nil:
			s.log().Warn("waiting for child", "pid", p.Pid, "err", err)
		case !state.Success() && !s.isStopping():
			s.log().Warn("child ended abnormally", "pid", p.Pid, "peer", peer, "status", state)
		}
	}()
	return nil
}

// stop tells every child to close its connection and exit (the pipe's EOF), and kills those
// still live after ForkedStopGrace: one that is stopped (SIGSTOP) never reads the EOF.
func (c *children) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.watchW.Close()
	c.watchW = nil
	c.kill = time.AfterFunc(ForkedStopGrace, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for ch := range maps.Values(c.live) {
			ch.proc.Kill()
		}
	})
}

// close releases what is left once every child has been reaped.
func (c *children) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	if c.kill != nil {
		c.kill.Stop()
	}
	if c.watchW != nil {
		err = c.watchW.Close()
	}
	return errors.Join(err, c.watchR.Close())
}
