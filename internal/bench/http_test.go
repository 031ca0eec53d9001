package bench

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// TestHTTPEndToEnd runs a tiny HTTP scenario against ch00/http through the real chapters binary,
// pinned as `chapters bench` pins: with the bench's own client, then with wrk where installed.
// Each sees the helloworld answered, the server on the server CPU and the client on the other.
func TestHTTPEndToEnd(t *testing.T) {
	needChapters(t)
	testutil.CheckLeaks(t)
	clients := []string{HTTPClientBench}
	if _, err := exec.LookPath("wrk"); err == nil {
		clients = append(clients, HTTPClientWrk)
	} else {
		t.Log("wrk is not installed (apt-get install wrk; CI installs it): only the bench's own client is run")
	}
	for _, client := range clients {
		t.Run(client, func(t *testing.T) {
			plan := Plan{{"ch00/http", []Scenario{HTTP(4)}}}
			timing := Timing{WarmUp: 50 * time.Millisecond, PingPong: 300 * time.Millisecond}
			var progress strings.Builder
			rep, err := Run(plan, Options{Exe: chaptersBinary, Timing: timing, Quick: true, Rounds: 1, Pin: true, Progress: &progress, HTTPClient: client})
			if err != nil {
				t.Fatal(err)
			}
			t.Log(progress.String())
			if len(rep.Summary) != 1 {
				t.Fatalf("%d summary rows, want 1", len(rep.Summary))
			}
			r := rep.Summary[0]
			h := r.HTTP
			if !r.OK() || h == nil {
				t.Fatalf("result %+v: %s%s", r, r.Died, r.Error)
			}
			if h.Requests == 0 || h.PerSecond <= 0 || h.P50Micros <= 0 || h.P99Micros < h.P50Micros || h.CPUSeconds < 0 || h.Conns != 4 {
				t.Errorf("HTTP result %+v", h)
			}
			if h.SocketErrors+h.Non2xx+h.Mismatches != 0 {
				t.Errorf("%d socket errors, %d non-2xx, %d mismatches from net/http's helloworld", h.SocketErrors, h.Non2xx, h.Mismatches)
			}
			if want := map[string]string{HTTPClientBench: "bench", HTTPClientWrk: "wrk "}[client]; !strings.HasPrefix(h.Client, want) {
				t.Errorf("client %q, want %q...", h.Client, want)
			}
			if pin := rep.Machine.Pinning; pin.Applied {
				// wrk is this process's child, started on a thread pinned to the client CPU.
				if h.ServerCPUs != fmt.Sprint(pin.ServerCPU) || h.ClientCPUs != fmt.Sprint(pin.ClientCPU) {
					t.Errorf("server on CPUs %q, client on %q; want %d and %d", h.ServerCPUs, h.ClientCPUs, pin.ServerCPU, pin.ClientCPU)
				}
			}

			dir := t.TempDir()
			if err := WriteFiles(dir, rep); err != nil {
				t.Fatal(err)
			}
			table, err := os.ReadFile(filepath.Join(dir, "http.md"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(table), "| ch00/http ") || !strings.Contains(string(table), " ok ") {
				t.Errorf("http.md:\n%s", table)
			}
			if _, err := os.Stat(filepath.Join(dir, "http-rps.svg")); err != nil {
				t.Errorf("no chart: %v", err)
			}
		})
	}
}

// TestNetHTTPBaselineOnOneCore: ch00/http started pinned may run on the server CPU only, and the
// Go runtime, counting the CPUs it may use, gives it GOMAXPROCS 1: the issue's "net/http on one
// core". nethttp logs the value on standard error when it starts serving.
func TestNetHTTPBaselineOnOneCore(t *testing.T) {
	needChapters(t)
	if runtime.GOOS != "linux" {
		t.Skip("CPU affinity is set only on Linux")
	}
	testutil.CheckLeaks(t)
	pin, err := Pin()
	if err != nil {
		t.Fatal(err)
	}
	defer pin.Restore()
	if !pin.Applied {
		t.Skipf("not pinned: %s", pin.Note)
	}
	p, err := Start(chaptersBinary, "ch00/http", 0, pin)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	if cpus, err := cpusAllowed(p.PID); err != nil || cpus != fmt.Sprint(pin.ServerCPU) {
		t.Errorf("server may run on CPUs %q (%v), want %d", cpus, err, pin.ServerCPU)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !slices.ContainsFunc(p.stderr.Tail(), func(l string) bool { return strings.Contains(l, "GOMAXPROCS 1") }) {
		if time.Now().After(deadline) {
			t.Fatalf("ch00/http did not say GOMAXPROCS 1; its standard error: %q", p.stderr.Tail())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.Stop(); err != nil {
		t.Error(err)
	}
}

func TestChooseHTTPClient(t *testing.T) {
	if path, err := chooseHTTPClient(HTTPClientBench); path != "" || err != nil {
		t.Errorf("bench client: %q, %v", path, err)
	}
	if _, err := chooseHTTPClient("curl"); err == nil {
		t.Errorf("an unknown client was accepted")
	}
	wrk, lookErr := exec.LookPath("wrk")
	path, err := chooseHTTPClient(HTTPClientWrk)
	if lookErr != nil && err != ErrNoWrk || lookErr == nil && path != wrk {
		t.Errorf("wrk: %q, %v; installed at %q", path, err, wrk)
	}
	if path, _ := chooseHTTPClient(HTTPClientAuto); path != wrk {
		t.Errorf("automatic: %q, want wrk where installed (%q)", path, wrk)
	}
}

// httpResults are HTTP summary rows as a run makes them: two servers, one answering wrongly.
func httpResults() []Result {
	return []Result{
		{Server: "ch00/http", Scenario: HTTP(50), HTTP: &HTTPResult{Client: "wrk debian/4.1.0-3+b2 [epoll]", Conns: 50, Requests: 151800, Seconds: 3, PerSecond: 50600, P50Micros: 950, P99Micros: 2100, CPUMicrosPerRequest: 19.7}},
		{Server: "ch04/http", Scenario: HTTP(50), HTTP: &HTTPResult{Client: "bench", Conns: 50, PerSecond: 60000, P50Micros: 800, P99Micros: 1500, CPUMicrosPerRequest: 16.2, Mismatches: 3}},
		{Server: "tornado/http", Scenario: HTTP(50), Died: "exit status 1: Traceback"},
	}
}

func TestHTTPTable(t *testing.T) {
	tables := Tables(httpResults())
	if len(tables) != 1 || tables[0].Name != "http" {
		t.Fatalf("tables %+v, want only http", tables)
	}
	rows := tables[0].Rows
	want := [][]string{
		{"ch00/http", "50", "wrk", "50600", "950", "2100", "19.7", "0", "0", "0", "ok"},
		{"ch04/http", "50", "bench", "60000", "800", "1500", "16.2", "0", "0", "3", "WRONG ANSWERS"},
		{"tornado/http", "50", dash, dash, dash, dash, dash, dash, dash, dash, "died (note 1)"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("rows\n%q\nwant\n%q", rows, want)
	}
	md := tables[0].Markdown()
	if lines := strings.Split(strings.TrimSpace(md), "\n"); len(lines) != 5 || cells(lines[0]) != len(tables[0].Header) {
		t.Errorf("markdown:\n%s", md)
	}
}

func TestHTTPChart(t *testing.T) {
	var chart *Chart
	for _, c := range Charts(httpResults()) {
		if c.Name == "http-rps" {
			chart = &c
		}
	}
	if chart == nil {
		t.Fatal("no http-rps chart")
	}
	if !slices.Equal(chart.Series, []string{"ch00/http", "ch04/http", "tornado/http"}) || !slices.Equal(chart.Groups, []string{"50 connections"}) {
		t.Errorf("series %q, groups %q", chart.Series, chart.Groups)
	}
	if chart.Values[0][0] != 50600 || chart.Values[1][0] != 60000 || !math.IsNaN(chart.Values[2][0]) || chart.Notes[2][0] != "died" {
		t.Errorf("values %v, notes %q", chart.Values, chart.Notes)
	}
	if svg := string(chart.SVG()); !strings.Contains(svg, "requests per second") {
		t.Errorf("the chart does not say what it measures")
	}
}

// Of several rounds the median by requests per second is kept, and no wrong answer or socket
// error of any round is averaged away.
func TestSummariseHTTP(t *testing.T) {
	round := func(n int, rate float64, errs int64) Result {
		return Result{Server: "ch04/http", Scenario: HTTP(50), Round: n, HTTP: &HTTPResult{PerSecond: rate, SocketErrors: errs, Non2xx: 1}}
	}
	got := Summarise([]Result{round(1, 300, 1), round(2, 100, 0), round(3, 200, 2)})
	if len(got) != 1 || got[0].Round != 3 || got[0].HTTP.PerSecond != 200 || got[0].HTTP.SocketErrors != 3 || got[0].HTTP.Non2xx != 3 {
		t.Errorf("summary %+v, HTTP %+v; want round 3 with every round's errors", got, got[0].HTTP)
	}
}
