// Chapter 1's lesson for the tour: blocking recv, measured. On the iterative server a second
// client waits behind the first; the threaded server's OS threads are in tour_ch01_threads.go.

package main

import (
	"errors"
	"fmt"
	"time"

	"tornadotcp/internal/catalog"
	"tornadotcp/internal/echoclient"
)

// ch01Facts is what chapter 1's lesson measured, for the narration and for its test.
type ch01Facts struct {
	Wait       waitFacts
	Climb      climbFacts
	Exhaustion exhaustionFacts
}

// How chapter 1's lesson is run by the tour: the sizes it uses.
var ch01Plan = struct {
	HoldA      time.Duration // how long client A stays connected while B waits
	Steps      []int         // clients held open on ch01/threaded, cumulative
	Exhaustion exhaustionPlan
}{
	HoldA: 300 * time.Millisecond,
	Steps: []int{10, 100, 500},
	Exhaustion: exhaustionPlan{
		Limit:      100,
		MaxClients: 300,
		Within:     10 * time.Second,
		Grace:      2 * time.Second,
	},
}

func ch01Lesson(env *tourEnv) error {
	_, err := runCh01(env)
	return err
}

func runCh01(env *tourEnv) (ch01Facts, error) {
	var f ch01Facts
	var err error
	env.say("The tutorial, on blocking design (阻塞式设计): in BSD sockets recv blocks by default;")
	env.say("when the peer has sent nothing it waits and does not return. A server written that way")
	env.say("serves one client at a time, or spends a thread (or a process) on every client. Both, live:")
	if f.Wait, err = iterativeWait(env, "ch01/iterative", ch01Plan.HoldA); err != nil {
		return f, fmt.Errorf("ch01/iterative: %w", err)
	}
	if f.Climb, err = threadClimb(env, "ch01/threaded", ch01Plan.Steps); err != nil {
		return f, fmt.Errorf("ch01/threaded: %w", err)
	}
	if f.Exhaustion, err = threadExhaustion(env, ch01Plan.Exhaustion); err != nil {
		return f, fmt.Errorf("thread exhaustion: %w", err)
	}
	return f, nil
}

// waitFacts is what the iterative server's lesson measured.
type waitFacts struct {
	AEcho    time.Duration // client A's round trip
	BConnect time.Duration // how long B's connect took, with nobody calling accept
	BWaited  time.Duration // from B's line sent to B's echo received
	AfterA   time.Duration // from A's close to B's echo
}

// iterativeWait runs server id (ch01/iterative) in this process. Client A connects and is echoed,
// then stays connected for hold; client B connects and sends a line meanwhile. The timer that
// closes A is the narration's doing (a user leaving), not synchronisation: B's wait is what is
// measured.
func iterativeWait(env *tourEnv, id string, hold time.Duration) (waitFacts, error) {
	var f waitFacts
	srv, stop, err := serveFromCatalog(id)
	if err != nil {
		return f, err
	}
	defer stop()
	env.say("")
	env.say("  %s on %s: accept, then recv and send on that client until it leaves.", id, srv.Addr())

	a, err := echoclient.Dial(srv.Addr(), time.Second)
	if err != nil {
		return f, err
	}
	defer a.Close()
	if f.AEcho, err = roundTrip(a, "hello from A\n", 5*time.Second); err != nil {
		return f, fmt.Errorf("client A: %w", err)
	}
	env.say("    client A connected and got its echo in %s; the server is now in recv on A's socket", roundDuration(f.AEcho))

	start := time.Now()
	b, err := echoclient.Dial(srv.Addr(), time.Second)
	if err != nil {
		return f, err
	}
	defer b.Close()
	f.BConnect = time.Since(start)
	if err := b.SetDeadline(time.Now().Add(hold + 5*time.Second)); err != nil {
		return f, err
	}
	sent := time.Now()
	if err := b.Send([]byte("hello from B\n")); err != nil {
		return f, fmt.Errorf("client B: %w", err)
	}
	env.say("    client B connected in %s (the kernel completed the handshake and queued it;", roundDuration(f.BConnect))
	env.say("    nobody has called accept) and sent a line; client A will leave in %s", hold)

	aLeft := make(chan time.Time, 1)
	leave := time.AfterFunc(hold, func() {
		left := time.Now()
		a.Close()
		aLeft <- left
	})
	_, err = b.ReadLine()
	got := time.Now()
	if leave.Stop() {
		if err == nil {
			err = errors.New("it was echoed while client A was still connected: the server did not serialise")
		}
		return f, fmt.Errorf("client B: %w", err)
	}
	left := <-aLeft
	if err != nil {
		return f, fmt.Errorf("client B got no echo: %w", err)
	}
	f.BWaited = got.Sub(sent)
	f.AfterA = got.Sub(left)
	env.say("    client B waited %d ms for client A to leave, and got its echo %s after A closed",
		f.BWaited.Milliseconds(), roundDuration(f.AfterA))
	env.say("  One blocked recv holds the whole server: B's line sat in the kernel until A was gone.")
	return f, nil
}

// serveFromCatalog starts a catalog server on a free loopback port; stop stops it and waits for
// Serve to return.
func serveFromCatalog(id string) (catalog.Server, func(), error) {
	entry, err := catalog.Lookup(id)
	if err != nil {
		return nil, nil, err
	}
	srv, err := entry.Listen("127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	return srv, func() {
		srv.Stop()
		<-served
	}, nil
}

// roundTrip sends one line and reads its echo, within timeout, and returns how long it took.
func roundTrip(c *echoclient.Conn, line string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	if err := c.SetDeadline(start.Add(timeout)); err != nil {
		return 0, err
	}
	if err := c.Send([]byte(line)); err != nil {
		return 0, err
	}
	echo, err := c.ReadLine()
	if err != nil {
		return 0, err
	}
	if string(echo) != line {
		return 0, fmt.Errorf("sent %q, got back %q", line, echo)
	}
	return time.Since(start), nil
}
