package tests

// Chapter 5 in the fault matrix: its multi-process servers, each `chapters run ID -procs N`
// as a process of its own, with children killed at random under load, a child out of
// descriptors, and SIGTERM to the parent under load. What clients see is asserted, and what is
// left: the server keeps serving, restarted children keep their task ids, nothing outlives the
// parent (checked in /proc, by parent and by process group), no descriptor is leaked.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"tornadotcp/internal/catalog"
	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/proctree"
	"tornadotcp/internal/testutil"
)

// The forms of chapter 5 that run in several processes.
var procsIDs = []string{"ch05/bind-start", "ch05/add-sockets", "ch05/reuseport"}

const (
	procsN       = 3           // children per server
	procsKills   = 5           // children killed per server, one at a time
	procsLoaders = 12          // clients making connections over and over while children die
	procsLines   = 20          // lines echoed per connection, after its whoami
	procsWait    = time.Minute // how long every task has to answer whoami: a child starting on a loaded machine
)

// procsAsk is whoami on a new connection, without failing the test: the task and pid that
// answered, or an error.
func procsAsk(addr string) (task string, pid int, err error) {
	return echoclient.DialWhoami(addr, ioTimeout)
}

// procsTasks asks whoami until every task 0..n-1 has answered, and returns their pids. On one
// shared socket a child that is still starting gets no connection, so this is bounded in time
// (procsWait), not in connections.
func procsTasks(t *testing.T, addr string, n int) map[string]int {
	t.Helper()
	tasks := map[string]int{}
	for deadline := time.Now().Add(procsWait); len(tasks) < n && time.Now().Before(deadline); {
		if task, pid, err := procsAsk(addr); err == nil {
			tasks[task] = pid
		}
	}
	if len(tasks) != n {
		t.Fatalf("in %v whoami reached tasks %v; want %d of them", procsWait, tasks, n)
	}
	return tasks
}

// procsGone stops the server with SIGTERM, expects exit status 0, and checks that none of pids
// (every child it ever had) is left, nor any process in their process groups or with the
// parent as its parent.
func procsGone(t *testing.T, p *chaptersProc, pids []int) {
	t.Helper()
	parent := p.cmd.Process.Pid
	p.signal(t, syscall.SIGTERM)
	p.waitExit(t, gracefulPeriod)
	for _, pid := range pids {
		if proctree.Exists(pid) {
			t.Errorf("child %d outlived its parent's exit", pid)
		}
	}
	if left := procsInGroups(t, pids); len(left) > 0 {
		t.Errorf("processes %v are left in the children's process groups", left)
	}
	if left := procsChildren(t, parent); len(left) > 0 {
		t.Errorf("processes %v are left with the exited parent %d as their parent", left, parent)
	}
}

// procsChildren is proctree.Children, failing t on error.
func procsChildren(t *testing.T, pid int) []int {
	t.Helper()
	kids, err := proctree.Children(pid)
	if err != nil {
		t.Fatal(err)
	}
	return kids
}

// procsInGroups is proctree.InGroups, failing t on error.
func procsInGroups(t *testing.T, pgids []int) []int {
	t.Helper()
	left, err := proctree.InGroups(pgids)
	if err != nil {
		t.Fatal(err)
	}
	return left
}

// procsLoad is clients making connections over and over until stop: each asks whoami, then
// has procsLines lines echoed. A connection that fails is recorded with the pid that answered
// its whoami (0 if none did); a wrong byte is a mismatch.
type procsLoad struct {
	exchanges  atomic.Int64 // lines echoed correctly
	mismatches atomic.Int64
	mu         sync.Mutex
	failed     map[int]int // pid that served the connection (0: unknown) -> connections failed
	firstErr   error
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startLoad(addr string) *procsLoad {
	l := &procsLoad{failed: map[int]int{}, stop: make(chan struct{})}
	for i := range procsLoaders {
		l.wg.Go(func() {
			for n := 0; n < 1_000_000; n++ {
				select {
				case <-l.stop:
					return
				default:
				}
				if pid, err := l.one(addr, i, n); err != nil {
					l.mu.Lock()
					l.failed[pid]++
					if l.firstErr == nil {
						l.firstErr = err
					}
					l.mu.Unlock()
				}
			}
		})
	}
	return l
}

// one is one connection of client i: whoami, then lines; the pid that answered, and an error
// if the connection failed.
func (l *procsLoad) one(addr string, i, n int) (int, error) {
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(4 * ioTimeout))
	r := bufio.NewReader(c)
	var task string
	var pid int
	if _, err := io.WriteString(c, "whoami\n"); err != nil {
		return 0, err
	}
	a, err := r.ReadString('\n')
	if err != nil {
		return 0, err
	}
	if _, err := fmt.Sscanf(a, "task=%s pid=%d", &task, &pid); err != nil {
		l.mismatches.Add(1)
		return 0, fmt.Errorf("whoami answered %q", a)
	}
	for k := range procsLines {
		line := fmt.Sprintf("client %d conn %d line %d\n", i, n, k)
		if _, err := io.WriteString(c, line); err != nil {
			return pid, err
		}
		got, err := r.ReadString('\n')
		if err != nil {
			return pid, err // a partial line before the failure is not a wrong byte
		}
		if got != line {
			l.mismatches.Add(1)
			return pid, fmt.Errorf("echo %q, want %q", got, line)
		}
		l.exchanges.Add(1)
	}
	return pid, nil
}

