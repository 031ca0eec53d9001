// Starting the worker processes. Mirrors tornado/process.py fork_processes (3.2).

package process

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
)

var (
	// ErrIOLoopInitialized: ForkProcesses was called after the IOLoop singleton was made.
	// Tornado's message, word for word: a loop made before the fork would be shared.
	//lint:ignore ST1005 Tornado's message, word for word, capital and all
	ErrIOLoopInitialized = errors.New("Cannot run in multiple processes: IOLoop instance has " +
		"already been initialized. You cannot call IOLoop.instance() before calling start_processes()")
	// ErrTooManyRestarts: children died more than maxRestarts times in all; Tornado's message.
	//lint:ignore ST1005 Tornado's message, word for word
	ErrTooManyRestarts = errors.New("Too many child restarts, giving up")
	// ErrForkedTwice: ForkProcesses was called again in a child (Tornado asserts that no task id
	// is set yet).
	ErrForkedTwice = errors.New("process: ForkProcesses called twice")
)

// DefaultMaxRestarts is Tornado's max_restarts, the one TCPServer.Start uses.
const DefaultMaxRestarts = 100

// ForkProcesses starts n worker processes (n ≤ 0: CPUCount()) and returns, in each, its task
// id, 0 to n-1. In the parent it does not return while a child lives: it restarts a child that
// dies by a signal or exits non-zero, with the same id, and leaves one that exits 0; when none is
// left it exits with status 0. It returns in the parent only with an error: ErrTooManyRestarts
// once the children have been restarted more than maxRestarts times in all (the others are
// stopped first, see Supervisor), or an error from starting them.
//
// Every listening socket the program made with chapter 4's BindSockets or BindUnixSocket is
// handed to the children, which get it back from the same calls (see the package comment). No
// IOLoop singleton may exist yet (ErrIOLoopInitialized), as in Tornado: each child must make its
// own loop after the fork.
//
// SIGINT or SIGTERM to the parent stops every child (SIGTERM, then SIGKILL after DefaultGrace)
// and the parent exits 0. Tornado's parent has no such handler: SIGINT from a terminal reaches
// the whole process group and kills every process, and SIGTERM to the parent alone kills it and
// orphans the children; a child killed by SIGTERM is restarted. Here the children are in a
// process group of their own, so the terminal's Ctrl-C goes to the parent, which stops them.
func ForkProcesses(n, maxRestarts int) (int, error) {
	// Caught before the first child starts: a signal in between must stop the children, not
	// kill the parent and orphan them.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)
	id, sup, err := Fork(n, maxRestarts, withListeningSockets())
	if err != nil || sup == nil {
		return id, err
	}
	go func() {
		select {
		case sig := <-signals:
			slog.Info(fmt.Sprintf("%v, stopping the children", sig))
			sup.Stop(syscall.SIGTERM, DefaultGrace)
		case <-sup.Done():
		}
	}()
	if err := sup.Wait(); err != nil {
		return -1, err
	}
	os.Exit(0)
	return -1, nil // not reached
}

// A ForkOption changes what Fork hands its children.
type ForkOption func(*forkConfig)

type forkConfig struct {
	groups    [][]int
	listening bool // hand down tcpserver.ListeningSockets()
	env       []string
}

// withListeningSockets hands the children every socket chapter 4's BindSockets and
// BindUnixSocket made in this process, as ForkProcesses does.
func withListeningSockets() ForkOption {
	return func(c *forkConfig) { c.listening = true }
}

// WithSockets hands the children groups, one per binding call the child will make again, in
// the order of the calls (tcpserver.ListeningSockets' form), instead of nothing.
func WithSockets(groups [][]int) ForkOption {
	return func(c *forkConfig) { c.groups = groups }
}

// WithEnv adds "KEY=value" settings to the children's environment.
func WithEnv(kv ...string) ForkOption {
	return func(c *forkConfig) { c.env = append(c.env, kv...) }
}

// Fork is ForkProcesses for a program that keeps the parent in its own hands: in a child it
// returns the task id and a nil Supervisor; in the parent it returns -1 and the running
// Supervisor at once, and the program waits for it (Supervisor.Wait) and stops it
// (Supervisor.Stop) itself. It hands the children only the sockets of WithSockets. The checks
// are ForkProcesses': no second call in a child, no IOLoop singleton yet.
func Fork(n, maxRestarts int, opts ...ForkOption) (int, *Supervisor, error) {
	child.Lock()
	defer child.Unlock()
	if child.returned {
		return -1, nil, ErrForkedTwice
	}
	if child.err != nil {
		return -1, nil, child.err
	}
	if n <= 0 {
		n = CPUCount()
	}
	if ioloop.Initialized() {
		return -1, nil, ErrIOLoopInitialized
	}
	if child.isChild {
		child.returned = true
		return child.id, nil, nil
	}
	var cfg forkConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.listening {
		groups, err := tcpserver.ListeningSockets()
		if err != nil {
			return -1, nil, err
		}
		cfg.groups = groups
	}
	slog.Info(fmt.Sprintf("Starting %d processes", n))
	sup, err := startSupervisor(n, maxRestarts, cfg)
	if err != nil {
		return -1, nil, err
	}
	return -1, sup, nil
}
