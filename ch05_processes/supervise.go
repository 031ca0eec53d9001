// The parent's side: starting the children, waiting for each, restarting the ones that die.
// Mirrors the loop at the end of tornado/process.py fork_processes (3.2).

package process

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultGrace is how long ForkProcesses' parent, told to stop, lets its children stop after
// SIGTERM before it kills them: longer than a server's own graceful stop (`chapters run` gives
// its connections 3 s), within what supervisors wait (docker stop waits 10 s).
const DefaultGrace = 10 * time.Second

// Supervisor is a running set of children: it waits for each by its pid and restarts it as
// Tornado's fork_processes does, until none is left, it gives up, or it is stopped.
//
// Tornado waits with os.wait(), any child at all. Here each child is waited for by its pid
// (os.Process.Wait): a wait for any child would also reap children other code started and waits
// for, which would then wait forever or fail.
type Supervisor struct {
	n, maxRestarts int
	cfg            forkConfig
	self           string   // the program to execute again
	sockets        []int    // dups of the listening sockets, kept for restarts
	devNull        *os.File // the children's standard input
	readyR, readyW *os.File // the pipe children's Ready writes to
	ready          chan struct{}
	readDone       chan struct{} // readReady has ended
	spawn          chan spawnReq
	exits          chan exit
	stop           chan stopReq
	done           chan struct{}
	err            error // set before done closes

	mu       sync.Mutex
	pids     map[int]int // task id -> pid of the live children
	restarts int
}

type spawnReq struct {
	id    int
	reply chan spawned
}

type spawned struct {
	proc *os.Process
	pipe *os.File // the write end the child watches
	err  error
}

type exit struct {
	id, pid int
	state   *os.ProcessState
}

type stopReq struct {
	sig       syscall.Signal
	killAfter time.Duration
}

func startSupervisor(n, maxRestarts int, cfg forkConfig) (*Supervisor, error) {
	s := &Supervisor{
		n: n, maxRestarts: maxRestarts, cfg: cfg,
		// /proc/self/exe, not os.Executable(): under `go run` the binary may be deleted while
		// it runs, and the link still executes it, for every restart.
		self:  selfExe(),
		spawn: make(chan spawnReq), exits: make(chan exit), stop: make(chan stopReq, 1),
		done: make(chan struct{}), pids: make(map[int]int), ready: make(chan struct{}),
		readDone: make(chan struct{}),
	}
	var err error
	if s.devNull, err = os.Open(os.DevNull); err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	if s.readyR, s.readyW, err = os.Pipe(); err != nil {
		s.devNull.Close()
		return nil, fmt.Errorf("process: %w", err)
	}
	// The listening sockets are duplicated into descriptors of the supervisor's own, kept open
	// for as long as it runs, since a restart needs them; the originals stay their owner's, a
	// server that may close them. They stay plain descriptors, not *os.File values: os.NewFile
	// on a non-blocking socket registers it with the runtime's poller, and this process would
	// then wake for every connection its children accept (about 550 wake-ups per 1,000
	// connections, measured); a dropped *os.File would also be closed by its finalizer.
	for _, g := range cfg.groups {
		for _, fd := range g {
			dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
			if err != nil {
				s.closeSockets()
				return nil, fmt.Errorf("process: duplicating listening socket %d: %w", fd, err)
			}
			s.sockets = append(s.sockets, dup)
		}
	}
	go s.spawner()
	started := make(map[int]spawned)
	for id := range n {
		sp := s.start(id)
		if sp.err != nil {
			close(s.spawn)
			for id, sp := range started {
				sp.proc.Kill()
				s.wait(id, sp)
			}
			s.closeSockets()
			return nil, sp.err
		}
		started[id] = sp
	}
	for id, sp := range started {
		s.watch(id, sp)
	}
	go s.readReady()
	go s.run()
	return s, nil
}

// spawner starts every child from one goroutine locked to one OS thread, for the whole
// supervision: the kernel's parent-death signal (Pdeathsig) fires when the thread that started
// the child ends, not the process (go.dev/issue/27505), and the Go runtime ends idle threads
// and moves goroutines between them. A locked thread that lives as long as the supervisor does
// makes the signal mean "the parent is gone".
func (s *Supervisor) spawner() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for req := range s.spawn {
		req.reply <- s.exec(req.id)
	}
}