// end stops the clients and waits for them.
func (l *procsLoad) end() {
	close(l.stop)
	l.wg.Wait()
}

// Children killed at random under load: a killed child is replaced with its task id and a new
// pid, and reaped; clients see wrong bytes never, and failures only on connections a killed
// child served (or, with none answered yet, that it had accepted or, for reuseport, that were
// queued on its own socket); the others are served throughout; the parent's descriptors do
// not grow with restarts, the survivors' return to what they were; SIGTERM leaves nothing.
func TestFaultProcessesKilled(t *testing.T) {
	exe, err := testutil.BuildChapters(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range procsIDs {
		t.Run(id, func(t *testing.T) { procsKilled(t, exe, id) })
	}
}

func procsKilled(t *testing.T, exe, id string) {
	p := startChapters(t, exe, "run", id, "-procs", fmt.Sprint(procsN), "-addr", "127.0.0.1:0")
	parent := p.cmd.Process.Pid
	tasks := procsTasks(t, p.addr, procsN)
	everyPid := slices.Collect(maps.Values(tasks))
	parentFDs := proctree.OpenFDs(parent)
	childFDs := map[int]int{}
	for _, pid := range tasks {
		childFDs[pid] = proctree.OpenFDs(pid)
	}

	load := startLoad(p.addr)
	defer func() {
		select {
		case <-load.stop:
		default:
			load.end()
		}
	}()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
	killed := map[int]bool{}
	for range procsKills {
		// Let the load reach the children before each kill, so that the victim holds work.
		before := load.exchanges.Load()
		testutil.WaitFor(t, "the clients to be served", func() bool { return load.exchanges.Load() > before+procsLoaders })
		task := fmt.Sprint(rng.IntN(procsN))
		victim := tasks[task]
		if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
			t.Fatalf("kill task %s (pid %d): %v", task, victim, err)
		}
		killed[victim] = true
		testutil.WaitFor(t, fmt.Sprintf("the killed pid %d to be reaped", victim), func() bool { return !proctree.Exists(victim) })
		reborn := 0
		for deadline := time.Now().Add(procsWait); reborn == 0 && time.Now().Before(deadline); {
			if got, pid, err := procsAsk(p.addr); err == nil && got == task && pid != victim {
				reborn = pid
			}
		}
		if reborn == 0 {
			t.Fatalf("task %s (pid %d killed) did not answer again within %v", task, victim, procsWait)
		}
		tasks[task] = reborn
		everyPid = append(everyPid, reborn)
		if kids := procsChildren(t, parent); len(kids) != procsN {
			t.Errorf("after task %s came back the parent has children %v, want %d", task, kids, procsN)
		}
	}
	// The server goes on serving after the last restart.
	after := load.exchanges.Load()
	testutil.WaitFor(t, "the clients to be served after the last restart", func() bool {
		return load.exchanges.Load() > after+10*procsLoaders
	})
	load.end()

	load.mu.Lock()
	defer load.mu.Unlock()
	t.Logf("%s: %d kills; %d lines echoed; failed connections by the pid that served them (0: before any answer): %v; first: %v",
		id, procsKills, load.exchanges.Load(), load.failed, load.firstErr)
	if n := load.mismatches.Load(); n > 0 {
		t.Errorf("%d wrong answers; a client may see its connection fail, never a wrong byte", n)
	}
	total := 0
	for pid, n := range load.failed {
		total += n
		if pid != 0 && !killed[pid] {
			t.Errorf("%d connections served by pid %d failed, which was not killed", n, pid)
		}
	}
	// Each client holds one connection at a time, so one kill can fail at most one connection
	// per client, and a few more with reuseport: the connections the kernel had queued on the
	// dead child's socket, made by clients that failed once already.
	if bound := procsKills * procsLoaders * 2; total > bound {
		t.Errorf("%d connections failed for %d kills of %d clients, want at most %d", total, procsKills, procsLoaders, bound)
	}
	testutil.WaitFor(t, "the parent's descriptors to be what they were", func() bool {
		return proctree.OpenFDs(parent) <= parentFDs
	})
	for pid, n := range childFDs {
		if killed[pid] {
			continue
		}
		testutil.WaitFor(t, fmt.Sprintf("the surviving child %d's descriptors to be what they were", pid), func() bool {
			return proctree.OpenFDs(pid) <= n
		})
	}
	procsGone(t, p, everyPid)
}

const (
	procsFDLimit = 64  // each child's descriptor limit in the exhaustion test
	procsHeld    = 250 // clients that try to hold a connection at once, far beyond two limits
)

