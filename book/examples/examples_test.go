// The examples are programs a reader copies, so this builds each one with `go build`, runs it
// as a process of its own on an ephemeral loopback port, and talks to it as a reader would.

package examples_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/selfsigned"
	"tornadotcp/internal/testutil"
)

// build builds the example in dir (a directory under book/examples) and returns the program.
func build(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), dir)
	if out, err := exec.Command("go", "build", "-o", bin, "./"+dir).CombinedOutput(); err != nil {
		t.Fatalf("go build ./%s: %v\n%s", dir, err, out)
	}
	return bin
}

// start builds the example in dir, runs it with -port 0 on 127.0.0.1 and the extra arguments,
// and returns the address its first line of output names. The process is killed when the test
// ends.
func start(t *testing.T, dir string, args ...string) string {
	t.Helper()
	bin := build(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, bin, append([]string{"-port", "0", "-address", "127.0.0.1"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait() // killed: the error says so, and is the expected end
		cancel()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("%s printed no first line: %v", dir, err)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("%s's first line is %q, want \"listening on 127.0.0.1:PORT\"", dir, line)
	}
	return addr
}

func TestHelloWorld(t *testing.T) {
	testutil.CheckLeaks(t)
	addr := start(t, "helloworld")
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for _, c := range []struct {
		path   string
		status int
		body   string
	}{
		{"/", 200, "Hello, world"},
		{"/nowhere", 404, ""},
	} {
		resp, err := client.Get("http://" + addr + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != c.status || (c.body != "" && string(body) != c.body) {
			t.Errorf("GET %s: %d %q, want %d %q", c.path, resp.StatusCode, body, c.status, c.body)
		}
	}
}

func TestEcho(t *testing.T) {
	testutil.CheckLeaks(t)
	addr := start(t, "echo")
	a, b := testutil.Dial(t, addr), testutil.Dial(t, addr)
	testutil.Echo(t, a, "hello\n")
	testutil.Echo(t, b, "from another client\n")
	testutil.Echo(t, a, "world\n")
	// Many lines in one send come back whole and in order.
	data := testutil.Lines(1000, 64)
	if got := testutil.SendAndReadAll(t, b, data); string(got) != string(data) {
		t.Errorf("echoed %d bytes of %d, or out of order", len(got), len(data))
	}
}

// TestTLS runs the TLS echo server with a pair made for the test, and talks to it as a client
// that verifies the certificate (the pair's certificate is its own root); without -certfile it
// refuses to start, with Tornado's message.
func TestTLS(t *testing.T) {
	testutil.CheckLeaks(t)
	cert, key, err := selfsigned.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	certPEM, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(certPEM) {
		t.Fatal("the test's certificate does not parse")
	}
	addr := start(t, "tls", "-certfile", cert, "-keyfile", key)
	cfg := &tls.Config{RootCAs: roots, ServerName: "localhost"}
	a, err := echoclient.DialTLS(addr, cfg, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := echoclient.DialTLS(addr, cfg, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.SetDeadline(time.Now().Add(10 * time.Second))
	b.SetDeadline(time.Now().Add(10 * time.Second))
	testutil.Echo(t, a, "hello over TLS\n")
	testutil.Echo(t, b, "from another client\n")
	data := testutil.Lines(1000, 64)
	if got := testutil.SendAndReadAll(t, a, data); string(got) != string(data) {
		t.Errorf("echoed %d bytes of %d, or out of order", len(got), len(data))
	}

	out, err := exec.Command(build(t, "tls"), "-port", "0", "-address", "127.0.0.1").CombinedOutput()
	if err == nil || !strings.Contains(string(out), `missing key "certfile" in ssl_options`) {
		t.Errorf("without -certfile: %v, %q; want an exit with Tornado's message", err, out)
	}
}
