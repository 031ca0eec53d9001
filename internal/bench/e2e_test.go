package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// chaptersBinary is the real `chapters` command, built once for the tests that start servers
// the way the benchmark does. Empty if it could not be built (buildErr says why).
var chaptersBinary, buildErr = "", error(nil)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bench-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	chaptersBinary, buildErr = testutil.BuildChapters(dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needChapters(t *testing.T) {
	t.Helper()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("the benchmarks read /proc, which this system does not have")
	}
}

func TestProcStartStop(t *testing.T) {
	needChapters(t)
	testutil.CheckLeaks(t)
	p, err := Start(chaptersBinary, "ch00/net", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Addr, "127.0.0.1:") || strings.HasSuffix(p.Addr, ":0") {
		t.Errorf("Addr = %q, want the real loopback port", p.Addr)
	}
	s, err := p.Sample()
	if err != nil || s.RSSKiB == 0 || s.Threads == 0 {
		t.Errorf("Sample = %+v, %v", s, err)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v (SIGTERM should end `chapters run` with status 0)", err)
	}
	if why, died := p.Died(); died {
		t.Errorf("a server stopped by Stop counts as died: %s", why)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestProcStartFailureSaysWhy(t *testing.T) {
	needChapters(t)
	testutil.CheckLeaks(t)
	_, err := Start(chaptersBinary, "ch99/nonsense", 0, nil)
	if err == nil || !strings.Contains(err.Error(), "unknown server id") {
		t.Errorf("Start(unknown id) = %v, want the server's own message", err)
	}
}

func TestPinning(t *testing.T) {
	needChapters(t)
	if runtime.GOOS != "linux" {
		t.Skip("CPU affinity is set only on Linux")
	}
	testutil.CheckLeaks(t)
	before := allowedCPUs(t, "self")
	pin, err := Pin()
	if err != nil {
		t.Fatal(err)
	}
	if !pin.Applied {
		if runtime.NumCPU() >= 2 {
			t.Fatalf("not pinned on %d CPUs: %s", runtime.NumCPU(), pin.Note)
		}
		if !strings.Contains(pin.Note, "one CPU") {
			t.Errorf("Note %q does not say why pinning was skipped", pin.Note)
		}
		return
	}
	defer pin.Restore()
	p, err := Start(chaptersBinary, "ch00/net", 0, pin)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	if got, want := allowedCPUs(t, fmt.Sprint(p.PID)), fmt.Sprint(pin.ServerCPU); got != want {
		t.Errorf("server may run on CPUs %s, want %s", got, want)
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		if got, want := allowedCPUs(t, "self/task/"+task.Name()), fmt.Sprint(pin.ClientCPU); got != want {
			t.Errorf("client thread %s may run on CPUs %s, want %s", task.Name(), got, want)
		}
	}
	p.Stop()
	if err := pin.Restore(); err != nil {
		t.Fatal(err)
	}
	if got := allowedCPUs(t, "self"); got != before {
		t.Errorf("after Restore this process may run on %s, want %s again", got, before)
	}
}

// allowedCPUs is the Cpus_allowed_list of /proc/WHICH/status.
func allowedCPUs(t *testing.T, which string) string {
	t.Helper()
	data, err := os.ReadFile("/proc/" + which + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("/proc/%s/status has no Cpus_allowed_list", which)
	return ""
}

// TestRunEndToEnd runs a tiny plan against real server processes: every kind of scenario on the
// baseline, and chapter 1's threaded server dying of a lowered thread limit.
func TestRunEndToEnd(t *testing.T) {
	needChapters(t)
	testutil.CheckLeaks(t)
	plan := Plan{
		{"ch00/net", []Scenario{PingPong(1), Idle(10), IdleCPU(), WatchCost(10)}},
		{"ch01/threaded", []Scenario{Idle(200).WithMaxThreads(30)}},
	}
	timing := Timing{WarmUp: 50 * time.Millisecond, PingPong: 200 * time.Millisecond, IdleCPU: 200 * time.Millisecond}
	var progress strings.Builder
	rep, err := Run(plan, Options{Exe: chaptersBinary, Timing: timing, Quick: true, Rounds: 1, Pin: true, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(progress.String())
	if len(rep.Results) != 5 || len(rep.Summary) != 5 {
		t.Fatalf("%d results, %d summary rows; want 5 of each", len(rep.Results), len(rep.Summary))
	}
	m := rep.Machine
	if m.CPUs < 1 || m.GoVersion == "" || m.Date == "" || m.ClockTicks != 100 || m.Pinning == nil || m.Pinning.Applied != (runtime.NumCPU() >= 2) {
		t.Errorf("machine = %+v, pinning %+v", m, m.Pinning)
	}

	byName := map[string]Result{}
	for _, r := range rep.Summary {
		byName[r.Server+" "+r.Scenario.Name()] = r
		if r.Server == "ch00/net" && !r.OK() {
			t.Errorf("%s %s: %s%s", r.Server, r.Scenario.Name(), r.Died, r.Error)
		}
	}
	if p := byName["ch00/net pingpong(1)"].PingPong; p == nil || p.Messages == 0 || p.Mismatches != 0 || p.P50Micros <= 0 || p.P99Micros < p.P50Micros || p.CPUSeconds < 0 {
		t.Errorf("ping-pong = %+v", p)
	}
	if i := byName["ch00/net idle(10)"].Idle; i == nil || i.Served != 10 || i.Threads <= 0 || i.RSSAfterKiB <= 0 {
		t.Errorf("idle = %+v", i)
	}
	if c := byName["ch00/net idlecpu(100)"].IdleCPU; c == nil || c.Conns != 100 || c.CPUPerWallSecond > 0.5 {
		t.Errorf("idle CPU = %+v: the net server should sleep while its connections do", c)
	}
	if p := byName["ch00/net watchcost(10)"].PingPong; p == nil || p.IdleConns != 10 || p.Conns != 1 || p.Messages == 0 {
		t.Errorf("watch cost = %+v", p)
	}
	dead := byName["ch01/threaded idle(200) max-threads=30"]
	if !strings.Contains(dead.Died, "thread") || dead.Idle == nil || dead.Idle.Served >= 200 {
		t.Errorf("threaded at 200 connections with 30 threads: died %q, idle %+v; want a death by thread exhaustion", dead.Died, dead.Idle)
	}

	dir := t.TempDir()
	if err := WriteFiles(dir, rep); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bench.json", "bench.md", "idle.md", "idlecpu.md", "pingpong.md", "watchcost.md", "idle-rss.svg", "pingpong-cpu.svg"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("bench.json: %v", err)
	}
	if len(back.Results) != 5 || back.Machine.Pinning == nil || !back.Quick {
		t.Errorf("bench.json does not round-trip: %d results, pinning %v, quick %v", len(back.Results), back.Machine.Pinning, back.Quick)
	}
	idle, err := os.ReadFile(filepath.Join(dir, "idle.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(idle), "| ch01/threaded ") || !strings.Contains(string(idle), "died: ") {
		t.Errorf("idle.md does not show the death:\n%s", idle)
	}
}
