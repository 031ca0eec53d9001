package bench

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/testutil"
)

// needTornado returns the real Tornado with its scripts written, or skips the test.
func needTornado(t *testing.T) *Tornado {
	t.Helper()
	tn, err := FindTornado()
	if err != nil {
		t.Skipf("%v (CI installs it)", err)
	}
	if err := tn.WriteScripts(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		dir := tn.dir
		if err := tn.Close(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Close left the scripts' directory %s: %v", dir, err)
		}
	})
	return tn
}

// startTornado starts one of the scripts as the bench would, unpinned.
func startTornado(t *testing.T, tn *Tornado, id string) *Proc {
	t.Helper()
	argv, err := tn.Command(id)
	if err != nil {
		t.Fatal(err)
	}
	p, err := StartCommand(id, argv, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// stopQuietly stops p and checks it exited with status 0 on SIGTERM, having written nothing on
// standard error but lines containing one of expected.
func stopQuietly(t *testing.T, p *Proc, expected ...string) {
	t.Helper()
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v (the script should exit 0 on SIGTERM)", err)
	}
	for _, l := range p.stderr.Tail() {
		if !slices.ContainsFunc(expected, func(e string) bool { return strings.Contains(l, e) }) {
			t.Errorf("%s said on standard error: %q", p.ID, p.stderr.Tail())
			break
		}
	}
}

func TestFindTornadoMissing(t *testing.T) {
	saved := pythonCandidates
	defer func() { pythonCandidates = saved }()
	pythonCandidates = []string{"/nonexistent/python3", "false"}
	_, err := FindTornado()
	if !errors.Is(err, ErrNoTornado) || !strings.Contains(err.Error(), "/nonexistent/python3") || !strings.Contains(err.Error(), "apt-get install python3-tornado") {
		t.Errorf("error %v, want ErrNoTornado saying what was tried and how to install it", err)
	}
}

// dialEcho opens an echo connection to p that must be done within serveTimeout.
func dialEcho(t *testing.T, p *Proc) *echoclient.Conn {
	t.Helper()
	c, err := echoclient.Dial(p.Addr, dialTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(serveTimeout))
	return c
}

// echoes sends lines on c and checks each comes back.
func echoes(t *testing.T, c *echoclient.Conn, lines ...string) {
	t.Helper()
	if err := c.Send([]byte(strings.Join(lines, ""))); err != nil {
		t.Fatal(err)
	}
	for _, want := range lines {
		if got, err := c.ReadLine(); string(got) != want || err != nil {
			t.Errorf("echo %q, %v; want %q", got, err, want)
		}
	}
}

// The echo script speaks the echo protocol, lines back in order on each connection, and exits 0
// on SIGTERM with connections open, quietly.
func TestTornadoEchoScript(t *testing.T) {
	testutil.CheckLeaks(t)
	tn := needTornado(t)
	t.Logf("%s", tn)
	p := startTornado(t, tn, TornadoEcho)
	defer p.Stop()
	if !strings.HasPrefix(p.Addr, "127.0.0.1:") || strings.HasSuffix(p.Addr, ":0") {
		t.Errorf("Addr = %q, want the real loopback port", p.Addr)
	}
	a, b := dialEcho(t, p), dialEcho(t, p)
	echoes(t, a, "hello\n", "world\n")
	echoes(t, b, "other\n")
	echoes(t, a, "again\n")
	stopQuietly(t, p)
}

// A line over 64 KiB closes its connection (max_buffer_size: Tornado logs "Reached maximum read
// buffer size"), and only that one.
func TestTornadoEchoLineLimit(t *testing.T) {
	testutil.CheckLeaks(t)
	tn := needTornado(t)
	p := startTornado(t, tn, TornadoEcho)
	defer p.Stop()
	a, b := dialEcho(t, p), dialEcho(t, p)
	if err := b.Send([]byte(strings.Repeat("x", 64<<10+10))); err != nil {
		t.Fatal(err)
	}
	if got, err := b.ReadToEOF(); len(got) != 0 || err != nil {
		t.Errorf("after an over-long line: read %d bytes, %v; want the connection closed", len(got), err)
	}
	echoes(t, a, "still here\n")
	deadline := time.Now().Add(serveTimeout)
	for !strings.Contains(strings.Join(p.stderr.Tail(), "\n"), "maximum read buffer size") {
		if time.Now().After(deadline) {
			t.Fatalf("tornado/echo did not log its buffer limit; its standard error: %q", p.stderr.Tail())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// The helloworld script answers GET / with Hello, world, twice on one keep-alive connection,
// and exits 0 on SIGTERM with that connection still open.
func TestTornadoHTTPScript(t *testing.T) {
	testutil.CheckLeaks(t)
	tn := needTornado(t)
	p := startTornado(t, tn, TornadoHTTP)
	defer p.Stop()
	checkHelloWorldTwice(t, p.Addr)
	stopQuietly(t, p)
}

// A plan with the real Tornado where it is missing: its rows are left out, the rest runs, and
// the tables say what was not measured and why.
func TestRunSkipsMissingTornado(t *testing.T) {
	needChapters(t)
	testutil.CheckLeaks(t)
	saved := pythonCandidates
	defer func() { pythonCandidates = saved }()
	pythonCandidates = []string{"/nonexistent/python3"}

	plan := Plan{{"ch00/net", []Scenario{PingPong(1)}}, {TornadoEcho, []Scenario{PingPong(1)}}}
	timing := Timing{WarmUp: 10 * time.Millisecond, PingPong: 100 * time.Millisecond}
	var progress strings.Builder
	rep, err := Run(plan, Options{Exe: chaptersBinary, Timing: timing, Quick: true, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Server != "ch00/net" || len(rep.Plan) != 1 {
		t.Errorf("results %+v, plan %+v: want ch00/net's only", rep.Results, rep.Plan)
	}
	if len(rep.Skipped) != 1 || !strings.HasPrefix(rep.Skipped[0], TornadoEcho+": ") || !strings.Contains(progress.String(), "skipping "+TornadoEcho) {
		t.Errorf("skipped %q, progress:\n%s", rep.Skipped, progress.String())
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "not measured: "+TornadoEcho) {
		t.Errorf("the Markdown does not say Tornado was not measured:\n%s", md.String())
	}
}

// The real Tornado through Run: echo ping-pong and idle connections on tornado/echo, and the
// helloworld with the bench's client (which checks every body), each recorded with its version.
func TestRunTornado(t *testing.T) {
	needChapters(t)
	testutil.CheckLeaks(t)
	needTornado(t) // skips where missing; Run finds it itself
	plan := Plan{
		{TornadoEcho, []Scenario{PingPong(2), Idle(20)}},
		{TornadoHTTP, []Scenario{HTTP(2)}},
	}
	timing := Timing{WarmUp: 50 * time.Millisecond, PingPong: 200 * time.Millisecond}
	var progress strings.Builder
	rep, err := Run(plan, Options{Exe: chaptersBinary, Timing: timing, Quick: true, Pin: true, Progress: &progress, HTTPClient: HTTPClientBench})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(progress.String())
	if len(rep.Summary) != 3 {
		t.Fatalf("%d results, want 3", len(rep.Summary))
	}
	for _, r := range rep.Summary {
		if !r.OK() || r.Stop != "" || !strings.HasPrefix(r.External, "Tornado ") {
			t.Errorf("%s %s: died %q, error %q, stop %q, external %q", r.Server, r.Scenario.Name(), r.Died, r.Error, r.Stop, r.External)
		}
	}
	if p := rep.Summary[0].PingPong; p == nil || p.Messages == 0 || p.Mismatches != 0 {
		t.Errorf("ping-pong %+v", p)
	}
	if i := rep.Summary[1].Idle; i == nil || i.Served != 20 || i.Threads < 1 {
		t.Errorf("idle %+v", i)
	}
	if h := rep.Summary[2].HTTP; h == nil || h.Requests == 0 || h.Mismatches+h.Non2xx+h.SocketErrors != 0 {
		t.Errorf("http %+v", h)
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), TornadoHTTP+": Tornado ") {
		t.Errorf("the Markdown does not say which Tornado ran:\n%s", md.String())
	}
}
