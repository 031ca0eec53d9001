// A server in a child process, for the tour's lessons that need one: started with `chapters run`,
// its address read from its first line, its standard error kept for what it says when it dies.

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// tourChild is a running `chapters run ID -addr 127.0.0.1:0 ...` child.
type tourChild struct {
	Addr string // from its "listening on HOST:PORT" line
	Pid  int

	stderr  bytes.Buffer  // written by os/exec's copying goroutine; read only after exited
	exited  chan struct{} // closed once the child has been waited for
	waitErr error         // set before exited is closed
	kill    func() error
}

// startChild runs this program with args, which must be a `run` command, and waits up to
// timeout for its listening line. On any error the child is gone when startChild returns.
func startChild(env *tourEnv, timeout time.Duration, args ...string) (*tourChild, error) {
	cmd := env.self(args...)
	c := &tourChild{exited: make(chan struct{})}
	cmd.Stderr = &c.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("child %q: %w", args, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("child %q: %w", args, err)
	}
	c.Pid = cmd.Process.Pid
	c.kill = cmd.Process.Kill

	// The child may print nothing (a bad flag, a test harness line first): read lines until
	// the listening line, on a goroutine, so that a silent child can be killed after timeout,
	// which closes the pipe and ends the read.
	addr := make(chan string, 1)
	go func() {
		defer close(addr)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				addr <- a
				return
			}
		}
	}()
	var ok bool
	select {
	case c.Addr, ok = <-addr:
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-addr
	}
	// Wait may only be called once the pipe has been read from; it closes the pipe.
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	if !ok {
		<-c.exited
		return nil, fmt.Errorf("child %q printed no listening line within %v (%v): %s",
			args, timeout, c.waitErr, firstLine(c.stderr.Bytes()))
	}
	return c, nil
}

// Exited reports, without waiting, whether the child has ended.
func (c *tourChild) Exited() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

// Wait waits up to timeout for the child to end by itself and returns how it ended. After the
// timeout it kills the child and reports that it had to.
func (c *tourChild) Wait(timeout time.Duration) (exit error, stderr []byte, err error) {
	select {
	case <-c.exited:
		return c.waitErr, c.stderr.Bytes(), nil
	case <-time.After(timeout):
	}
	if kerr := c.kill(); kerr != nil && !errors.Is(kerr, os.ErrProcessDone) {
		err = fmt.Errorf("child %d still running after %v, and kill failed: %w", c.Pid, timeout, kerr)
	} else {
		err = fmt.Errorf("child %d still running after %v: killed it", c.Pid, timeout)
	}
	<-c.exited
	return c.waitErr, c.stderr.Bytes(), err
}

// Stop kills the child if it is still running and waits for it.
func (c *tourChild) Stop() {
	c.kill()
	<-c.exited
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return string(line)
}
