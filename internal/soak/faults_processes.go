// The kill fault: chapter 5's servers, with a random child killed (SIGKILL) every so often
// under verified traffic. Tornado's fork_processes restarts a child that dies by a signal, with
// its task id; the connections that child held are lost with it, and no other.

package soak

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/proctree"
)

// killFault is registered in Faults, for the targets with Procs only.
var killFault = Fault{Name: "kill", Procs: true, run: killChildren,
	Summary: "multi-process servers: verified traffic while a random child is killed (SIGKILL) every so " +
		"often; its connections fail (counted as expected), it comes back with its task id, no other fails"}

// Bounds of the kill fault.
const (
	killConns   = 1000                   // connections held, at most
	maxKills    = 20                     // children killed per window, at most
	killEvery   = 500 * time.Millisecond // a kill per this much of the window, at least one
	killWait    = 30 * time.Second       // how long a killed child's task id has to answer again
	killRecover = 2 * time.Second        // after a kill, a new connection that fails is its doing
)

// killState is what the clients and the killer share: the pids killed, when the last kill was,
// the failures that were the kills' doing.
type killState struct {
	// dialing admits the clients connecting again, dialers at a time: all those of a killed
	// child at once would overflow the listening socket's backlog (128), and the kernel would
	// drop their SYNs and retry after 1 s, 3 s, 7 s: the kernel's delay, not the server's.
	dialing  chan struct{}
	mu       sync.Mutex
	killed   map[int]bool
	holders  map[int]int // client port -> the child that held the connection, before the last kill
	lastKill time.Time
	expected atomic.Int64
}

// expectedFailure says whether the connection from client port may fail: the child that held
// it at the last kill was killed (then or earlier), or none is known to have held it and a kill
// was recent (a connection the dying child had accepted meanwhile, or, with SO_REUSEPORT, one
// queued on its own socket).
func (k *killState) expectedFailure(port int) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if pid := k.holders[port]; pid != 0 {
		return k.killed[pid]
	}
	return time.Since(k.lastKill) < killRecover
}

// killChildren holds connections exchanging random batches, each answer checked, while the
// fault kills a random child every window/(kills+1) and waits for its task id to answer again
// from a new pid. A client whose connection a killed child held counts the failure as
// expected and connects again; any other failure, and any wrong byte, is the server's fault.
func killChildren(e *env, o *outcome) {
	kids, err := proctree.Children(e.proc.PID)
	if err == nil && len(kids) < 2 {
		err = fmt.Errorf("the server has %d children; the kill fault needs two or more", len(kids))
	}
	if err != nil {
		o.fail(err)
		o.start, o.end = time.Now(), time.Now()
		return
	}
	_, serverPort, err := blocking.SplitHostPort(e.proc.Addr)
	if err != nil {
		o.fail(err)
		return
	}
	tasks, err := whoamiAll(e.proc.Addr, len(kids), nil)
	pidTask := func(pid int) (int, bool) {
		for task, p := range tasks {
			if p == pid {
				return task, true
			}
		}
		return 0, false
	}
	if err != nil {
		o.fail(err)
		return
	}
	clients := openClients(e, o, min(e.conns, killConns), e.timeout)
	k := &killState{killed: map[int]bool{}, dialing: make(chan struct{}, dialers)}
	o.start = time.Now()
	end := o.start.Add(e.window)
	var group sync.WaitGroup
	for i, cl := range clients {
		group.Go(func() { killClient(e, o, k, cl, uint64(i), end) })
	}

	kills := max(1, min(maxKills, int(e.window/killEvery)))
	every := e.window / time.Duration(kills+1)
	rng := rand.New(rand.NewPCG(e.seed, 11))
	done := 0
	for i := range kills {
		// Who holds which connection, read once per kill: per connection, on a thousand
		// connections, the reading of /proc would starve the server it watches. It is read
		// before the wait, since on a busy machine it takes a good part of a short window.
		holders := map[int]int{}
		if kids, err := proctree.Children(e.proc.PID); err == nil {
			holders = proctree.Holders(serverPort, kids)
		}
		time.Sleep(time.Until(o.start.Add(time.Duration(i+1) * every))) // the kills' schedule, not synchronisation
		// The victim is the child holding a connection picked at random (so a child is killed
		// as often as it holds connections: on one shared socket one child may hold them all),
		// or a random child when none holds any.
		task := rng.IntN(len(tasks))
		if len(holders) > 0 {
			ports := slices.Sorted(maps.Keys(holders))
			if t, ok := pidTask(holders[ports[rng.IntN(len(ports))]]); ok {
				task = t
			}
		}
		victim := tasks[task]
		k.mu.Lock()
		k.holders = holders
		k.killed[victim], k.lastKill = true, time.Now()
		k.mu.Unlock()
		if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
			o.fail(fmt.Errorf("killing task %d (pid %d): %w", task, victim, err))
			break
		}
		done++
		back, err := whoamiAll(e.proc.Addr, len(tasks), map[int]int{task: victim})
		if err != nil {
			o.fail(fmt.Errorf("after task %d (pid %d) was killed: %w", task, victim, err))
			break
		}
		tasks = back
	}

	group.Wait()
	o.end = time.Now()
	if kids, err := proctree.Children(e.proc.PID); err != nil || len(kids) != len(tasks) {
		o.fail(fmt.Errorf("after the kills the server has children %v (%v), want %d", kids, err, len(tasks)))
	}
	o.note = fmt.Sprintf("%d kills, %d conns failed as expected", done, k.expected.Load())
}