func (s *Supervisor) start(id int) spawned {
	reply := make(chan spawned)
	s.spawn <- spawnReq{id: id, reply: reply}
	return <-reply
}

// exec starts the child with task id id: the program again, with the same arguments, the
// parent's standard output and error (as a forked child has them), /dev/null for input (a
// child in a process group of its own that read the terminal would be stopped), the pipes and
// the sockets. syscall.StartProcess takes raw descriptors (see startSupervisor for why).
func (s *Supervisor) exec(id int) spawned {
	r, w, err := os.Pipe()
	if err != nil {
		return spawned{err: fmt.Errorf("process: child %d: %w", id, err)}
	}
	defer r.Close()
	sizes := make([]string, len(s.cfg.groups))
	for i, g := range s.cfg.groups {
		sizes[i] = strconv.Itoa(len(g))
	}
	env := append(os.Environ(), s.cfg.env...)
	env = append(env,
		envTaskID+"="+strconv.Itoa(id),
		envSockets+"="+strings.Join(sizes, ","),
		envPipe+"="+strconv.Itoa(parentPipeFD),
		envReady+"="+strconv.Itoa(readyPipeFD))
	files := []uintptr{s.devNull.Fd(), os.Stdout.Fd(), os.Stderr.Fd(), r.Fd(), s.readyW.Fd()}
	for _, fd := range s.sockets {
		files = append(files, uintptr(fd))
	}
	pid, err := syscall.ForkExec(s.self, os.Args, &syscall.ProcAttr{Env: env, Files: files, Sys: sysProcAttr()})
	if err == nil {
		var proc *os.Process
		if proc, err = os.FindProcess(pid); err == nil {
			return spawned{proc: proc, pipe: w}
		}
	}
	w.Close()
	return spawned{err: fmt.Errorf("process: starting child %d: %w", id, err)}
}

// wait waits for the child by its pid and closes the pipe's write end.
func (s *Supervisor) wait(id int, sp spawned) exit {
	state, err := sp.proc.Wait()
	sp.pipe.Close()
	if err != nil { // not our child after all: nothing to restart
		slog.Error("process: waiting for a child", "task", id, "pid", sp.proc.Pid, "err", err)
		state = nil
	}
	return exit{id: id, pid: sp.proc.Pid, state: state}
}

// watch records the child as live and waits for it on a goroutine of its own.
func (s *Supervisor) watch(id int, sp spawned) {
	s.mu.Lock()
	s.pids[id] = sp.proc.Pid
	s.mu.Unlock()
	go func() { s.exits <- s.wait(id, sp) }()
}

// run is the supervision: Tornado's "while children" loop, with a way to be stopped.
func (s *Supervisor) run() {
	live := s.n
	stopping := false
	var kill <-chan time.Time
	var killAt time.Time
	for live > 0 {
		select {
		case req := <-s.stop:
			// A second request (a second Ctrl-C, a Stop after a Shutdown) is sent on too,
			// and may bring SIGKILL closer, never put it off.
			// Nothing will be restarted: the copies of the listening sockets close first, so
			// that once a child has closed its own the kernel refuses new clients.
			s.closeListeners()
			s.Signal(req.sig)
			if at := time.Now().Add(req.killAfter); !stopping || at.Before(killAt) {
				kill, killAt = time.After(req.killAfter), at
			}
			stopping = true
		case <-kill:
			s.Signal(syscall.SIGKILL)
		case ex := <-s.exits:
			s.mu.Lock()
			delete(s.pids, ex.id)
			s.mu.Unlock()
			live--
			if stopping || !s.restart(ex) {
				continue
			}
			if s.restarts++; s.restarts > s.maxRestarts {
				// Tornado raises here and leaves the other children running, orphaned, with
				// nobody to restart or stop them. Here they are stopped as for Stop.
				s.err = ErrTooManyRestarts
				stopping = true
				s.Signal(syscall.SIGTERM)
				kill, killAt = time.After(DefaultGrace), time.Now().Add(DefaultGrace)
				continue
			}
			sp := s.start(ex.id)
			if sp.err != nil {
				slog.Error("process: cannot restart child", "task", ex.id, "err", sp.err)
				s.err = sp.err
				stopping = true
				s.Signal(syscall.SIGTERM)
				kill, killAt = time.After(DefaultGrace), time.Now().Add(DefaultGrace)
				continue
			}
			s.watch(ex.id, sp)
			live++
		}
	}
	close(s.spawn)
	s.closeSockets()
	<-s.readDone
	close(s.done)
}

