// Real HTTP clients against the catalog's ch04/http, the server `go run ./chapters run ch04/http`
// starts: curl, ApacheBench (ab) and wrk, each where installed (CI installs them all). An
// external test package, as the catalog imports this one.

package tcpserver_test

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/catalog"
	"tornadotcp/internal/testutil"
)

// clientTimeout bounds each client run.
const clientTimeout = 60 * time.Second

// startHTTP serves ch04/http on a free loopback port until the test ends, and checks that Stop
// then makes Serve return nil.
func startHTTP(t *testing.T) string {
	t.Helper()
	e, err := catalog.Lookup("ch04/http")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := e.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return srv.Addr()
}

// runClient runs a client program to completion and returns its standard output; it skips the
// test when the program is not installed.
func runClient(t *testing.T, install string, name string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install %s; CI installs it)", name, install)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// curl -i gets the helloworld answer with its head; with HTTP/1.1 and Connection: close, the
// answer says close and curl sees the server close (it would report an error otherwise).
func TestCurl(t *testing.T) {
	testutil.CheckLeaks(t)
	url := "http://" + startHTTP(t) + "/"
	out := runClient(t, "curl", "curl", "-sS", "-i", url)
	for _, want := range []string{"HTTP/1.1 200 OK\r\n", "Content-Length: 12\r\n", "Connection: keep-alive\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("curl -i printed no %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "\r\n\r\nHello, world") {
		t.Errorf("curl -i did not end with the body:\n%s", out)
	}

	out = runClient(t, "curl", "curl", "--http1.1", "-H", "Connection: close", "-sS", "-i", url)
	if !strings.Contains(out, "Connection: close\r\n") || !strings.HasSuffix(out, "Hello, world") {
		t.Errorf("curl with Connection: close:\n%s", out)
	}

	out = runClient(t, "curl", "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url+"missing")
	if out != "404" {
		t.Errorf("curl of a missing path: status %q, want 404", out)
	}
}

// ab with keep-alive (HTTP/1.0 and Connection: Keep-Alive): 200 requests over 4 connections,
// none failed, all kept alive.
func TestApacheBench(t *testing.T) {
	testutil.CheckLeaks(t)
	url := "http://" + startHTTP(t) + "/"
	out := runClient(t, "apache2-utils", "ab", "-q", "-n", "200", "-c", "4", "-k", url)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`Complete requests:\s+200\n`),
		regexp.MustCompile(`Failed requests:\s+0\n`),
		regexp.MustCompile(`Keep-Alive requests:\s+200\n`),
		regexp.MustCompile(`Document Length:\s+12 bytes\n`),
	} {
		if !want.MatchString(out) {
			t.Errorf("ab's report has no %q:\n%s", want, out)
		}
	}
}

// wrk for a second with 10 connections: requests answered, no socket errors, no non-2xx.
func TestWrk(t *testing.T) {
	testutil.CheckLeaks(t)
	url := "http://" + startHTTP(t) + "/"
	out := runClient(t, "wrk", "wrk", "-t1", "-c10", "-d1s", url)
	m := regexp.MustCompile(`(\d+) requests in`).FindStringSubmatch(out)
	if m == nil || m[1] == "0" {
		t.Errorf("wrk answered no requests:\n%s", out)
	}
	for _, bad := range []string{"Socket errors", "Non-2xx"} {
		if strings.Contains(out, bad) {
			t.Errorf("wrk reports %s:\n%s", bad, out)
		}
	}
	t.Logf("wrk -t1 -c10 -d1s against a test build (not a benchmark):\n%s", out)
}
