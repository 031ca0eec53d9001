// A test program run in a subprocess of the test binary: for the tests of forking servers, whose
// parent ends with os.Exit and whose children execute the test binary again. The test package's
// TestMain runs the program named by an environment variable instead of the tests.

package testutil

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// ProgramTimeout bounds a program's whole run, generously for a loaded machine under -race.
const ProgramTimeout = 2 * time.Minute

// Program is a running program: its standard output line by line, its standard error kept.
type Program struct {
	Cmd    *exec.Cmd
	Stderr LogBuffer
	lines  chan string
	done   chan struct{}
	err    error // Wait's, once done is closed
}

// StartProgram runs this test binary again, running no test, with envName=name and env added to
// its environment; the program is killed when t ends, and its standard error logged if t failed.
func StartProgram(t *testing.T, envName, name string, env ...string) *Program {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ProgramTimeout)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envName+"="+name, "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	cmd.Env = append(cmd.Env, env...)
	p := &Program{Cmd: cmd, lines: make(chan string, 100), done: make(chan struct{})}
	cmd.Stderr = &p.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	var read sync.WaitGroup
	read.Go(func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	})
	go func() {
		read.Wait() // every child's copy of the pipe closed too, so every child is gone
		p.err = cmd.Wait()
		cancel()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("%s's standard error:\n%s", name, p.Stderr.String())
		}
	})
	return p
}

// Line is the next line of output, or fails the test.
func (p *Program) Line(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			t.Fatalf("the program ended its output early (standard error:\n%s)", p.Stderr.String())
		}
		return l
	case <-time.After(ProgramTimeout):
		t.Fatal("no line from the program")
	}
	return ""
}

// Rest is the rest of the output and the exit status, once the program and every child that
// shares its output are gone.
func (p *Program) Rest(t *testing.T) ([]string, int) {
	t.Helper()
	var out []string
	for l := range p.lines {
		out = append(out, l)
	}
	<-p.done
	var exit *exec.ExitError
	switch {
	case p.err == nil:
		return out, 0
	case errors.As(p.err, &exit):
		return out, exit.ExitCode()
	}
	t.Fatalf("program: %v", p.err)
	return nil, -1
}

// Gone waits, bounded, until no process has pid (reaped by whoever inherited it). Linux: it
// reads /proc.
func Gone(t *testing.T, pid int) {
	t.Helper()
	WaitFor(t, fmt.Sprintf("pid %d to be gone", pid), func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		// A zombie is gone for our purpose: it runs nothing and holds no socket.
		return err != nil || bytes.Contains(b, []byte(") Z "))
	})
}
