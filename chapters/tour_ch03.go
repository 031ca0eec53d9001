// Chapter 3's lesson for the tour: the monitor, measured. One ch03/epoll process holds thousands
// of connections on one loop thread and sleeps while they are idle (this file); level- against
// edge-triggered epoll on a socketpair is in tour_ch03_edge.go.

package main

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	benchmarks "tornadotcp/internal/bench"
	"tornadotcp/internal/echoclient"
)

// ch03Facts is what chapter 3's lesson measured, for the narration and for its test.
type ch03Facts struct {
	Hold    holdFacts
	Trigger triggerFacts
}

// How chapter 3's lesson is run by the tour: the sizes it uses.
var ch03Plan = holdPlan{
	Clients: 10_000,
	Window:  time.Second,
	Within:  20 * time.Second,
}

// The lesson fails, rather than narrating, when the server does not show it. The bounds are
// loose, for a shared machine and a race-enabled test binary; the benchmark measures closely.
const (
	maxLoopThreads = 10              // the loop's thread and the Go runtime's own, whatever the clients
	maxRSSPerConn  = 4.0             // KiB of server memory per idle connection
	fdsForOthers   = 64              // descriptors this process keeps for itself beside the clients
	maxIdleCPU     = maxSleep        // CPU seconds per second while every client is idle
	helloLine      = "hello, loop\n" // what each client sends once
)

func ch03Lesson(env *tourEnv) error {
	_, err := runCh03(env)
	return err
}

func runCh03(env *tourEnv) (ch03Facts, error) {
	var f ch03Facts
	var err error
	env.say("The tutorial, on the monitor (监视器): the server does not go and read on its own initiative.")
	env.say("It hands its connections to the operating system, and the operating system tells it which")
	env.say("one has data; only then does it call recv, which therefore never comes back empty. And the")
	env.say("monitor is cheap enough that one thread can watch thousands of connections. Live:")
	if f.Hold, err = holdIdle(env, "ch03/epoll", ch03Plan); err != nil {
		return f, fmt.Errorf("ch03/epoll: %w", err)
	}
	if f.Trigger, err = edgeAgainstLevel(env); err != nil {
		return f, fmt.Errorf("level- against edge-triggered: %w", err)
	}
	return f, nil
}

// holdPlan bounds the run that holds many idle connections.
type holdPlan struct {
	Clients int           // connections to open, each echoed once, all held together
	Window  time.Duration // how long their idle CPU is measured
	Within  time.Duration // the most the clients may take to connect and be served
}

// holdFacts is what holding the connections measured, from outside the server's process.
type holdFacts struct {
	Pid     int
	Addr    string
	Clients int           // connections opened and held: the plan's, or fewer if descriptors are short
	Limit   uint64        // this process's descriptor limit (RLIMIT_NOFILE), which bounds Clients
	Served  int           // echoed once each
	Connect time.Duration // to connect them all, one after another
	Serve   time.Duration // then to send a line on every one and read every echo
	Before  benchmarks.Sample
	After   benchmarks.Sample // with every client connected, served and idle
	RSSPer  float64           // KiB of server RSS per connection
	Threads int               // the server's OS threads at the end of the idle window
	Window  time.Duration
	CPU     float64 // CPU seconds per wall second over the idle window
}

// errNotTheLesson means the server did not show what the chapter says: more threads than a loop
// and the runtime need, CPU spent while every client was silent, or kilobytes per connection.
var errNotTheLesson = errors.New("the server did not hold its clients on one sleeping thread")