// restart logs how the child ended, in Tornado's words, and says whether it is to be restarted:
// killed by a signal or a non-zero status, yes; exit 0, no.
func (s *Supervisor) restart(ex exit) bool {
	if ex.state == nil {
		return false
	}
	ws, _ := ex.state.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled():
		slog.Warn(fmt.Sprintf("child %d (pid %d) killed by signal %d, restarting", ex.id, ex.pid, int(ws.Signal())))
	case ws.ExitStatus() != 0:
		slog.Warn(fmt.Sprintf("child %d (pid %d) exited with status %d, restarting", ex.id, ex.pid, ws.ExitStatus()))
	default:
		slog.Info(fmt.Sprintf("child %d (pid %d) exited normally", ex.id, ex.pid))
		return false
	}
	return true
}

func (s *Supervisor) closeSockets() {
	s.closeListeners()
	s.devNull.Close()
	s.readyR.Close()
	s.readyW.Close()
}

// closeListeners closes the supervisor's copies of the listening sockets.
func (s *Supervisor) closeListeners() {
	for _, fd := range s.sockets {
		unix.Close(fd)
	}
	s.sockets = nil
}

// readReady reads the task ids children send with Ready, and closes ready once each of the
// first n has sent its own. It ends when the pipe is closed at the end of the supervision.
func (s *Supervisor) readReady() {
	defer close(s.readDone)
	seen := make(map[int]bool)
	sc := bufio.NewScanner(s.readyR)
	for sc.Scan() {
		id, err := strconv.Atoi(sc.Text())
		if err != nil || id < 0 || id >= s.n || seen[id] {
			continue
		}
		if seen[id] = true; len(seen) == s.n {
			close(s.ready)
		}
	}
}

// Ready is closed once every child has called Ready (process.Ready) at least once. A program
// whose children never call it waits on Done instead.
func (s *Supervisor) Ready() <-chan struct{} { return s.ready }

// Done is closed when the supervision has ended (see Wait).
func (s *Supervisor) Done() <-chan struct{} { return s.done }

// Wait waits until no child is left and returns nil, or ErrTooManyRestarts (or the error that
// kept a child from restarting) once the other children have been stopped.
func (s *Supervisor) Wait() error {
	<-s.done
	return s.err
}

// Stop stops the children: sig to each (SIGTERM asks for a graceful stop), SIGKILL to those
// still running after killAfter, and restarts none. It returns once they are all gone, with
// Wait's result. Called again meanwhile, it sends its signal too and may bring SIGKILL closer;
// after the end it only waits.
func (s *Supervisor) Stop(sig syscall.Signal, killAfter time.Duration) error {
	select {
	case s.stop <- stopReq{sig: sig, killAfter: killAfter}:
	case <-s.done:
	}
	return s.Wait()
}

// Pids gives the pid of each live child by task id.
func (s *Supervisor) Pids() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int]int, len(s.pids))
	for id, pid := range s.pids {
		out[id] = pid
	}
	return out
}

// Restarts is the number of restarts so far, all children together.
func (s *Supervisor) Restarts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarts
}

// selfExe is the path that executes this very program again.
func selfExe() string {
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		return "/proc/self/exe"
	}
	if p, err := os.Executable(); err == nil {
		return p
	}
	return os.Args[0]
}

// Signal sends sig to every live child, and changes nothing else: a child it kills is restarted
// unless the supervisor is stopping.
func (s *Supervisor) Signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pid := range s.pids {
		syscall.Kill(pid, sig)
	}
}
