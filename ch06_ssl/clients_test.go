// Real clients against the TLS servers: Go's net/http always; openssl s_client (which also sends
// a KeyUpdate), curl --insecure, Python's ssl module and sslscan where installed (skipped with a
// message where not; CI installs them).

package ssl

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
	"tornadotcp/internal/testutil"
)

// httpsServer serves Tornado's helloworld over TLS.
func httpsServer(t *testing.T, o Options) string {
	addr, _ := serve(t, func(loop *ioloop.IOLoop, logs *testutil.LogBuffer) (server, error) {
		o.Logger = logs.Logger()
		return NewHTTPServer(nil, o, tcpserver.WithIOLoop(loop))
	})
	return addr
}

func TestHTTPSNetHTTPClient(t *testing.T) {
	testutil.CheckLeaks(t)
	o, pool := pair(t)
	addr := httpsServer(t, o)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	for range 3 { // keep-alive: the same connection each time
		resp, err := client.Get("https://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "Hello, world" || err != nil || resp.TLS == nil {
			t.Fatalf("GET /: %d %q %v", resp.StatusCode, body, err)
		}
	}
}

// tool skips the test unless name is installed.
func tool(t *testing.T, name string) string {
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (CI installs it): %v", name, err)
	}
	return path
}

// run runs a command with input and a deadline, and returns its standard output.
func run(t *testing.T, input string, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(input)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// openssl s_client echoes lines; a line "K" makes it send a KeyUpdate asking for the server's
// (answered from inside Read on the loop), and the lines after it still come back. It runs
// interactively: a line, its echo, the next; "Q" quits.
func TestOpenSSLClient(t *testing.T) {
	openssl := tool(t, "openssl")
	testutil.CheckLeaks(t)
	o, _ := pair(t)
	addr, logs := echoServer(t, o)
	for _, v := range []string{"-tls1_3", "-tls1_2"} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, openssl, "s_client", "-connect", addr, "-servername", "localhost", v, "-brief")
		in, _ := cmd.StdinPipe()
		outPipe, _ := cmd.StdoutPipe()
		errPipe, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// s_client reads its input in chunks and takes a chunk that starts with K as the
		// command: the next line may go only once it says KEYUPDATE.
		keyUpdated := make(chan struct{}, 1)
		stderrDone := make(chan string)
		go func() {
			var all strings.Builder
			sc := bufio.NewScanner(errPipe)
			for sc.Scan() {
				all.WriteString(sc.Text() + "\n")
				if sc.Text() == "KEYUPDATE" {
					keyUpdated <- struct{}{}
				}
			}
			stderrDone <- all.String()
		}()
		r := bufio.NewReader(outPipe)
		lines := []string{"first line\n", "K\n", "after the key update\n"}
		if v == "-tls1_2" {
			lines = []string{"first line\n", "second line\n"} // TLS 1.2 has no KeyUpdate
		}
		for _, line := range lines {
			io.WriteString(in, line)
			if line == "K\n" {
				select {
				case <-keyUpdated:
				case <-ctx.Done():
					t.Errorf("openssl s_client sent no KeyUpdate")
				}
				continue
			}
			got, err := r.ReadString('\n')
			if got != line {
				t.Errorf("openssl s_client %s: echo of %q: %q, %v\nserver: %s", v, line, got, err, logs)
				break
			}
		}
		io.WriteString(in, "Q\n")
		in.Close()
		io.Copy(io.Discard, r)
		if stderr := <-stderrDone; t.Failed() {
			t.Logf("openssl s_client %s said:\n%s", v, stderr)
		}
		cmd.Wait()
		cancel()
	}
	if s := logs.String(); s != "" {
		t.Errorf("logs: %s", s)
	}
}

func TestCurlInsecure(t *testing.T) {
	curl := tool(t, "curl")
	testutil.CheckLeaks(t)
	o, _ := pair(t)
	addr := httpsServer(t, o)
	if out := run(t, "", curl, "--silent", "--show-error", "--insecure", "https://"+addr+"/"); out != "Hello, world" {
		t.Errorf("curl answered %q", out)
	}
}

const pythonClient = `
import socket, ssl, sys
host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=cafile)
with socket.create_connection((host, port), timeout=30) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"from python\n")
        got = b""
        while not got.endswith(b"\n"):
            chunk = s.recv(100)
            if not chunk:
                break
            got += chunk
        sys.stdout.write(s.version() + " " + got.decode())
`

func TestPythonSSLClient(t *testing.T) {
	python := tool(t, "python3")
	testutil.CheckLeaks(t)
	o, _ := pair(t)
	addr, _ := echoServer(t, o)
	host, port, _ := strings.Cut(addr, ":")
	out := run(t, "", python, "-c", pythonClient, host, port, o.CertFile)
	if out != "TLSv1.3 from python\n" {
		t.Errorf("python's ssl module got %q", out)
	}
}

// sslscan finds no protocol below TLS 1.2 and no weak cipher on the default options.
func TestSSLScan(t *testing.T) {
	sslscan := tool(t, "sslscan")
	testutil.CheckLeaks(t)
	o, _ := pair(t)
	addr, _ := echoServer(t, o)
	out := run(t, "", sslscan, "--no-colour", addr)
	for _, old := range []string{"SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"} {
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), old) && strings.Contains(line, "enabled") &&
				!strings.Contains(line, "disabled") {
				t.Errorf("sslscan: %s", line)
			}
		}
	}
	for _, weak := range []string{"RC4", "DES", "NULL", "EXP", "MD5", "anon"} {
		for _, line := range strings.Split(out, "\n") {
			if (strings.HasPrefix(line, "Preferred") || strings.HasPrefix(line, "Accepted")) && strings.Contains(line, weak) {
				t.Errorf("sslscan found a weak cipher: %s", line)
			}
		}
	}
	if !strings.Contains(out, "Accepted") && !strings.Contains(out, "Preferred") {
		t.Errorf("sslscan saw no cipher at all:\n%s", out)
	}
}
