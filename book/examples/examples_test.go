// The examples are programs a reader copies, so this builds each one with `go build`, runs it
// as a process of its own on an ephemeral loopback port, and talks to it as a reader would.

package examples_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// start builds the example in dir (a directory under book/examples), runs it with -port 0 on
// 127.0.0.1 and returns the address its first line of output names. The process is killed
// when the test ends.
func start(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), dir)
	if out, err := exec.Command("go", "build", "-o", bin, "./"+dir).CombinedOutput(); err != nil {
		t.Fatalf("go build ./%s: %v\n%s", dir, err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, bin, "-port", "0", "-address", "127.0.0.1")
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
