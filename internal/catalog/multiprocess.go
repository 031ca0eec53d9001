// A server in several processes, as the catalog's Server: the parent's Serve supervises the
// children, its Stop and Shutdown signal them. Each child is this program again, sent straight
// to the server by ChildMain.

package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	blocking "tornadotcp/ch01_blocking"
	nonblocking "tornadotcp/ch02_nonblocking"
	process "tornadotcp/ch05_processes"
)

// childEnv carries, to a child, which server to run and how (a childSpec in JSON).
const childEnv = "TORNADOTCP_CATALOG_CHILD"

// childSpec is what a child needs to make the same server its parent made.
type childSpec struct {
	ID   string
	Addr string // where the parent was asked to listen, with the real port
	Opts Options
}

// killMargin is how long a child gets, after it was told to stop at once, before SIGKILL.
const killMargin = 5 * time.Second

// childGrace is the grace a child gives its connections when SIGTERM asks it to stop
// gracefully: long, because the parent decides when the grace is over and sends graceOver then.
const childGrace = time.Hour

// graceOver tells a child that the grace period is over: the connections still busy end with a
// lingering close, as a one-process server's do when its own grace period ends. A plain stop
// (SIGINT) there would reset connections with input unread and could destroy answers sent.
const graceOver = syscall.SIGUSR1

// lingerBound is how long a child's lingering closes may take after the grace period
// (nonblocking.LingerTimeout, the streams' default), before the parent counts killMargin.
const lingerBound = nonblocking.LingerTimeout

// ChildMain runs a catalog server's child process and exits, if this process is one; otherwise
// it returns at once. A program that runs the multi-process servers of chapter 5 (the chapters
// command, a test binary with a TestMain) calls it first thing in main: the child is the
// program executed again with the same arguments, and must go to the server, not do again what
// the parent's main did (a test binary would run every test again). Package process has
// already read its task id and adopted its sockets, in its init.
//
// The child stops gracefully on SIGTERM and at once on SIGINT or on a second signal, as
// `chapters run` does, and ends its grace period on graceOver; it exits 0 once stopped, 1 if
// the server cannot start or fails.
func ChildMain() {
	v, ok := os.LookupEnv(childEnv)
	if !ok {
		return
	}
	os.Unsetenv(childEnv)
	if err := runChild(v); err != nil {
		id, _ := process.TaskID()
		fmt.Fprintf(os.Stderr, "child %d (pid %d): %v\n", id, os.Getpid(), err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runChild(v string) error {
	var spec childSpec
	if err := json.Unmarshal([]byte(v), &spec); err != nil {
		return fmt.Errorf("%s: %w", childEnv, err)
	}
	e, err := Lookup(spec.ID)
	if err != nil {
		return err
	}
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)
	endGrace := make(chan os.Signal, 1)
	signal.Notify(endGrace, graceOver)
	defer signal.Stop(endGrace)
	srv, err := e.ListenOptions(spec.Addr, spec.Opts)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	select {
	case err := <-served:
		srv.Stop()
		return err
	case sig := <-signals:
		stopped := make(chan error, 1)
		go func() {
			if g, ok := srv.(Graceful); ok && sig == syscall.SIGTERM {
				stopped <- g.Shutdown(childGrace)
				return
			}
			stopped <- srv.Stop()
		}()
		for waiting := true; waiting; {
			select {
			case err = <-stopped:
				waiting = false
			case <-endGrace:
				if g, ok := srv.(interface{ EndGrace() }); ok {
					g.EndGrace()
				}
			case <-signals:
				err = errors.Join(srv.Stop(), <-stopped)
				waiting = false
			}
		}
		if serr := <-served; serr != nil && !errors.Is(serr, blocking.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	}
}

// childEnvFor is the setting that sends a child to server id, listening on host (as the parent
// was asked: a name stands for all its addresses) with the port the parent's addr has.
func childEnvFor(id, host, addr string, o Options) process.ForkOption {
	_, port, _ := blocking.SplitHostPort(addr)
	hostport := net.JoinHostPort(host, strconv.Itoa(port))
	b, _ := json.Marshal(childSpec{ID: id, Addr: hostport, Opts: o}) // cannot fail: plain fields
	return process.WithEnv(childEnv + "=" + string(b))
}

// supervised is the parent of a multi-process server: it serves nothing itself. Serve starts
// the children and waits for them; Stop sends them SIGINT (stop at once), Shutdown SIGTERM
// (stop gracefully) and SIGINT when the grace is over; SIGKILL follows either after killMargin.
type supervised struct {
	addr    string
	start   func() (*process.Supervisor, error) // forks, in Serve
	release func() error                        // closes the parent's sockets; see closeListeners
	closed  sync.Once
	cleanup func() // run once the children are gone (ch06: removes a self-signed pair); may be nil

	life blocking.Lifecycle
	mu   sync.Mutex
	sup  *process.Supervisor
	todo []func(*process.Supervisor) // asked of the supervisor before it existed
}

func (m *supervised) Addr() string { return m.addr }

// Serve starts the children and returns once they are all gone: nil when they were stopped,
// the supervisor's error (process.ErrTooManyRestarts) when it gave up.
func (m *supervised) Serve() error {
	if err := m.life.Begin(); err != nil {
		return err
	}
	sup, err := m.start()
	if err != nil {
		return errors.Join(err, m.life.End(m.finish))
	}
	m.mu.Lock()
	m.sup = sup
	todo := m.todo
	m.todo = nil
	m.mu.Unlock()
	for _, f := range todo {
		f(sup)
	}
	err = sup.Wait()
	return errors.Join(err, m.life.End(m.finish))
}

// finish closes the sockets and removes what the server made for its children, once they are
// gone: a child restarted until then loads its certificate again.
func (m *supervised) finish() error {
	err := m.closeListeners()
	if m.cleanup != nil {
		m.cleanup()
	}
	return err
}

// unserved releases everything when Stop or Shutdown comes before Serve: the sockets, and the
// children if Listen started them (ch05/reuseport).
func (m *supervised) unserved() error {
	if m.sup != nil { // no Serve, so no other goroutine sets it
		m.sup.Stop(syscall.SIGINT, killMargin)
	}
	return m.finish()
}

// closeListeners runs release once, whoever comes first: Stop, Shutdown or the end of Serve.
func (m *supervised) closeListeners() error {
	var err error
	m.closed.Do(func() { err = m.release() })
	return err
}

// with runs f on the supervisor now, or as soon as Serve has started it (or Listen did): the
// sockets are not closed before the supervisor has its copies.
func (m *supervised) with(f func(*process.Supervisor)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sup == nil {
		m.todo = append(m.todo, f)
		return
	}
	f(m.sup)
}

// Stop stops every child at once and returns when they are gone and the sockets closed.
func (m *supervised) Stop() error {
	return m.life.Stop(func() {
		m.with(func(sup *process.Supervisor) {
			m.closeListeners()
			go sup.Stop(syscall.SIGINT, killMargin)
		})
	}, m.unserved)
}

// Shutdown lets every child finish its connections' work for at most grace. The parent's
// listening sockets close at once, as the children's do: a new client is refused, not queued
// on a socket nobody will accept from.
func (m *supervised) Shutdown(grace time.Duration) error {
	return m.life.Shutdown(func() {
		m.with(func(sup *process.Supervisor) {
			m.closeListeners()
			go sup.Stop(syscall.SIGTERM, grace+lingerBound+killMargin)
			time.AfterFunc(grace, func() { sup.Signal(graceOver) })
		})
	}, m.unserved)
}
