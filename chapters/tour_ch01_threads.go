// Chapter 1's lesson, continued: the threaded server's OS threads climbing with its clients, and
// the Go runtime's thread limit ending it (in a child process, so that only the child dies).

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/echoclient"
)

// climbFacts is what the thread-count lesson measured.
type climbFacts struct {
	Base  int         // this process's OS threads before the server started
	Steps []climbStep // after each step of clients
}

type climbStep struct {
	Clients int // clients connected, each echoed once
	Threads int // this process's OS threads then
}

// Delta is how many threads the server and its clients added.
func (s climbStep) Delta(base int) int { return s.Threads - base }

// errNoClimb means the threads did not climb with the clients: the server is not one thread per
// connection, and the lesson's point is not shown.
var errNoClimb = errors.New("threads did not climb with the clients")

// threadClimb runs server id (ch01/threaded) in this process and connects clients up to each
// count in steps, each echoed once so that its goroutine has come back to a blocking recv, and
// reads this process's thread count after each step. The clients use Go's net package, which
// costs no thread per connection, so what climbs is the server's.
func threadClimb(env *tourEnv, id string, steps []int) (climbFacts, error) {
	var f climbFacts
	var err error
	if f.Base, err = blocking.OSThreads(0); err != nil {
		return f, fmt.Errorf("counting threads (this needs Linux's /proc): %w", err)
	}
	srv, stop, err := serveFromCatalog(id)
	if err != nil {
		return f, err
	}
	defer stop()
	var clients []*echoclient.Conn
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()

	env.say("")
	env.say("  %s on %s: a goroutine per client, each asleep in a blocking recv.", id, srv.Addr())
	env.say("    this process had %d OS threads before the server started", f.Base)
	for _, n := range steps {
		for len(clients) < n {
			c, err := echoclient.Dial(srv.Addr(), 2*time.Second)
			if err != nil {
				return f, fmt.Errorf("client %d: %w", len(clients)+1, err)
			}
			clients = append(clients, c)
			if _, err := roundTrip(c, "one line, then silence\n", 5*time.Second); err != nil {
				return f, fmt.Errorf("client %d: %w", len(clients), err)
			}
		}
		threads, err := threadsAtLeast(f.Base+n, 2*time.Second)
		if err != nil {
			return f, err
		}
		step := climbStep{Clients: n, Threads: threads}
		f.Steps = append(f.Steps, step)
		if step.Delta(f.Base) < n/2 {
			return f, fmt.Errorf("%w: %d clients, %+d threads", errNoClimb, n, step.Delta(f.Base))
		}
		env.say("    %4d clients connected, each echoed once: %4d threads, %+5d", n, threads, step.Delta(f.Base))
	}
	env.say("  A goroutine blocked in a system call keeps its OS thread, so the runtime starts another")
	env.say("  to run the rest: one thread per client, each with its own stack, doing nothing but wait.")
	return f, nil
}

// threadsAtLeast reads this process's thread count until it reaches want or timeout passes, and
// returns the last reading: the echo reaches the client a moment before the server's goroutine
// is back inside recv, and the runtime starts a thread only once it is.
func threadsAtLeast(want int, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		n, err := blocking.OSThreads(0)
		if err != nil || n >= want || time.Now().After(deadline) {
			return n, err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// exhaustionFacts is what the thread-exhaustion run measured.
type exhaustionFacts struct {
	Limit    int           // the child's -max-threads
	Echoed   int           // clients echoed before the child died
	Cut      bool          // the next client was refused or cut off, rather than never tried
	Threads  int           // the child's OS threads at the last reading before it died
	Fatal    []string      // the runtime's last words on the child's standard error
	Exit     string        // how the child ended ("exit status 2")
	Lifetime time.Duration // from its listening line to its end
}

// exhaustionPlan bounds the thread-exhaustion run.
type exhaustionPlan struct {
	Limit      int           // the child's thread limit (-max-threads)
	MaxClients int           // at most this many clients are sent to the child
	Within     time.Duration // and for at most this long
	Grace      time.Duration // how long the child may take to die once a client finds it failing
}

// threadExhaustion runs `chapters run ch01/threaded -max-threads N` as a child process and
// connects clients, each echoed once and kept, until the child dies, within the bounds of plan.
// The Go runtime ends a process that needs more threads than its limit.
func threadExhaustion(env *tourEnv, plan exhaustionPlan) (exhaustionFacts, error) {
	f := exhaustionFacts{Limit: plan.Limit}
	c, err := startChild(env, 10*time.Second, "run", "ch01/threaded", "-addr", "127.0.0.1:0", "-max-threads", strconv.Itoa(plan.Limit))
	if err != nil {
		return f, err
	}
	defer c.Stop()
	started := time.Now()
	var clients []*echoclient.Conn
	defer func() {
		for _, cl := range clients {
			cl.Close()
		}
	}()

	env.say("")
	env.say("  The same server in a child process (pid %d, %s) whose thread limit is lowered", c.Pid, c.Addr)
	env.say("  from Go's default of 10,000 to %d (runtime/debug.SetMaxThreads); clients keep coming:", plan.Limit)
	deadline := started.Add(plan.Within)
	for len(clients) < plan.MaxClients && time.Now().Before(deadline) && !c.Exited() {
		cl, err := echoclient.Dial(c.Addr, time.Second)
		if err != nil {
			f.Cut = true
			break
		}
		clients = append(clients, cl)
		if _, err := roundTrip(cl, "are you still there?\n", 2*time.Second); err != nil {
			f.Cut = true
			break
		}
		f.Echoed = len(clients)
		if n, err := blocking.OSThreads(c.Pid); err == nil {
			f.Threads = n
		}
	}
	exit, stderr, err := c.Wait(plan.Grace)
	if err != nil {
		return f, fmt.Errorf("after %d clients the child was still serving: %w", f.Echoed, err)
	}
	f.Lifetime = time.Since(started)
	if exit != nil {
		f.Exit = exit.Error()
	} else {
		f.Exit = "exit status 0"
	}
	f.Fatal = runtimeFatal(stderr)
	if !slices.Contains(f.Fatal, "fatal error: thread exhaustion") {
		return f, fmt.Errorf("%w: the child ended (%s) after %d clients; its stderr began: %q",
			errNoExhaustion, f.Exit, f.Echoed, firstLine(stderr))
	}
	env.say("    %d clients were echoed; the child had %d OS threads at the last count", f.Echoed, f.Threads)
	if f.Cut {
		env.say("    client %d was refused or cut off: the child had died", f.Echoed+1)
	}
	env.say("    its last words, on standard error:")
	for _, line := range f.Fatal {
		env.say("      %s", line)
	}
	env.say("    and it ended with %s, %s after it started listening", f.Exit, roundDuration(f.Lifetime))
	env.say("  With the default limit the same thing happens near 10,000 clients, all of them idle.")
	env.say("  That is the C10K problem. Tornado's answer, and the rest of this book: never block in recv;")
	env.say("  let one thread watch every connection and read only the ones the kernel says are ready.")
	return f, nil
}

// runtimeFatal picks out the Go runtime's explanation of its death from a crashed process's
// standard error: "runtime: program exceeds N-thread limit" and "fatal error: thread exhaustion".
func runtimeFatal(stderr []byte) []string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "runtime: program exceeds") || strings.HasPrefix(line, "fatal error:") {
			lines = append(lines, line)
		}
	}
	return lines
}

// errNoExhaustion means the child ended without the runtime's thread-exhaustion error: it died
// of something else, which is a failure of the lesson, not its point.
var errNoExhaustion = errors.New("the child did not die of thread exhaustion")