// killClient is one connection of the kill fault, exchanging until end; when the kills take
// it, it connects again.
func killClient(e *env, o *outcome, k *killState, cl *client, seed uint64, end time.Time) {
	defer func() { o.bytes.Add(cl.bytes) }()
	for r := 0; r < maxRounds && time.Now().Before(end); r++ {
		err := cl.Exchange(1+cl.rng.IntN(maxBatch), e.timeout)
		if err == nil {
			continue
		}
		cl.Close()
		if errors.Is(err, ErrMismatch) || !k.expectedFailure(localPort(cl)) {
			o.fail(fmt.Errorf("a connection no killed child held: %w", err))
			return
		}
		k.expected.Add(1)
		// Connect again, as a client of a dead worker would; a new connection may fail too
		// while the kill is recent.
		o.bytes.Add(cl.bytes)
		cl.bytes = 0
		for {
			if !time.Now().Before(end) {
				return
			}
			o.conns.Add(1)
			k.dialing <- struct{}{}
			next, err := dial(e.proc.Addr, e.proto, e.seed+seed<<32+uint64(r), dialTimeout)
			if err == nil {
				err = next.Exchange(1, e.timeout)
			}
			<-k.dialing
			if err == nil {
				cl = next
				break
			}
			if next != nil {
				next.Close()
			}
			if errors.Is(err, ErrMismatch) || !k.expectedFailure(0) { // port 0: none held it
				o.fail(fmt.Errorf("connecting again after a kill: %w", err))
				return
			}
			k.expected.Add(1)
			r++
		}
	}
	if err := cl.End(e.timeout); err != nil && (errors.Is(err, ErrMismatch) || !k.expectedFailure(localPort(cl))) {
		o.fail(err)
	} else if err != nil {
		k.expected.Add(1)
	}
}

// localPort is the client's port of cl's connection.
func localPort(cl *client) int {
	_, port, _ := blocking.SplitHostPort(cl.c.LocalAddr())
	return port
}

// whoamiAll asks whoami until each of n tasks has answered, and a task in gone has answered
// from a pid other than the one there (it was killed and restarted), for at most killWait; it
// returns the task ids' pids.
func whoamiAll(addr string, n int, gone map[int]int) (map[int]int, error) {
	tasks := map[int]int{}
	deadline := time.Now().Add(killWait)
	asked := 0
	for ; time.Now().Before(deadline); asked++ {
		task, pid, err := whoami(addr)
		if err != nil {
			continue // a connection the dying child had accepted
		}
		if old, ok := gone[task]; ok && pid == old {
			continue
		}
		tasks[task] = pid
		if len(tasks) == n {
			return tasks, nil
		}
	}
	return nil, fmt.Errorf("%d connections in %v reached tasks %v; want %d of them", asked, killWait, tasks, n)
}

// whoami asks chapter 5's server which child serves a new connection.
func whoami(addr string) (task, pid int, err error) {
	t, pid, err := echoclient.DialWhoami(addr, dialTimeout)
	if err != nil {
		return 0, 0, err
	}
	task, err = strconv.Atoi(t)
	return task, pid, err
}
