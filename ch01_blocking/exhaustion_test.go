// The end of thread-per-connection: the Go runtime's thread limit kills the whole process.
// The limit is 10,000 by default; a child process lowers it to 60 so the lesson takes a second.

package blocking_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/testutil"
)

// helperEnv tells a re-executed test binary to be the exhausted server, not to run tests.
const helperEnv = "BLOCKING_TEST_HELPER"

// childMaxThreads is the thread limit of the child: low enough to reach with a few dozen clients.
const childMaxThreads = 60

// TestHelperProcess is the child: a threaded server with a low thread limit, which prints its
// address and serves until the runtime kills it. Run as an ordinary test it does nothing.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "exhaustion" {
		return
	}
	debug.SetMaxThreads(childMaxThreads)
	srv, err := blocking.NewThreaded("127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fmt.Println(srv.Addr())
	err = srv.Serve()
	fmt.Fprintln(os.Stderr, "Serve returned:", err)
	os.Exit(4)
}

func TestThreadExhaustionEndsTheProcess(t *testing.T) {
	testutil.CheckLeaks(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=exhaustion")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("child printed no address (%v); stderr:\n%s", err, stderr.String())
	}
	addr = strings.TrimSpace(addr)

	// Each client sends a line and waits for its echo, so that its handler goroutine then sits
	// in recv holding an OS thread. Stop at the first client the child fails to serve.
	var conns []*echoclient.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	served := 0
	for i := range 200 {
		c, err := echoclient.Dial(addr, 5*time.Second)
		if err != nil {
			break
		}
		conns = append(conns, c)
		c.SetDeadline(time.Now().Add(5 * time.Second))
		line := fmt.Sprintf("client %d\n", i)
		if err := c.Send([]byte(line)); err != nil {
			break
		}
		if got, err := c.ReadLine(); err != nil || string(got) != line {
			break
		}
		served++
	}

	var waitErr error
	select {
	case waitErr = <-exited:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("the child still runs after serving %d clients with a limit of %d threads", served, childMaxThreads)
	}
	t.Logf("the child served %d clients, then: %v", served, waitErr)
	var exitErr *exec.ExitError
	if !errors.As(waitErr, &exitErr) || exitErr.ExitCode() <= 0 {
		t.Errorf("child ended with %v, want a non-zero exit status", waitErr)
	}
	if !strings.Contains(stderr.String(), "thread exhaustion") {
		t.Errorf("child's stderr does not say \"thread exhaustion\":\n%.2000s", stderr.String())
	}
	if served >= childMaxThreads {
		t.Errorf("the child served %d idle clients with a limit of %d threads", served, childMaxThreads)
	}
}
