package bench

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// needC returns the C echo server, compiled, or skips the test where there is no C compiler.
func needC(t *testing.T) *CBuild {
	t.Helper()
	c, err := BuildC()
	if errors.Is(err, ErrNoCC) {
		t.Skipf("%v (CI's machine has gcc)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeRemoves(t, c, c.dir) })
	return c
}

// needGnet returns the gnet echo server, built, or skips the test where gnet's module cannot be
// had (no module proxy and not in the module cache).
func needGnet(t *testing.T) *GnetBuild {
	t.Helper()
	g, err := BuildGnet()
	if errors.Is(err, ErrNoGnet) {
		t.Skipf("%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeRemoves(t, g, g.dir) })
	return g
}

// closeRemoves closes p and checks it removed dir.
func closeRemoves(t *testing.T, p peer, dir string) {
	t.Helper()
	if err := p.Close(); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left %s: %v", dir, err)
	}
}

// startPeer starts server id of p as the bench would, unpinned, and stops it when the test ends.
func startPeer(t *testing.T, p peer, id string) *Proc {
	t.Helper()
	proc, err := p.start(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Stop() })
	if !strings.HasPrefix(proc.Addr, "127.0.0.1:") || strings.HasSuffix(proc.Addr, ":0") {
		t.Errorf("Addr = %q, want the real loopback port", proc.Addr)
	}
	return proc
}

// checkEchoProtocol holds a server to the echo protocol, then stops it and checks it exited
// with status 0 and said nothing on standard error but lines containing one of expected.
func checkEchoProtocol(t *testing.T, p *Proc, expected ...string) {
	t.Run("lines-split-across-writes", func(t *testing.T) {
		c := dialEcho(t, p)
		for _, part := range []string{"hel", "lo\nwor", "ld\n"} {
			if err := c.Send([]byte(part)); err != nil {
				t.Fatal(err)
			}
		}
		for _, want := range []string{"hello\n", "world\n"} {
			if got, err := c.ReadLine(); string(got) != want || err != nil {
				t.Errorf("echo %q, %v; want %q", got, err, want)
			}
		}
	})
	t.Run("lines-in-one-write", func(t *testing.T) {
		echoes(t, dialEcho(t, p), "one\n", "two\n", "three\n")
	})
	t.Run("partial-line-dropped-at-close", func(t *testing.T) {
		c := dialEcho(t, p)
		if err := c.Send([]byte("whole\npart")); err != nil {
			t.Fatal(err)
		}
		if err := c.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if got, err := c.ReadToEOF(); string(got) != "whole\n" || err != nil {
			t.Errorf("after half-close: %q, %v; want the whole line, then EOF", got, err)
		}
	})
	t.Run("half-close-gets-its-echoes", func(t *testing.T) {
		// A megabyte: more than the socket buffers hold, so the server keeps output the kernel
		// did not take and sends it on EPOLLOUT, while the client is still sending.
		data := testutil.Lines(16<<10, 64)
		if got := testutil.SendAndReadAll(t, dialEcho(t, p), data); string(got) != string(data) {
			t.Errorf("echoed %d bytes, want the %d sent, in order", len(got), len(data))
		}
	})
	t.Run("line-limit", func(t *testing.T) {
		a, b := dialEcho(t, p), dialEcho(t, p)
		longest := strings.Repeat("x", 64<<10) + "\n"
		echoes(t, a, longest)
		if err := b.Send([]byte("before\n" + strings.Repeat("y", 64<<10+10))); err != nil {
			t.Fatal(err)
		}
		if got, err := b.ReadToEOF(); string(got) != "before\n" || err != nil {
			t.Errorf("after an over-long line: %q, %v; want the line before it, then EOF", got, err)
		}
		echoes(t, a, "still here\n")
	})
	stopQuietly(t, p, expected...)
}

func TestCEchoProtocol(t *testing.T) {
	testutil.CheckLeaks(t)
	c := needC(t)
	t.Logf("%s", c)
	checkEchoProtocol(t, startPeer(t, c, CEpoll), "line longer than", "echo: stopping")
}

func TestGnetEchoProtocol(t *testing.T) {
	testutil.CheckLeaks(t)
	g := needGnet(t)
	t.Logf("%s", g)
	p := startPeer(t, g, GnetEcho)
	// gnet reads on while output waits, so a client may send far more than the socket buffers
	// hold before it reads a byte. At its EOF gnet closes the connection at once and sends what
	// is left without waiting; the server must make that last send wait, or the end is lost.
	t.Run("output-left-at-eof", func(t *testing.T) {
		c := dialEcho(t, p)
		data := testutil.Lines(512<<10, 64) // 32 MiB
		if err := c.Send(data); err != nil {
			t.Fatal(err)
		}
		if err := c.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if got, err := c.ReadToEOF(); string(got) != string(data) || err != nil {
			t.Errorf("echoed %d bytes, %v; want all %d sent, then EOF", len(got), err, len(data))
		}
	})
	checkEchoProtocol(t, p, "line longer than", "Launching gnet")
}

// The version the bench reports for gnet is the one its module requires.
func TestGnetVersionMatchesModule(t *testing.T) {
	src, err := gnetSource()
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(src + "/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mod), "github.com/panjf2000/gnet/v2 "+gnetVersion+"\n") {
		t.Errorf("gnetecho/go.mod does not require gnet %s:\n%s", gnetVersion, mod)
	}
}

// nginx answers GET / with Hello, world, twice on one keep-alive connection, from the one
// process the bench started, and exits 0 on SIGTERM.
func TestNginxHelloWorld(t *testing.T) {
	testutil.CheckLeaks(t)
	n := nginxForTest(t)
	t.Logf("%s", n)
	p := startPeer(t, n, NginxHTTP)
	s, err := p.Sample()
	if err != nil || s.Threads != 1 {
		t.Errorf("nginx's sample %+v, %v: want one process with one thread doing the work", s, err)
	}
	checkHelloWorldTwice(t, p.Addr)
	stopQuietly(t, p)
}

// StartListening reports a server that exits instead of listening, with its last words.
func TestStartListeningExited(t *testing.T) {
	testutil.CheckLeaks(t)
	_, err := StartListening("false", []string{"sh", "-c", "echo broken config >&2; exit 1"}, "127.0.0.1:1", nil)
	if !errors.Is(err, ErrNotListening) || !strings.Contains(err.Error(), "broken config") {
		t.Errorf("StartListening = %v, want ErrNotListening with the server's last words", err)
	}
}

// The peers through Run: ping-pong on the C floor and on gnet, the helloworld on nginx with
// the bench's client (which checks every body), each recorded with what ran it.
func TestRunPeers(t *testing.T) {
	needChapters(t)
	testutil.CheckLeaks(t)
	needC(t)
	needGnet(t)
	if _, err := FindNginx(); err != nil {
		t.Skipf("%v", err)
	}
	plan := Plan{
		{CEpoll, []Scenario{PingPong(2), Idle(20)}},
		{GnetEcho, []Scenario{PingPong(2)}},
		{NginxHTTP, []Scenario{HTTP(2)}},
	}
	timing := Timing{WarmUp: 50 * time.Millisecond, PingPong: 200 * time.Millisecond}
	var progress strings.Builder
	rep, err := Run(plan, Options{Exe: chaptersBinary, Timing: timing, Quick: true, Progress: &progress, HTTPClient: HTTPClientBench})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(progress.String())
	if len(rep.Summary) != 4 || len(rep.Skipped) != 0 {
		t.Fatalf("%d results, skipped %q; want 4 and none", len(rep.Summary), rep.Skipped)
	}
	for _, r := range rep.Summary {
		if !r.OK() || r.Stop != "" || r.External == "" {
			t.Errorf("%s %s: died %q, error %q, stop %q, external %q", r.Server, r.Scenario.Name(), r.Died, r.Error, r.Stop, r.External)
		}
		if p := r.PingPong; p != nil && (p.Messages == 0 || p.Mismatches != 0) {
			t.Errorf("%s ping-pong %+v", r.Server, p)
		}
	}
	if i := rep.Summary[1].Idle; i == nil || i.Served != 20 || i.Threads != 1 {
		t.Errorf("c/epoll idle %+v: want all 20 served on one thread", i)
	}
	if h := rep.Summary[3].HTTP; h == nil || h.Requests == 0 || h.Mismatches+h.Non2xx+h.SocketErrors != 0 {
		t.Errorf("nginx http %+v", h)
	}
}

// A plan with peers that cannot be prepared: their rows are left out, the rest runs, and the
// tables say what was not measured and why.
func TestRunSkipsMissingPeers(t *testing.T) {
	needChapters(t)
	testutil.CheckLeaks(t)
	t.Setenv("PATH", t.TempDir()) // no cc, no go, no nginx on it
	saved := nginxCandidates
	defer func() { nginxCandidates = saved }()
	nginxCandidates = []string{"nginx"}

	plan := Plan{{"ch00/net", []Scenario{PingPong(1)}}, {CEpoll, []Scenario{PingPong(1)}}, {GnetEcho, []Scenario{PingPong(1)}},
		{NginxHTTP, []Scenario{HTTP(1)}}}
	timing := Timing{WarmUp: 10 * time.Millisecond, PingPong: 100 * time.Millisecond}
	var progress strings.Builder
	rep, err := Run(plan, Options{Exe: chaptersBinary, Timing: timing, Quick: true, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Server != "ch00/net" || len(rep.Plan) != 1 {
		t.Errorf("results %+v, plan %+v: want ch00/net's only", rep.Results, rep.Plan)
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"not measured: " + CEpoll + ": " + ErrNoCC.Error(),
		"not measured: " + GnetEcho + ": " + ErrNoGnet.Error() + ": no go command",
		"not measured: " + NginxHTTP + ": " + ErrNoNginx.Error(),
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the Markdown does not say %q:\n%s", want, md.String())
		}
	}
}

// nginxForTest finds nginx and removes its files when the test ends; without nginx the test
// is skipped.
func nginxForTest(t *testing.T) *Nginx {
	t.Helper()
	n, err := FindNginx()
	if errors.Is(err, ErrNoNginx) {
		t.Skipf("%v (CI installs it)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeRemoves(t, n, n.dir) })
	return n
}
