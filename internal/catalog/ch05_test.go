package catalog

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// alive says whether pid still runs (a zombie does not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !strings.Contains(string(b), ") Z ")
}

// Each multi-process form with three processes, on port 0: the children report task ids 0, 1
// and 2 (master's TestMultiprocess), from more than one pid; each echoes; Stop or Shutdown
// leaves no child running.
func TestCh05FormsTaskIDs(t *testing.T) {
	for _, id := range []string{"ch05/bind-start", "ch05/add-sockets", "ch05/reuseport"} {
		for _, how := range []string{"Stop", "Shutdown"} {
			t.Run(id+"/"+how, func(t *testing.T) {
				testutil.CheckLeaks(t)
				e, err := Lookup(id)
				if err != nil {
					t.Fatal(err)
				}
				s, err := e.ListenOptions("127.0.0.1:0", Options{Procs: 3})
				if err != nil {
					t.Fatal(err)
				}
				served := make(chan error, 1)
				go func() { served <- s.Serve() }()
				tasks := map[string]int{}
				for i := 0; i < 1000 && len(tasks) < 3; i++ {
					task, pid := testutil.Whoami(t, s.Addr())
					tasks[task] = pid
				}
				if len(tasks) != 3 || tasks["0"] == 0 || tasks["1"] == 0 || tasks["2"] == 0 {
					t.Errorf("1000 connections reached tasks %v; want 0, 1 and 2", tasks)
				}
				testutil.Echo(t, testutil.Dial(t, s.Addr()), "ch05\n")
				if how == "Stop" {
					err = s.Stop()
				} else {
					err = s.(Graceful).Shutdown(time.Second)
				}
				if err != nil {
					t.Errorf("%s: %v", how, err)
				}
				if err := <-served; err != nil {
					t.Errorf("Serve: %v", err)
				}
				for task, pid := range tasks {
					if alive(pid) {
						t.Errorf("task %s (pid %d) outlived %s", task, pid, how)
					}
				}
			})
		}
	}
}

// Form 1 and Start(1) serve in this process, which has no task id.
func TestCh05OneProcess(t *testing.T) {
	for _, c := range []struct {
		id   string
		opts Options
	}{{"ch05/listen", Options{}}, {"ch05/bind-start", Options{Procs: 1}}} {
		t.Run(c.id, func(t *testing.T) {
			testutil.CheckLeaks(t)
			e, _ := Lookup(c.id)
			s, err := e.ListenOptions("127.0.0.1:0", c.opts)
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- s.Serve() }()
			if task, pid := testutil.Whoami(t, s.Addr()); task != "none" || pid != os.Getpid() {
				t.Errorf("whoami: task=%s pid=%d; want task=none pid=%d", task, pid, os.Getpid())
			}
			if err := s.Stop(); err != nil {
				t.Error(err)
			}
			if err := <-served; err != nil {
				t.Error(err)
			}
		})
	}
}

// -procs is refused by a server that runs in one process.
func TestCh05ProcsRefused(t *testing.T) {
	e, _ := Lookup("ch04/echo")
	if _, err := e.ListenOptions("127.0.0.1:0", Options{Procs: 2}); err == nil || !strings.Contains(err.Error(), ErrOption.Error()) {
		t.Fatalf("ch04/echo with Procs 2: %v; want ErrOption", err)
	}
}

// The multi-process servers shut down gracefully: idle clients get EOF at once, busy ones are
// served to the end, and a new client is refused (the parent's copies of the socket close
// before any child is told to stop); a short grace ends, and a Stop cuts a long one short.
//
// "Refused at once" holds with one serving child only: with several on one shared socket, the
// kernel queues new clients until the last child has closed its copy, and resets them then. So
// the first check runs the forms that fork with -procs 1 (one supervised child; bind-start's
// Start(1) does not fork, and is chapter 4's server), the second with two children.
func TestCh05Shutdown(t *testing.T) {
	for _, id := range []string{"ch05/bind-start", "ch05/add-sockets", "ch05/reuseport"} {
		newServer := func(procs int) testutil.Graceful {
			e, _ := Lookup(id)
			s, err := e.ListenOptions("127.0.0.1:0", Options{Procs: procs})
			if err != nil {
				t.Fatal(err)
			}
			return s.(testutil.Graceful)
		}
		if id != "ch05/bind-start" {
			t.Run(id+"/idle and busy", func(t *testing.T) {
				testutil.CheckLeaks(t)
				testutil.CheckShutdown(t, newServer(1))
			})
		}
		t.Run(id+"/cut", func(t *testing.T) {
			testutil.CheckLeaks(t)
			testutil.CheckShutdownCut(t, func() testutil.Graceful { return newServer(2) })
		})
	}
}
