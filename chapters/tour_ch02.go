// Chapter 2's lesson for the tour: non-blocking sockets on one thread, measured. Busy-poll burns
// a core while its clients say nothing and poll sleeps (this file); select's 1024-descriptor wall
// is in tour_ch02_wall.go.

package main

import (
	"errors"
	"fmt"
	"time"

	benchmarks "tornadotcp/internal/bench"
	"tornadotcp/internal/echoclient"
)

// ch02Facts is what chapter 2's lesson measured, for the narration and for its test.
type ch02Facts struct {
	Idle idleCPUFacts
	Wall wallFacts
}

// How chapter 2's lesson is run by the tour: the sizes it uses.
var ch02Plan = struct {
	Clients int           // idle clients held on each of busy-poll and poll
	Window  time.Duration // how long their CPU is measured
	Wall    wallPlan
}{
	Clients: 100,
	Window:  1500 * time.Millisecond,
	Wall:    wallPlan{Clients: 1100, Within: 10 * time.Second},
}

// The lesson fails, rather than narrating, when the servers do not show it: a server that
// burns less than minBurn CPU seconds per second is not burning a core, and one that sleeps
// must stay under maxSleep. Both are loose, for a machine shared with other work.
const (
	minBurn  = 0.2
	maxSleep = 0.05
)

func ch02Lesson(env *tourEnv) error {
	_, err := runCh02(env)
	return err
}

func runCh02(env *tourEnv) (ch02Facts, error) {
	var f ch02Facts
	var err error
	env.say("The tutorial, on non-blocking (非阻塞): a non-blocking recv does not wait when there is")
	env.say("nothing to read; it returns at once. Then must the server not keep sending recv out to look,")
	env.say("wasting the CPU? It would, without a \"monitor\" (监视器) to say which connections are ready.")
	env.say("Both, live, each server a child process with one thread doing all its I/O:")
	if f.Idle, err = idleCPU(env, "ch02/busypoll", "ch02/poll", ch02Plan.Clients, ch02Plan.Window); err != nil {
		return f, fmt.Errorf("idle CPU: %w", err)
	}
	if f.Wall, err = selectWall(env, "ch02/select", ch02Plan.Wall); err != nil {
		return f, fmt.Errorf("ch02/select: %w", err)
	}
	return f, nil
}

// idleCPUFacts is what the idle-CPU comparison measured.
type idleCPUFacts struct {
	Clients int           // idle clients held on each server
	Window  time.Duration // the measured window, as it turned out
	Burner  serverCPU     // the server that should burn a core (ch02/busypoll)
	Sleeper serverCPU     // the server that should sleep (ch02/poll)
}

// serverCPU is one child server's share of the window.
type serverCPU struct {
	ID      string
	Pid     int
	Addr    string
	CPU     float64 // CPU seconds per wall second over the window: 1.0 is a whole core
	Threads int     // the child's OS threads at the end of the window
}

// errNoBurn means the idle servers did not show the lesson: the one that polls did not burn a
// core, or the one that sleeps did not sleep.
var errNoBurn = errors.New("busy-poll's burnt core next to poll's idle one did not show")

// idleCPU runs servers burner and sleeper as child processes, so that each has its own CPU
// account in /proc/PID/stat, holds clients idle connections on each (every one echoed once),
// and measures both over the same window.
func idleCPU(env *tourEnv, burner, sleeper string, clients int, window time.Duration) (idleCPUFacts, error) {
	f := idleCPUFacts{Clients: clients}
	servers := []*serverCPU{{ID: burner}, {ID: sleeper}}
	children := make([]*tourChild, len(servers))
	var conns []*echoclient.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		for _, c := range children {
			if c != nil {
				c.Stop()
			}
		}
	}()

	for i, s := range servers {
		c, err := startChild(env, 10*time.Second, "run", s.ID, "-addr", "127.0.0.1:0")
		if err != nil {
			return f, err
		}
		children[i], s.Pid, s.Addr = c, c.Pid, c.Addr
		for n := range clients {
			cl, err := echoclient.Dial(c.Addr, 2*time.Second)
			if err != nil {
				return f, fmt.Errorf("%s: client %d: %w", s.ID, n+1, err)
			}
			conns = append(conns, cl)
			if _, err := roundTrip(cl, "one line, then silence\n", 5*time.Second); err != nil {
				return f, fmt.Errorf("%s: client %d: %w", s.ID, n+1, err)
			}
		}
	}
	before := make([]benchmarks.Sample, len(servers))
	for i, s := range servers {
		var err error
		if before[i], err = benchmarks.Read(s.Pid); err != nil {
			return f, fmt.Errorf("%s: reading /proc (this needs Linux): %w", s.ID, err)
		}
	}
	start := time.Now()
	time.Sleep(window) // the measurement window itself: nothing happens, and that is the point
	f.Window = time.Since(start)
	for i, s := range servers {
		after, err := benchmarks.Read(s.Pid)
		if err != nil {
			return f, fmt.Errorf("%s: reading /proc: %w", s.ID, err)
		}
		s.CPU = (after.CPUSeconds() - before[i].CPUSeconds()) / f.Window.Seconds()
		s.Threads = after.Threads
	}
	f.Burner, f.Sleeper = *servers[0], *servers[1]
	if f.Burner.CPU < minBurn || f.Sleeper.CPU > maxSleep {
		return f, fmt.Errorf("%w: %s used %.2f CPU s/s (want at least %.2f), %s %.2f (want at most %.2f)",
			errNoBurn, burner, f.Burner.CPU, minBurn, sleeper, f.Sleeper.CPU, maxSleep)
	}
	env.say("")
	env.say("  %s (pid %d, %s) calls recv on every socket, over and over;", burner, f.Burner.Pid, f.Burner.Addr)
	env.say("  %s (pid %d, %s) sleeps in poll(2) until the kernel says a socket is ready.", sleeper, f.Sleeper.Pid, f.Sleeper.Addr)
	env.say("    %d clients connected to each and echoed once; then nobody said anything for %s:", clients, roundDuration(f.Window))
	for _, s := range servers {
		env.say("    %-15s %.2f CPU seconds per second, %d OS threads", s.ID+":", s.CPU, s.Threads)
	}
	env.say("  Every one of busy-poll's recv calls answers EAGAIN, \"not now\", and it asks again at once:")
	env.say("  it never sleeps, so it takes all the CPU it is given (a whole core, on an idle machine) to")
	env.say("  ask %d silent sockets. poll's thread sleeps in the kernel until there is work. And neither", clients)
	env.say("  spends a thread per client, as chapter 1's threaded server did.")
	return f, nil
}
