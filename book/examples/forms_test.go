package examples_test

import (
	"bufio"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tornadotcp/internal/proctree"
	"tornadotcp/internal/testutil"
)

// The tutorial's three startup forms (forms/listen, forms/bindstart, forms/addsockets), each
// built and run on port 0: form 1 serves in one process (task=none); forms 2 and 3 with
// -procs 2 answer whoami from tasks 0 and 1, two pids, and the listening line is printed once
// although main runs in three processes. Ctrl-C (SIGINT) to the parent stops it, status 0,
// and leaves no child.
func TestStartupForms(t *testing.T) {
	for _, c := range []struct {
		dir   string
		args  []string
		tasks []string
	}{
		{"forms/listen", nil, []string{"none"}},
		{"forms/bindstart", []string{"-procs", "2"}, []string{"0", "1"}},
		{"forms/addsockets", []string{"-procs", "2"}, []string{"0", "1"}},
	} {
		t.Run(c.dir, func(t *testing.T) {
			testutil.CheckLeaks(t)
			bin := filepath.Join(t.TempDir(), filepath.Base(c.dir))
			if out, err := exec.Command("go", "build", "-o", bin, "./"+c.dir).CombinedOutput(); err != nil {
				t.Fatalf("go build ./%s: %v\n%s", c.dir, err, out)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append([]string{"-port", "0", "-address", "127.0.0.1"}, c.args...)...)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				cmd.Process.Kill()
				cmd.Wait() // a second Wait, after the one below, says so: nothing to report
			}()
			r := bufio.NewReader(stdout)
			line, err := r.ReadString('\n')
			addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
			if err != nil || !ok || !strings.HasPrefix(addr, "127.0.0.1:") {
				t.Fatalf("first line %q (%v), want \"listening on 127.0.0.1:PORT\"", line, err)
			}
			tasks := map[string]int{}
			// Bounded in time, not in connections: on one shared socket a child still starting
			// on a loaded machine gets none.
			for deadline := time.Now().Add(time.Minute); len(tasks) < len(c.tasks) && time.Now().Before(deadline); {
				task, pid := testutil.Whoami(t, addr)
				tasks[task] = pid
			}
			pids := map[int]bool{}
			for _, want := range c.tasks {
				if tasks[want] == 0 {
					t.Errorf("whoami reached tasks %v; want %v", tasks, c.tasks)
				}
				pids[tasks[want]] = true
			}
			if len(pids) != len(c.tasks) {
				t.Errorf("tasks %v: %d pids, want %d", tasks, len(pids), len(c.tasks))
			}
			children, err := proctree.Children(cmd.Process.Pid)
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			// To EOF, which comes once every process holding the pipe has exited (the context
			// kills the parent after a minute, and its children with it); then Wait, which
			// closes the pipe.
			rest, _ := io.ReadAll(r)
			if len(rest) > 0 {
				t.Errorf("after the listening line, standard output had %q; want the line printed once", rest)
			}
			err = cmd.Wait()
			// Form 1 is Tornado's one-process program: SIGINT ends it as it ends helloworld.py
			// (KeyboardInterrupt), by the signal. ForkProcesses' parent catches it, stops its
			// children and exits 0.
			if len(c.tasks) == 1 && err == nil {
				t.Errorf("form 1 exited with status 0 after SIGINT; want it ended by the signal")
			}
			if len(c.tasks) > 1 && err != nil {
				t.Errorf("exit after SIGINT: %v, want status 0", err)
			}
			for _, pid := range children {
				if proctree.Exists(pid) {
					t.Errorf("child %d outlived its parent", pid)
				}
			}
		})
	}
}
