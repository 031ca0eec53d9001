// Tests of the tour: each lesson narrates what it measured, and the measurements show the lesson.

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	ioloop "tornadotcp/ch03_epoll"
	"tornadotcp/internal/testutil"
)

// testTourEnv narrates into out. Under `go test`, os.Executable is this test binary, not
// chapters, so a lesson's child process is this binary again, made into the chapters command by
// TestRunHelperProcess (runserver_test.go).
func testTourEnv(out *bytes.Buffer) *tourEnv {
	return &tourEnv{out: out, self: func(args ...string) *exec.Cmd {
		helper := append([]string{"-test.run=^TestRunHelperProcess$", "--"}, args...)
		cmd := exec.Command(os.Args[0], helper...)
		cmd.Env = append(os.Environ(), runHelperEnv+"=1",
			"GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
		return cmd
	}}
}

func TestTourCh01(t *testing.T) {
	if testutil.InFreshProcess(t) {
		return
	}
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	f, err := runCh01(testTourEnv(&out))
	text := out.String()
	if err != nil {
		t.Fatalf("chapter 1's lesson failed: %v\nnarration so far:\n%s", err, text)
	}
	t.Logf("narration:\n%s", text)

	// (a) The iterative server: B is echoed only after A has left, so B waited at least as long
	// as A stayed.
	if f.Wait.BWaited < ch01Plan.HoldA {
		t.Errorf("client B waited %v, less than the %v client A stayed: the server did not serialise",
			f.Wait.BWaited, ch01Plan.HoldA)
	}
	if f.Wait.AfterA <= 0 || f.Wait.AfterA > f.Wait.BWaited {
		t.Errorf("client B echoed %v after A left, out of a %v wait", f.Wait.AfterA, f.Wait.BWaited)
	}
	mustSay(t, text, fmt.Sprintf("client B waited %d ms for client A to leave",
		f.Wait.BWaited.Milliseconds()))

	// (b) The threaded server: at least one thread per connected client. A little slack for the
	// runtime's own threads being counted in the base and retired later.
	const slack = 5
	if len(f.Climb.Steps) != len(ch01Plan.Steps) {
		t.Fatalf("%d thread counts, want one per step %v", len(f.Climb.Steps), ch01Plan.Steps)
	}
	mustSay(t, text, fmt.Sprintf("this process had %d OS threads before the server started",
		f.Climb.Base))
	for i, s := range f.Climb.Steps {
		if s.Clients != ch01Plan.Steps[i] {
			t.Errorf("step %d: %d clients, want %d", i, s.Clients, ch01Plan.Steps[i])
		}
		if d := s.Delta(f.Climb.Base); d < s.Clients-slack {
			t.Errorf("%d clients added only %d threads: not one thread per blocked recv", s.Clients, d)
		}
		mustSay(t, text, fmt.Sprintf("%4d clients connected, each echoed once: %4d threads, %+5d",
			s.Clients, s.Threads, s.Delta(f.Climb.Base)))
	}

	// (c) Thread exhaustion: the child died of it, after some clients and before the bound.
	x := f.Exhaustion
	if x.Echoed == 0 || x.Echoed >= ch01Plan.Exhaustion.MaxClients {
		t.Errorf("the child echoed %d clients before dying; want between 1 and %d",
			x.Echoed, ch01Plan.Exhaustion.MaxClients-1)
	}
	if x.Threads < x.Echoed-slack {
		t.Errorf("the child had %d threads after %d clients: not one thread per blocked recv",
			x.Threads, x.Echoed)
	}
	want := []string{fmt.Sprintf("runtime: program exceeds %d-thread limit",
		ch01Plan.Exhaustion.Limit), "fatal error: thread exhaustion"}
	for _, line := range want {
		if !slices.Contains(x.Fatal, line) {
			t.Errorf("the child's fatal lines %q lack %q", x.Fatal, line)
		}
		mustSay(t, text, "      "+line)
	}
	if x.Exit != "exit status 2" {
		t.Errorf("the child ended with %q, want exit status 2 (the runtime's fatal error)", x.Exit)
	}
	mustSay(t, text, fmt.Sprintf("%d clients were echoed; the child had %d OS threads",
		x.Echoed, x.Threads))
	mustSay(t, text, "and it ended with "+x.Exit)
}

func mustSay(t *testing.T, narration, want string) {
	t.Helper()
	if !strings.Contains(narration, want) {
		t.Errorf("the narration does not say %q", want)
	}
}

// Each part of the lesson fails, rather than narrating something else, when the server in front
// of it does not behave as the chapter says.

func TestTourIterativeWaitNeedsASerialisingServer(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	_, err := iterativeWait(testTourEnv(&out), "ch01/threaded", ch01Plan.HoldA)
	if err == nil || !strings.Contains(err.Error(), "did not serialise") {
		t.Errorf("on ch01/threaded: error %v, want one saying the server did not serialise", err)
	}
	if strings.Contains(out.String(), "client B waited") {
		t.Errorf("narrated a wait that did not happen:\n%s", out.String())
	}
}

func TestTourThreadClimbNeedsAThreadPerConnection(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	_, err := threadClimb(testTourEnv(&out), "ch00/net", []int{10})
	if !errors.Is(err, errNoClimb) {
		t.Errorf("on ch00/net (no thread per connection): error %v, want %v", err, errNoClimb)
	}
}

func TestTourExhaustionNeedsTheChildToDie(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	plan := exhaustionPlan{
		Limit: 10000, MaxClients: 3, Within: 10 * time.Second, Grace: 100 * time.Millisecond,
	}
	f, err := threadExhaustion(testTourEnv(&out), plan)
	if err == nil || !strings.Contains(err.Error(), "still serving") {
		t.Errorf("with a limit of 10,000 and 3 clients: error %v, want one saying the child was still "+
			"serving", err)
	}
	if f.Echoed != 3 {
		t.Errorf("%d clients echoed, want all 3", f.Echoed)
	}
}

func TestTourRuntimeFatal(t *testing.T) {
	stderr := "runtime: program exceeds 100-thread limit\nfatal error: thread exhaustion\n" +
		"\nruntime stack:\nruntime.throw(...)\n"
	got := runtimeFatal([]byte(stderr))
	want := []string{"runtime: program exceeds 100-thread limit", "fatal error: thread exhaustion"}
	if !slices.Equal(got, want) {
		t.Errorf("runtimeFatal = %q, want %q", got, want)
	}
	if got := runtimeFatal([]byte("chapters run: listen: address in use\n")); len(got) != 0 {
		t.Errorf("runtimeFatal found %q in an ordinary error", got)
	}
}

func TestTourLessonsInBookOrder(t *testing.T) {
	if len(lessons) == 0 || lessons[0].chapter != 1 {
		t.Fatalf("the tour must start with chapter 1's lesson")
	}
	for i := 1; i < len(lessons); i++ {
		if lessons[i].chapter <= lessons[i-1].chapter {
			t.Errorf("lesson %d is chapter %d, after chapter %d: one lesson per chapter, in book order",
				i, lessons[i].chapter, lessons[i-1].chapter)
		}
	}
	for _, l := range lessons {
		if l.title == "" || l.run == nil {
			t.Errorf("chapter %d's lesson needs a title and a run function", l.chapter)
		}
	}
}

// A failing lesson is reported on stderr and makes the tour exit non-zero, and the lessons after
// it still run.
func TestTourFailingLesson(t *testing.T) {
	var out, errOut bytes.Buffer
	ran := false
	status := runLessons(testTourEnv(&out), []lesson{
		{1, "fails", func(*tourEnv) error { return errors.New("the server did not serialise") }},
		{2, "runs anyway", func(env *tourEnv) error { ran = true; env.say("measured"); return nil }},
	}, &errOut)
	if status == 0 {
		t.Errorf("exit status 0 after a failed lesson")
	}
	want := "chapters: tour: chapter 1: the server did not serialise\n"
	if got := errOut.String(); got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	if !ran {
		t.Errorf("the lesson after the failed one did not run")
	}
	mustSay(t, out.String(), "Chapter 2: runs anyway\nmeasured\n(chapter 2's lesson took ")
	if strings.Contains(out.String(), "chapter 1's lesson took") {
		t.Errorf("a failed lesson was timed as if it had finished:\n%s", out.String())
	}
}

// A child that prints no listening line is an error that carries what it said, and is gone.
func TestTourChildWithoutListeningLine(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	_, err := startChild(testTourEnv(&out), 10*time.Second, "run",
		"no/such-server", "-addr", "127.0.0.1:0")
	if err == nil {
		t.Fatal("startChild succeeded for a server id that does not exist")
	}
	if !strings.Contains(err.Error(), `unknown server id "no/such-server"`) {
		t.Errorf("error %q does not pass on the child's own message", err)
	}
}

func TestTourCh02(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	f, err := runCh02(testTourEnv(&out))
	text := out.String()
	if err != nil {
		t.Fatalf("chapter 2's lesson failed: %v\nnarration so far:\n%s", err, text)
	}
	t.Logf("narration:\n%s", text)

	// (a) Idle CPU, measured from outside each child: busy-poll burns, poll sleeps, and neither
	// has a thread per client. The thresholds are loose: the machine is shared.
	idle := f.Idle
	if idle.Clients != ch02Plan.Clients || idle.Window < ch02Plan.Window {
		t.Errorf("%d clients over %v, want %d over at least %v",
			idle.Clients, idle.Window, ch02Plan.Clients, ch02Plan.Window)
	}
	if idle.Burner.ID != "ch02/busypoll" || idle.Sleeper.ID != "ch02/poll" {
		t.Errorf("compared %s with %s, want ch02/busypoll with ch02/poll",
			idle.Burner.ID, idle.Sleeper.ID)
	}
	if idle.Burner.CPU < minBurn {
		t.Errorf("busy-poll used %.2f CPU s/s with every client idle, want about 1 (at least %.2f)",
			idle.Burner.CPU, minBurn)
	}
	if idle.Sleeper.CPU > maxSleep {
		t.Errorf("poll used %.2f CPU s/s with every client idle, want about 0 (at most %.2f)",
			idle.Sleeper.CPU, maxSleep)
	}
	if idle.Burner.CPU < 4*idle.Sleeper.CPU {
		t.Errorf("busy-poll %.2f CPU s/s is not far above poll's %.2f", idle.Burner.CPU, idle.Sleeper.CPU)
	}
	for _, s := range []serverCPU{idle.Burner, idle.Sleeper} {
		if s.Threads <= 0 || s.Threads >= idle.Clients/2 {
			t.Errorf("%s had %d OS threads with %d clients: want a handful, not one per client",
				s.ID, s.Threads, idle.Clients)
		}
		mustSay(t, text, fmt.Sprintf("%-15s %.2f CPU seconds per second, %d OS threads",
			s.ID+":", s.CPU, s.Threads))
	}

	// (b) The wall: the early clients served, every later one refused, the server still up, and
	// its log naming the first descriptor it could not watch.
	w := f.Wall
	if w.Clients != ch02Plan.Wall.Clients || w.Served+w.Refused != w.Clients {
		t.Errorf("%d clients tried, %d served, %d refused; want %d tried, each served or refused",
			w.Clients, w.Served, w.Refused, ch02Plan.Wall.Clients)
	}
	if w.Served < 900 || w.Refused == 0 || w.FirstRefused != w.Served+1 {
		t.Errorf("served %d, refused %d from client %d: want the first thousand or so served and every "+
			"later one refused", w.Served, w.Refused, w.FirstRefused)
	}
	if !w.StillServing {
		t.Errorf("client 1 was not served after the refusals")
	}
	if w.RefusedFD != 1024 || !strings.Contains(w.Log, "FD_SETSIZE") {
		t.Errorf("the first refusal named fd %d in log line %q, want fd 1024 and FD_SETSIZE",
			w.RefusedFD, w.Log)
	}
	mustSay(t, text, fmt.Sprintf("clients 1 to %d were echoed and stayed; clients %d to %d were "+
		"closed", w.Served, w.FirstRefused, w.Clients))
	if w.LogCount != w.Refused || w.LogLines == 0 || w.LogLines > 3 {
		t.Errorf("the log counted %d refusals in %d lines; the clients saw %d refused, and the log "+
			"should say so in a few lines", w.LogCount, w.LogLines, w.Refused)
	}
	mustSay(t, text, fmt.Sprintf("its log counted %d refusals in %d lines (at most one a second); "+
		"the first:\n      %s", w.LogCount, w.LogLines, w.Log))
	if len(w.Own) < 6 || len(w.Own)+w.Served != 1024 {
		t.Errorf("the child had descriptors %q of its own and served %d clients: want at least stdio, "+
			"the listener and the self-pipe, and with the clients exactly 1024", w.Own, w.Served)
	}
	if !slices.ContainsFunc(w.Own, func(fd string) bool { return strings.HasSuffix(fd, " socket") }) {
		t.Errorf("the child's descriptors %q have no socket: its listener is missing", w.Own)
	}
	mustSay(t, text, fmt.Sprintf("Before the first client the child had %d\n  descriptors open "+
		"(/proc/%d/fd):\n      %s", len(w.Own), w.Pid, w.Own[0]))
	mustSay(t, text, fmt.Sprintf("That left %d numbers below 1024: %d clients were served.",
		1024-len(w.Own), w.Served))
}

// The idle-CPU comparison fails, rather than narrating, when the server meant to burn a core
// sleeps: poll against poll.
func TestTourIdleCPUNeedsABusyPoller(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	f, err := idleCPU(testTourEnv(&out), "ch02/poll", "ch02/poll", 10, 300*time.Millisecond)
	if !errors.Is(err, errNoBurn) {
		t.Errorf("poll against poll: error %v, want %v", err, errNoBurn)
	}
	if out.Len() != 0 {
		t.Errorf("narrated a comparison that did not show the lesson:\n%s", out.String())
	}
	if f.Burner.Pid == 0 || f.Burner.Pid == f.Sleeper.Pid {
		t.Errorf("pids %d and %d: want two child processes", f.Burner.Pid, f.Sleeper.Pid)
	}
}

// The wall run fails on a server that has no wall: poll serves every one of 1,100 clients.
func TestTourSelectWallNotOnPoll(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	f, err := selectWall(testTourEnv(&out), "ch02/poll", ch02Plan.Wall)
	if !errors.Is(err, errNoWall) {
		t.Errorf("on ch02/poll: error %v, want %v", err, errNoWall)
	}
	if f.Served != ch02Plan.Wall.Clients || f.Refused != 0 {
		t.Errorf("poll served %d and refused %d of %d clients, want all served",
			f.Served, f.Refused, ch02Plan.Wall.Clients)
	}
}

func TestTourWallLog(t *testing.T) {
	const refusal = `closed a new connection at once server=ch02/select addr=127.0.0.1:5000 ` +
		`err="fd 1024: descriptor at or above FD_SETSIZE (1024)"`
	stderr := "chapters run ch02/select: starting\n" +
		"2026/01/02 03:04:05 WARN " + refusal + "\n" +
		"2026/01/02 03:04:06 WARN " + refusal + " times=7\n" +
		"chapters run ch02/select: terminated, stopping\n"
	first, lines, refusals := wallLog([]byte(stderr))
	if want := "WARN " + refusal; first != want {
		t.Errorf("first line = %q, want %q", first, want)
	}
	if lines != 2 || refusals != 8 {
		t.Errorf("%d lines counting %d refusals, want 2 lines counting 8", lines, refusals)
	}
	if m := refusedFD.FindStringSubmatch(first); m == nil || m[1] != "1024" {
		t.Errorf("refusedFD found %q in %q", m, first)
	}
	stderr = "chapters run ch02/select: terminated, stopping\n"
	if first, lines, _ := wallLog([]byte(stderr)); first != "" || lines != 0 {
		t.Errorf("wallLog found %q (%d lines) where no line speaks of FD_SETSIZE", first, lines)
	}
}

func TestTourWrapList(t *testing.T) {
	items := []string{
		"0 /dev/null", "1 pipe", "2 pipe", "3 /sys/fs/cgroup/cpu/cpu.cfs_quota_us", "5 socket",
	}
	got := wrapList(items, 30)
	want := []string{
		"0 /dev/null, 1 pipe, 2 pipe,", "3 /sys/fs/cgroup/cpu/cpu.cfs_quota_us,", "5 socket",
	}
	if !slices.Equal(got, want) {
		t.Errorf("wrapList = %q, want %q", got, want)
	}
	if got := wrapList(nil, 30); len(got) != 0 {
		t.Errorf("wrapList(nil) = %q, want no lines", got)
	}
}

func TestTourCh03(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	start := time.Now()
	f, err := runCh03(testTourEnv(&out))
	text := out.String()
	if err != nil {
		t.Fatalf("chapter 3's lesson failed: %v\nnarration so far:\n%s", err, text)
	}
	t.Logf("narration (%v):\n%s", time.Since(start).Round(time.Millisecond), text)

	// (a) Thousands of idle connections on one loop thread, read from outside the child. The
	// bounds are loose: the machine is shared and the child is race-enabled under -race.
	h := f.Hold
	if h.Clients != ch03Plan.Clients || h.Served != h.Clients {
		t.Errorf("%d of %d clients served, want all %d (descriptor limit %d)",
			h.Served, h.Clients, ch03Plan.Clients, h.Limit)
	}
	if h.Threads <= 0 || h.Threads > maxLoopThreads {
		t.Errorf("the server had %d OS threads holding %d clients, want at most %d",
			h.Threads, h.Served, maxLoopThreads)
	}
	if h.RSSPer >= maxRSSPerConn {
		t.Errorf("%.2f KiB of RSS per connection, want under %.0f", h.RSSPer, maxRSSPerConn)
	}
	if h.CPU > maxIdleCPU || h.Window < ch03Plan.Window {
		t.Errorf("%.3f CPU s/s over %v of idleness, want at most %.2f over at least %v",
			h.CPU, h.Window, maxIdleCPU, ch03Plan.Window)
	}
	mustSay(t, text, fmt.Sprintf("%d clients connected, one after another, in %s;",
		h.Served, roundDuration(h.Connect)))
	mustSay(t, text, fmt.Sprintf("OS threads:          %d (%d before the first client)",
		h.Threads, h.Before.Threads))
	mustSay(t, text, fmt.Sprintf("memory:              %.2f KiB more RSS per connection", h.RSSPer))
	mustSay(t, text, fmt.Sprintf("CPU while all idle:  %.2f CPU seconds per second", h.CPU))

	// (b) The stalled reader: level-triggered reports the unread rest again, edge-triggered
	// not until new data arrives, and then the reader drains everything.
	lv, ed := f.Trigger.Level, f.Trigger.Edge
	if lv.First != ioloop.READ || lv.Took != takeBytes || lv.Again != ioloop.READ {
		t.Errorf("level-triggered: %+v, want READ, %d byte taken, READ again", lv, takeBytes)
	}
	if ed.Again != ioloop.NONE || ed.Asked < askAgain {
		t.Errorf("edge-triggered: events %#x after %v with data unread, want none after at least %v",
			ed.Again, ed.Asked, askAgain)
	}
	if ed.AfterMore != ioloop.READ || ed.Drained != firstSent[takeBytes:]+moreSent {
		t.Errorf("edge-triggered after more data: events %#x, drained %q; want READ and %q",
			ed.AfterMore, ed.Drained, firstSent[takeBytes:]+moreSent)
	}
	mustSay(t, text, fmt.Sprintf("it gets %q.", ed.Drained))
}

// The hold fails, rather than narrating, on a server that spends a thread per client.
func TestTourHoldIdleNeedsOneThread(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	f, err := holdIdle(testTourEnv(&out), "ch01/threaded",
		holdPlan{Clients: 1000, Window: 200 * time.Millisecond, Within: 20 * time.Second})
	if !errors.Is(err, errNotTheLesson) {
		t.Errorf("on ch01/threaded: error %v, want %v", err, errNotTheLesson)
	}
	if f.Served != 1000 || f.Threads < 1000 {
		t.Errorf("%d clients served on %d threads, want 1000 on at least as many threads",
			f.Served, f.Threads)
	}
	if out.Len() != 0 {
		t.Errorf("narrated a hold that did not show the lesson:\n%s", out.String())
	}
}

// With fewer descriptors than the plan's clients need, the hold opens what fits and says so.
func TestTourHoldIdleFitsTheDescriptorLimit(t *testing.T) {
	testutil.CheckLeaks(t)
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	low := lim
	low.Cur = 1200
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	defer unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
	var out bytes.Buffer
	f, err := holdIdle(testTourEnv(&out), "ch03/epoll",
		holdPlan{Clients: 10_000, Window: 200 * time.Millisecond, Within: 20 * time.Second})
	if err != nil {
		t.Fatalf("holdIdle: %v\n%s", err, out.String())
	}
	if want := 1200 - fdsForOthers; f.Clients != want || f.Served != want {
		t.Errorf("%d clients, %d served; want %d, what 1200 descriptors leave", f.Clients, f.Served, want)
	}
	mustSay(t, out.String(), fmt.Sprintf("(this process may open 1200 descriptors, ulimit -n, so %d "+
		"clients rather than 10000)", 1200-fdsForOthers))
}

func TestTourCh04(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	start := time.Now()
	f, err := runCh04(testTourEnv(&out))
	text := out.String()
	if err != nil {
		t.Fatalf("chapter 4's lesson failed: %v\nnarration so far:\n%s", err, text)
	}
	t.Logf("narration (%v):\n%s", time.Since(start).Round(time.Millisecond), text)

	// (a) The first startup form: HandleStream ran once, on the loop, for the client's own
	// connection, and the line came back.
	s := f.Form1
	if s.Calls != 1 || !s.OnLoop {
		t.Errorf("HandleStream ran %d times, on the loop: %v; want once, on the loop", s.Calls, s.OnLoop)
	}
	if s.Peer == "" || s.Peer != s.Client {
		t.Errorf("HandleStream was given %q, the client's address was %q", s.Peer, s.Client)
	}
	if s.Line != ch04Plan.Line || s.Echo != ch04Plan.Line {
		t.Errorf("HandleStream read %q and the client got %q, want %q both",
			s.Line, s.Echo, ch04Plan.Line)
	}
	if s.RoundTrip <= 0 || s.RoundTrip > ch04Plan.Within {
		t.Errorf("round trip %v, want within %v", s.RoundTrip, ch04Plan.Within)
	}
	mustSay(t, text, fmt.Sprintf("a client connected from %s and sent %q", s.Client, ch04Plan.Line))
	mustSay(t, text, fmt.Sprintf("HandleStream(stream, %q) ran once, on the loop's own goroutine",
		s.Peer))

	// (b) Keep-alive: one connection for every request, against one per request with
	// Connection: close, and helloworld's answer every time.
	k, n := f.KeepAlive, ch04Plan.Requests
	if k.ID != "ch04/http" || k.Pid == 0 {
		t.Errorf("measured %q (pid %d), want ch04/http in a child process", k.ID, k.Pid)
	}
	if k.Kept.Requests != n || k.Kept.Conns != 1 || k.Kept.Reused != n-1 {
		t.Errorf("keep-alive: %d requests on %d connections, %d reused; want %d on 1, %d reused",
			k.Kept.Requests, k.Kept.Conns, k.Kept.Reused, n, n-1)
	}
	if k.Closed.Requests != n || k.Closed.Conns != n || k.Closed.Reused != 0 {
		t.Errorf("Connection: close: %d requests on %d connections, %d reused; want one connection "+
			"each, none reused", k.Closed.Requests, k.Closed.Conns, k.Closed.Reused)
	}
	if k.Kept.Hello != n || k.Closed.Hello != n {
		t.Errorf("%d and %d answers were 200 %q, want all %d of each",
			k.Kept.Hello, k.Closed.Hello, helloBody, n)
	}
	if k.Kept.Connection != "keep-alive" || k.Closed.Connection != "close" {
		t.Errorf("the server answered Connection: %q and %q, want keep-alive and close",
			k.Kept.Connection, k.Closed.Connection)
	}
	mustSay(t, text, fmt.Sprintf("%-24s %4d connection(s), %6.0f requests/s; the server answered "+
		"Connection: keep-alive", "HTTP/1.1 keep-alive:", 1, k.Kept.PerSecond()))
	mustSay(t, text, fmt.Sprintf("%-24s %4d connection(s), %6.0f requests/s; the server answered "+
		"Connection: close", "with Connection: close:", n, k.Closed.PerSecond()))
	mustSay(t, text, fmt.Sprintf("every one of the %d answers was 200 %q", 2*n, helloBody))
}
