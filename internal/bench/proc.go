// A server under test, running as its own process: `chapters run ID -addr 127.0.0.1:0`.

package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNoListeningLine is returned by Start when the server exits or stays silent instead of
// printing `listening on HOST:PORT` first.
var ErrNoListeningLine = errors.New("server did not say where it listens")

// ErrNotListening is returned by StartListening when the server exits or does not accept
// connections on its address in time.
var ErrNotListening = errors.New("server is not listening")

// How long a server may take to start listening, and to exit after SIGTERM before it is killed.
const (
	startTimeout = 10 * time.Second
	stopTimeout  = 5 * time.Second
)

// Proc is a running server process. Its own process means its own /proc counters: the CPU, the
// memory and the threads measured are the server's and nobody else's.
type Proc struct {
	ID   string
	Addr string // HOST:PORT from its listening line
	PID  int

	cmd      *exec.Cmd
	stderr   *lastWords
	exited   chan struct{} // closed once the process has exited and been reaped
	waitErr  error         // cmd.Wait's result, set before exited is closed
	stopOnce sync.Once
	stopped  chan struct{} // closed when Stop sent SIGTERM: an exit after that is not a death
}

// Start runs `exe run ID -addr 127.0.0.1:0` (with `-max-threads n` when maxThreads > 0, and
// the flags the row's label carries after the id: "ch05/bind-start -procs 2"), on the server
// CPU of pin if pin is applied, and waits for its listening line. A server of several processes
// (a label with -procs) is started on every CPU pin found instead: pinned to one, two processes
// could not scale.
func Start(exe, label string, maxThreads int, pin *Pinning) (*Proc, error) {
	id, flags := SplitLabel(label)
	argv := append([]string{exe, "run", id, "-addr", "127.0.0.1:0"}, flags...)
	if maxThreads > 0 {
		argv = append(argv, "-max-threads", strconv.Itoa(maxThreads))
	}
	if slices.Contains(flags, "-procs") {
		pin = pin.everyCPU()
	}
	return StartCommand(label, argv, pin)
}

// StartCommand runs argv as server id, on the server CPU of pin if pin is applied, and waits for
// its listening line. Any program will do that behaves as `chapters run` does: it prints
// `listening on HOST:PORT` as the first line of its standard output, and exits with status 0 on
// SIGTERM. The real Tornado's servers are started this way (tornado.go), and so are the C and
// gnet echo servers (peers.go).
func StartCommand(id string, argv []string, pin *Pinning) (*Proc, error) {
	first := &firstLine{line: make(chan string, 1)}
	p, err := launch(id, argv, first, pin)
	if err != nil {
		return nil, err
	}
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case line := <-first.line:
		addr, ok := strings.CutPrefix(line, "listening on ")
		if !ok {
			p.Stop()
			return nil, fmt.Errorf("%s: first line %q: %w", id, line, ErrNoListeningLine)
		}
		p.Addr = addr
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("%s: exited (%v): %s: %w", id, p.waitErr, p.stderr.Summary(), ErrNoListeningLine)
	case <-timer.C:
		p.Stop()
		return nil, fmt.Errorf("%s: nothing after %v: %w", id, startTimeout, ErrNoListeningLine)
	}
}

// StartListening runs argv as server id, a program that prints no listening line but is told
// its address (nginx, which reads it from its configuration): the server is ready once addr
// accepts a connection. It exits with status 0 on SIGTERM, as StartCommand's servers do.
func StartListening(id string, argv []string, addr string, pin *Pinning) (*Proc, error) {
	p, err := launch(id, argv, io.Discard, pin)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(startTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, dialTimeout)
		if err == nil {
			c.Close()
			p.Addr = addr
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s: exited (%v): %s: %w", id, p.waitErr, p.stderr.Summary(), ErrNotListening)
		default:
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("%s: %s refused connections for %v: %w", id, addr, startTimeout, ErrNotListening)
		}
		// Nothing announces that another process has begun to listen: ask again shortly.
		time.Sleep(10 * time.Millisecond)
	}
}

// launch starts argv as server id with its standard output going to stdout, and reaps it when
// it exits.
func launch(id string, argv []string, stdout io.Writer, pin *Pinning) (*Proc, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("starting %s: no command", id)
	}
	p := &Proc{
		ID:      id,
		cmd:     exec.Command(argv[0], argv[1:]...),
		stderr:  &lastWords{},
		exited:  make(chan struct{}),
		stopped: make(chan struct{}),
	}
	p.cmd.Stdout = stdout
	p.cmd.Stderr = p.stderr
	// A server that leaves a child holding the pipes must not hang Wait forever.
	p.cmd.WaitDelay = time.Second
	if err := pin.start(p.cmd); err != nil {
		return nil, fmt.Errorf("starting %s: %w", id, err)
	}
	p.PID = p.cmd.Process.Pid
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Sample reads the server's counters now, its child processes' included.
func (p *Proc) Sample() (Sample, error) { return ReadTree(p.PID) }

// Died reports whether the server exited without being asked to, and if so its last words:
// "exit status 2: fatal error: thread exhaustion".
func (p *Proc) Died() (string, bool) {
	select {
	case <-p.exited:
	default:
		return "", false
	}
	select {
	case <-p.stopped:
		return "", false
	default:
	}
	why := p.stderr.Summary()
	if why == "" {
		why = "(nothing on standard error)"
	}
	return fmt.Sprintf("%v: %s", p.waitErr, why), true
}

// DiedWithin waits up to d for the server to exit on its own. After a client-side failure it
// tells a dying server (the runtime is still printing its stacks) from a living one that merely
// refused or timed out.
func (p *Proc) DiedWithin(d time.Duration) (string, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-p.exited:
	case <-timer.C:
	}
	return p.Died()
}

// Stop sends SIGTERM and waits for the exit, killing the server if it has not exited within
// stopTimeout. It returns an error if the server had to be killed or exited with a failure
// status; a server that had already died returns nil (Died says why). Stop may be called more
// than once.
func (p *Proc) Stop() error {
	if _, died := p.Died(); died {
		return nil
	}
	var err error
	p.stopOnce.Do(func() {
		close(p.stopped)
		if sigErr := p.cmd.Process.Signal(syscall.SIGTERM); sigErr != nil {
			<-p.exited // it had exited already: Wait is reaping it
			return
		}
		timer := time.NewTimer(stopTimeout)
		defer timer.Stop()
		select {
		case <-p.exited:
			if p.waitErr != nil {
				err = fmt.Errorf("%s after SIGTERM: %w: %s", p.ID, p.waitErr, p.stderr.Summary())
			}
		case <-timer.C:
			p.cmd.Process.Kill()
			<-p.exited
			err = fmt.Errorf("%s did not exit within %v of SIGTERM; killed", p.ID, stopTimeout)
		}
	})
	return err
}

// firstLine passes the first line written to it on a channel and discards the rest.
type firstLine struct {
	mu   sync.Mutex
	buf  []byte
	done bool
	line chan string
}

func (w *firstLine) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	if i := bytes.IndexByte(w.buf, '\n'); i >= 0 {
		w.line <- strings.TrimSpace(string(w.buf[:i]))
		w.done, w.buf = true, nil
	} else if len(w.buf) > maxLine {
		w.line <- string(w.buf)
		w.done, w.buf = true, nil
	}
	return len(p), nil
}