// Descriptor exhaustion in a child: two children under `ulimit -n 64`, and far more clients
// than both can hold. A child out of descriptors closes the clients it cannot take (chapter
// 4's reserve) and its sibling serves on: more clients are answered than one child's limit
// allows, by both tasks. Once the clients have gone, the same two pids serve (nothing was
// restarted) and their descriptors are back to what they were.
func TestFaultProcessesDescriptors(t *testing.T) {
	exe, err := testutil.BuildChapters(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ch05/bind-start", "ch05/reuseport"} {
		t.Run(id, func(t *testing.T) { procsDescriptors(t, exe, id) })
	}
}

func procsDescriptors(t *testing.T, exe, id string) {
	testutil.EnsureDescriptors(t, procsHeld+64)
	script := fmt.Sprintf(`ulimit -n %d && exec "$0" run "$@"`, procsFDLimit)
	p := startChapters(t, "/bin/sh", "-c", script, exe, id, "-procs", "2", "-addr", "127.0.0.1:0")
	tasks := procsTasks(t, p.addr, 2)
	before := map[int]int{}
	for _, pid := range tasks {
		before[pid] = proctree.OpenFDs(pid)
	}

	var (
		mu       sync.Mutex
		held     []net.Conn
		answered = map[string]int{}
		refused  int
		wg       sync.WaitGroup
	)
	for range procsHeld {
		wg.Go(func() {
			c, err := net.DialTimeout("tcp", p.addr, ioTimeout)
			if err != nil {
				mu.Lock()
				refused++
				mu.Unlock()
				return
			}
			c.SetDeadline(time.Now().Add(ioTimeout))
			io.WriteString(c, "whoami\n")
			a, err := bufio.NewReader(c).ReadString('\n')
			var task string
			var pid int
			if err == nil {
				_, err = fmt.Sscanf(a, "task=%s pid=%d", &task, &pid)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				refused++ // closed by a child out of descriptors, or never accepted
				c.Close()
				return
			}
			answered[task]++
			held = append(held, c)
		})
	}
	wg.Wait()
	t.Logf("%s: %d of %d clients held by task: %v; %d closed or unanswered", id, len(held), procsHeld, answered, refused)
	if len(held) <= procsFDLimit {
		t.Errorf("%d clients held: no more than one child's limit (%d) allows; the sibling did not serve on", len(held), procsFDLimit)
	}
	if len(held) > 2*procsFDLimit {
		t.Errorf("%d clients held by two children limited to %d descriptors each", len(held), procsFDLimit)
	}
	if answered["0"] == 0 || answered["1"] == 0 {
		t.Errorf("answered by tasks %v; want both", answered)
	}
	p.waitLog(t, "accept failed") // a child said it ran out (one line per shortage)
	for _, c := range held {
		c.Close()
	}
	for pid, n := range before {
		testutil.WaitFor(t, fmt.Sprintf("child %d's descriptors to be what they were (%d)", pid, n), func() bool {
			return proctree.OpenFDs(pid) <= n
		})
	}
	if again := procsTasks(t, p.addr, 2); again["0"] != tasks["0"] || again["1"] != tasks["1"] {
		t.Errorf("after the shortage tasks are served by %v, before by %v: a child was restarted", again, tasks)
	}
	procsGone(t, p, slices.Collect(maps.Values(tasks)))
}

// SIGTERM to the parent under load, in each form with two children: every client's lines in
// flight are echoed in full, then EOF (each child drains its own connections gracefully); the
// parent exits 0 and leaves no child.
func TestFaultProcessesGraceful(t *testing.T) {
	exe, err := testutil.BuildChapters(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range procsIDs {
		t.Run(id, func(t *testing.T) {
			testutil.CheckLeaks(t)
			e, err := catalog.Lookup(id)
			if err != nil {
				t.Fatal(err)
			}
			p := startChapters(t, exe, "run", id, "-procs", "2", "-addr", "127.0.0.1:0", "-grace", gracefulPeriod.String())
			tasks := procsTasks(t, p.addr, 2)
			lines := testutil.Lines(10500, 100)
			var ready, finished sync.WaitGroup
			signalled := make(chan struct{})
			clients := gracefulClients / 4 // 1 MiB each in flight: a quarter of chapter 4's test
			for i := range clients {
				ready.Add(1)
				finished.Go(func() { gracefulEchoClient(t, e, p.addr, i, lines, &ready, signalled) })
			}
			ready.Wait()
			start := p.signal(t, syscall.SIGTERM)
			p.waitLog(t, "stopping gracefully")
			close(signalled)
			finished.Wait()
			took := p.waitExit(t, gracefulPeriod)
			t.Logf("%s: %d clients × %d KiB in flight at SIGTERM; all received, exit 0 after %v",
				id, clients, len(lines)>>10, took.Sub(start).Round(time.Millisecond))
			pids := slices.Collect(maps.Values(tasks))
			for _, pid := range pids {
				if proctree.Exists(pid) {
					t.Errorf("child %d outlived its parent's exit", pid)
				}
			}
			if left := procsInGroups(t, pids); len(left) > 0 {
				t.Errorf("processes %v are left in the children's process groups", left)
			}
			if _, _, err := procsAsk(p.addr); !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("a client after the exit: %v, want connection refused", err)
			}
		})
	}
}