// holdIdle runs server id as a child process and holds plan.Clients connections on it, each
// echoed once. The clients connect one after another; then each sends a line, and then each
// reads its echo, so the server has thousands of ready sockets at once. Then nobody says
// anything for plan.Window, and the server's CPU, threads and memory are read from /proc.
func holdIdle(env *tourEnv, id string, plan holdPlan) (holdFacts, error) {
	var f holdFacts
	limit, err := descriptorLimit()
	if err != nil {
		return f, err
	}
	f.Limit = limit
	f.Clients = plan.Clients
	if limit < uint64(plan.Clients)+fdsForOthers {
		f.Clients = int(limit) - fdsForOthers
	}
	if f.Clients < 1000 {
		return f, fmt.Errorf("this process may open only %d descriptors (ulimit -n): too few to show a thousand clients", limit)
	}

	c, err := startChild(env, 10*time.Second, "run", id, "-addr", "127.0.0.1:0")
	if err != nil {
		return f, err
	}
	defer c.Stop()
	f.Pid, f.Addr = c.Pid, c.Addr
	conns := make([]*echoclient.Conn, 0, f.Clients)
	defer func() {
		for _, cl := range conns {
			cl.Close()
		}
	}()
	if f.Before, err = benchmarks.Read(c.Pid); err != nil {
		return f, fmt.Errorf("reading /proc (this needs Linux): %w", err)
	}

	start := time.Now()
	deadline := start.Add(plan.Within)
	for len(conns) < f.Clients {
		cl, err := echoclient.Dial(c.Addr, 5*time.Second)
		if err != nil {
			return f, fmt.Errorf("client %d: %w", len(conns)+1, err)
		}
		conns = append(conns, cl)
		if time.Now().After(deadline) {
			return f, fmt.Errorf("only %d of %d clients connected within %v", len(conns), f.Clients, plan.Within)
		}
	}
	f.Connect = time.Since(start)
	for i, cl := range conns {
		if err := cl.SetDeadline(deadline); err != nil {
			return f, err
		}
		if err := cl.Send([]byte(helloLine)); err != nil {
			return f, fmt.Errorf("client %d: send: %w", i+1, err)
		}
	}
	for i, cl := range conns {
		echo, err := cl.ReadLine()
		if err != nil {
			return f, fmt.Errorf("client %d: %d were echoed before it: %w", i+1, f.Served, err)
		}
		if string(echo) != helloLine {
			return f, fmt.Errorf("client %d: sent %q, got back %q", i+1, helloLine, echo)
		}
		f.Served++
	}
	f.Serve = time.Since(start) - f.Connect

	if f.After, err = benchmarks.Read(c.Pid); err != nil {
		return f, fmt.Errorf("reading /proc: %w", err)
	}
	f.RSSPer = float64(f.After.RSSKiB-f.Before.RSSKiB) / float64(f.Served)
	idleStart := time.Now()
	time.Sleep(plan.Window) // the measurement window itself: nothing happens, and that is the point
	f.Window = time.Since(idleStart)
	end, err := benchmarks.Read(c.Pid)
	if err != nil {
		return f, fmt.Errorf("reading /proc: %w", err)
	}
	f.CPU = (end.CPUSeconds() - f.After.CPUSeconds()) / f.Window.Seconds()
	f.Threads = end.Threads
	if f.Threads > maxLoopThreads || f.CPU > maxIdleCPU || f.RSSPer > maxRSSPerConn {
		return f, fmt.Errorf("%w: with %d clients, %d OS threads (want at most %d), %.2f CPU s/s idle (want at most %.2f), %.2f KiB per connection (want at most %.0f)",
			errNotTheLesson, f.Served, f.Threads, maxLoopThreads, f.CPU, maxIdleCPU, f.RSSPer, maxRSSPerConn)
	}

	env.say("")
	env.say("  %s (pid %d, %s) sleeps in epoll_wait; each connection is registered once, for READ.", id, f.Pid, f.Addr)
	if f.Clients < plan.Clients {
		env.say("  (this process may open %d descriptors, ulimit -n, so %d clients rather than %d)", f.Limit, f.Clients, plan.Clients)
	}
	env.say("    %d clients connected, one after another, in %s;", f.Served, roundDuration(f.Connect))
	env.say("    then each sent a line, and all %d were echoed back within %s.", f.Served, roundDuration(f.Serve))
	env.say("    Then nobody said anything for %s. Read from /proc/%d:", roundDuration(f.Window), f.Pid)
	env.say("      OS threads:          %d (%d before the first client)", f.Threads, f.Before.Threads)
	env.say("      memory:              %.2f KiB more RSS per connection (%d KiB before, %d KiB after)", f.RSSPer, f.Before.RSSKiB, f.After.RSSKiB)
	env.say("      CPU while all idle:  %.2f CPU seconds per second", f.CPU)
	env.say("  One thread does all the I/O: the others are the Go runtime's own. Chapter 1's threaded server")
	env.say("  would have needed a thread per client, and at 10,000 the runtime's thread limit ends it. A")
	env.say("  connection here is a small struct and the kernel's socket; no stack, no buffer. And unlike")
	env.say("  poll, which hands the kernel every descriptor on every call, epoll keeps the list in the")
	env.say("  kernel: a silent connection costs the sleeping loop nothing at all.")
	return f, nil
}

// descriptorLimit is this process's soft RLIMIT_NOFILE. The Go runtime raises it to the hard
// limit at start-up, and every client here holds one descriptor.
func descriptorLimit() (uint64, error) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	return uint64(lim.Cur), nil // int64 on FreeBSD
}
