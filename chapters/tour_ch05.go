// Chapter 5's lesson for the tour: the tutorial's second startup form with three processes
// (`chapters run ch05/bind-start -procs 3`): three children answering on one port, one killed
// and reborn with its task id, and all of them gone once the parent is told to stop. Mirrors
// tornado/process.py fork_processes (3.2), seen from outside.

package main

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"tornadotcp/internal/echoclient"
)

// ch05Facts is what chapter 5's lesson measured, for the narration and for its test.
type ch05Facts struct {
	Addr      string        // the one port
	Parent    int           // the supervisor's pid
	Pids      map[int]int   // task id → pid, as whoami answered
	Ppids     map[int]int   // task id → that pid's parent, from /proc
	Asked     int           // connections it took to hear every task
	Killed    int           // the pid killed with SIGKILL (task ch05Plan.Kill)
	Reborn    int           // the pid that answered for the same task afterwards
	RebornIn  time.Duration // from the kill to the new child's answer
	Exit      string        // how the parent ended after SIGTERM
	Leftovers []int         // pids still running after the parent exited: must be none
	Log       []string      // the parent's lines about the kill, from its standard error
	Answers   map[int]int   // task id → connections it answered
}

// How chapter 5's lesson is run: three children, task 1 killed, bounded waits.
var ch05Plan = struct {
	Procs    int
	Kill     int           // the task whose child is killed
	MaxAsk   int           // connections at most to hear every task
	Within   time.Duration // the most a step may take: listening, rebirth, exit
	Attempts int           // whoami connections at most while waiting for the rebirth
}{Procs: 3, Kill: 1, MaxAsk: 2000, Within: 10 * time.Second, Attempts: 5000}

// errNotReborn is the lesson's failure when the killed task does not come back as a new pid.
var errNotReborn = errors.New("the killed task did not come back with a new pid")

func ch05Lesson(env *tourEnv) error {
	_, err := runCh05(env)
	return err
}

func runCh05(env *tourEnv) (ch05Facts, error) {
	f := ch05Facts{Pids: map[int]int{}, Ppids: map[int]int{}, Answers: map[int]int{}}
	procs := strconv.Itoa(ch05Plan.Procs)
	env.say("The tutorial's second form: bind, then start(%s). Tornado forks; Go cannot fork a running", procs)
	env.say("runtime, so the parent runs this program again per child, handing each the listening socket.")
	c, err := startChild(env, ch05Plan.Within, "run", "ch05/bind-start", "-procs", procs, "-addr", "127.0.0.1:0")
	if err != nil {
		return f, err
	}
	defer c.Stop()
	f.Addr, f.Parent = c.Addr, c.Pid

	for f.Asked < ch05Plan.MaxAsk && len(f.Pids) < ch05Plan.Procs {
		task, pid, err := whoami(c.Addr)
		if err != nil {
			return f, err
		}
		f.Asked++
		f.Answers[task]++
		f.Pids[task] = pid
	}
	if len(f.Pids) < ch05Plan.Procs {
		return f, fmt.Errorf("%d connections reached only tasks %v of %d", f.Asked, slices.Sorted(maps.Keys(f.Pids)), ch05Plan.Procs)
	}
	env.say("  parent pid %d printed: listening on %s", f.Parent, f.Addr)
	env.say("  %d connections to that one port were answered by %d processes (whoami):", f.Asked, len(f.Pids))
	for task := range ch05Plan.Procs {
		f.Ppids[task] = parentOf(f.Pids[task])
		env.say("    task=%d pid=%d, child of pid %d, answered %d of them", task, f.Pids[task], f.Ppids[task], f.Answers[task])
	}
	env.say("  the kernel gives each connection to whichever child accepts first: not a fair share.")

	f.Killed = f.Pids[ch05Plan.Kill]
	start := time.Now()
	if err := syscall.Kill(f.Killed, syscall.SIGKILL); err != nil {
		return f, fmt.Errorf("killing task %d (pid %d): %w", ch05Plan.Kill, f.Killed, err)
	}
	for range ch05Plan.Attempts {
		task, pid, err := whoami(c.Addr)
		if err != nil {
			return f, err
		}
		if task == ch05Plan.Kill && pid != f.Killed {
			f.Reborn, f.RebornIn = pid, time.Since(start)
			break
		}
		if time.Since(start) > ch05Plan.Within {
			break
		}
	}
	if f.Reborn == 0 {
		return f, fmt.Errorf("task %d, pid %d killed: %w", ch05Plan.Kill, f.Killed, errNotReborn)
	}
	env.say("  kill -KILL %d (task %d): %s later task=%d answered again, as pid %d: same id, new process.",
		f.Killed, ch05Plan.Kill, roundDuration(f.RebornIn), ch05Plan.Kill, f.Reborn)

	if err := syscall.Kill(c.Pid, syscall.SIGTERM); err != nil {
		return f, fmt.Errorf("SIGTERM to the parent: %w", err)
	}
	exit, stderr, err := c.Wait(ch05Plan.Within)
	if err != nil {
		return f, err
	}
	f.Exit = "exit status 0"
	if exit != nil {
		f.Exit = exit.Error()
	}
	sc := bufio.NewScanner(strings.NewReader(string(stderr)))
	for sc.Scan() {
		if strings.Contains(sc.Text(), "Starting ") || strings.Contains(sc.Text(), fmt.Sprintf("(pid %d)", f.Killed)) {
			f.Log = append(f.Log, sc.Text())
		}
	}
	pids := append(slices.Collect(maps.Values(f.Pids)), f.Reborn)
	for _, pid := range pids {
		if alive(pid) {
			f.Leftovers = append(f.Leftovers, pid)
		}
	}
	if exit != nil || len(f.Leftovers) > 0 {
		return f, fmt.Errorf("after SIGTERM the parent ended with %s and pids %v still run", f.Exit, f.Leftovers)
	}
	for _, l := range f.Log {
		env.say("  the parent logged: %s", logMessage(l))
	}
	env.say("  kill -TERM %d (the parent): it stopped its children and ended with %s; none of them is left.", f.Parent, f.Exit)
	return f, nil
}

// whoami asks addr which process serves it: "task=N pid=P".
func whoami(addr string) (task, pid int, err error) {
	t, pid, err := echoclient.DialWhoami(addr, ch05Plan.Within)
	if err != nil {
		return 0, 0, err
	}
	task, err = strconv.Atoi(t)
	return task, pid, err
}

// parentOf is pid's parent from /proc/PID/stat (field 4, after the name in parentheses), or 0.
func parentOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// alive reports whether pid is a running process (not gone, not a zombie).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !strings.Contains(string(b), ") Z ")
}

// logMessage is a log line without its date, time and level: "2026/12/02 15:49:35 WARN child 1
// (pid 7) killed by signal 9, restarting" gives "child 1 (pid 7) killed ...".
func logMessage(line string) string {
	for _, level := range []string{" INFO ", " WARN ", " ERROR "} {
		if _, msg, ok := strings.Cut(line, level); ok {
			return msg
		}
	}
	return line
}
