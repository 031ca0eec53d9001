// The end of thread-per-connection: the Go runtime's thread limit kills the whole process.
// The limit is 10,000 by default; a child process lowers it to 60 so the lesson takes a second.

package blocking_test

import (
	"bufio"
	"bytes"
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

// TestHelperProcess is the child of the tests that need a server in another process, by the
// mode in helperEnv: "exhaustion", a threaded server with a low thread limit; "forked", a
// forked server. It prints its address and serves until it dies. Run as an ordinary test it
// does nothing.
func TestHelperProcess(t *testing.T) {
	newServer := map[string]func(string) (*blocking.Server, error){
		"exhaustion": blocking.NewThreaded,
		"forked":     blocking.NewForked,
	}[os.Getenv(helperEnv)]
	if newServer == nil {
		return
	}
	debug.SetMaxThreads(childMaxThreads) // only the threaded server spends threads per client
	srv, err := newServer("127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fmt.Println(srv.Addr())
	err = srv.Serve()
	fmt.Fprintln(os.Stderr, "Serve returned:", err)
	os.Exit(4)
}

// helper is this test binary running TestHelperProcess.
type helper struct {
	cmd    *exec.Cmd
	addr   string
	stderr bytes.Buffer  // read only after exited is closed
	exited chan struct{} // closed once the child has been waited for
	err    error         // Wait's result, set before exited is closed
}

// startHelper runs TestHelperProcess in mode and reads its address. The child is killed, if
// still running, when the test ends.
func startHelper(t *testing.T, mode string) *helper {
	t.Helper()
	h := &helper{cmd: exec.Command(os.Args[0], "-test.run=^TestHelperProcess$"), exited: make(chan struct{})}
	h.cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	h.cmd.Stderr = &h.stderr
	stdout, err := h.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	go func() {
		h.err = h.cmd.Wait()
		close(h.exited)
	}()
	t.Cleanup(func() {
		h.cmd.Process.Kill()
		<-h.exited
	})
	if err != nil {
		h.cmd.Process.Kill()
		<-h.exited
		t.Fatalf("child printed no address (%v); stderr:\n%s", err, h.stderr.String())
	}
	h.addr = strings.TrimSpace(addr)
	return h
}

func TestThreadExhaustionEndsTheProcess(t *testing.T) {
	testutil.CheckLeaks(t)
	h := startHelper(t, "exhaustion")
	addr := h.addr

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

	select {
	case <-h.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("the child still runs after serving %d clients with a limit of %d threads", served, childMaxThreads)
	}
	waitErr := h.err
	t.Logf("the child served %d clients, then: %v", served, waitErr)
	var exitErr *exec.ExitError
	if !errors.As(waitErr, &exitErr) || exitErr.ExitCode() <= 0 {
		t.Errorf("child ended with %v, want a non-zero exit status", waitErr)
	}
	if !strings.Contains(h.stderr.String(), "thread exhaustion") {
		t.Errorf("child's stderr does not say \"thread exhaustion\":\n%.2000s", h.stderr.String())
	}
	if served >= childMaxThreads {
		t.Errorf("the child served %d idle clients with a limit of %d threads", served, childMaxThreads)
	}
}
