package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"tornadotcp/internal/testutil"
)

// childrenByTask asks until every task of 0..n-1 has answered, bounded.
func childrenByTask(t *testing.T, addr string, n int) map[string]int {
	t.Helper()
	tasks := map[string]int{}
	for i := 0; i < 1000 && len(tasks) < n; i++ {
		task, pid := testutil.Whoami(t, addr)
		tasks[task] = pid
	}
	if len(tasks) != n {
		t.Fatalf("1000 connections reached tasks %v; want %d of them", tasks, n)
	}
	return tasks
}

func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !strings.Contains(string(b), ") Z ")
}

// `chapters run ch05/bind-start -procs 3`, the chapter's "done when": three pids on one port, a
// child killed and reborn with its task id, and a signal to the parent that stops them all,
// with exit status 0 and the listening line printed once. Killing the parent leaves no child.
func TestRunCh05BindStart(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			c := startRun(t, "run", "ch05/bind-start", "-procs", "3", "-addr", "127.0.0.1:0")
			tasks := childrenByTask(t, c.addr, 3)
			if sig == syscall.SIGTERM {
				killed := tasks["1"]
				syscall.Kill(killed, syscall.SIGKILL)
				testutil.WaitFor(t, "task 1 to come back with a new pid", func() bool {
					task, pid := testutil.Whoami(t, c.addr)
					if task == "1" && pid != killed {
						tasks["1"] = pid
						return true
					}
					return false
				})
				// Standard error is read once the command has exited.
				defer func() {
					if want := fmt.Sprintf("child 1 (pid %d) killed by signal 9, restarting", killed); !strings.Contains(c.stderr.String(), want) {
						t.Errorf("no %q on standard error:\n%s", want, c.stderr.String())
					}
				}()
			}
			if sig == syscall.SIGKILL {
				c.cmd.Process.Kill()
				<-c.exited
				c.exited <- nil // for the cleanup
			} else {
				c.stopWith(t, sig) // exit 0, nothing more on standard output
			}
			for task, pid := range tasks {
				testutil.WaitFor(t, fmt.Sprintf("task %s (pid %d) to be gone", task, pid), func() bool { return !running(pid) })
			}
		})
	}
}
