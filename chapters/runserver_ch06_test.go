package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"

	"tornadotcp/internal/proctree"
	"tornadotcp/internal/testutil"
)

// `chapters run ch06/https -procs 2`, issue 11's complete TCPServer: chapter 5's form 2 with
// ssl options. Go's clients (crypto/tls requests whose server side is looked up in /proc, and
// net/http's) and curl, where installed, are answered, by both children, one
// certificate made once by the parent; Ctrl-C (SIGINT) stops them all, exit status 0, and the
// pair is removed.
func TestRunCh06HTTPSProcs(t *testing.T) {
	c := startRun(t, "run", "ch06/https", "-procs", "2", "-addr", "127.0.0.1:0")
	var children []int
	testutil.WaitFor(t, "two children", func() bool {
		var err error
		children, err = proctree.Children(c.cmd.Process.Pid)
		return err == nil && len(children) == 2
	})
	// Connections, one at a time, until each child has served one: on one shared socket the
	// kernel may give several in a row to the same child, and a child still starting on a
	// loaded machine gets none, so this is bounded in time.
	served := map[int]int{}
	for deadline := time.Now().Add(time.Minute); len(served) < 2 && time.Now().Before(deadline); {
		served[httpsHolder(t, c.addr, children)]++
	}
	t.Logf("connections served by pid: %v", served)
	if len(served) != 2 {
		t.Errorf("connections for a minute were served by %v; want both children %v", served, children)
	}
	client := &http.Client{Timeout: runTimeout, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, // the demo pair is self-signed
		DisableKeepAlives: true,
	}}
	resp, err := client.Get("https://" + c.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "Hello, world" {
		t.Errorf("net/http GET https://%s/: %d %q", c.addr, resp.StatusCode, body)
	}
	if _, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command("curl", "--silent", "--show-error", "--insecure", "--max-time", "30", "https://"+c.addr+"/").CombinedOutput()
		if err != nil || string(out) != "Hello, world" {
			t.Errorf("curl --insecure https://%s/: %q, %v", c.addr, out, err)
		}
	} else {
		t.Log("curl not installed: the curl request is skipped")
	}
	c.stopWith(t, syscall.SIGINT) // standard error is read only once the command has exited
	for _, pid := range children {
		if proctree.Alive(pid) {
			t.Errorf("child %d outlived its parent's exit", pid)
		}
	}
	stderr := c.stderr.String()
	m := certPath.FindAllStringSubmatch(stderr, -1)
	if len(m) != 1 {
		t.Fatalf("want one self-signed pair, made by the parent; stderr:\n%s", stderr)
	}
	if _, err := os.Stat(m[0][1]); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the self-signed certificate %s outlived the server: %v", m[0][1], err)
	}
}

// certPath finds, in what a ch06 server said on standard error, the self-signed pair it made.
var certPath = regexp.MustCompile(`made a self-signed certificate for .* and ::1: (\S+) \(key`)

// httpsHolder makes one HTTPS request on a new connection to addr, checks the answer, and
// returns which of children served it (found in /proc while the connection is open).
func httpsHolder(t *testing.T, addr string, children []int) int {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) // the demo pair is self-signed
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(runTimeout))
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "Hello, world" {
		t.Fatalf("GET /: %d %q", resp.StatusCode, body)
	}
	pid := proctree.HolderOf(conn, children)
	if pid == 0 {
		t.Fatalf("no child of %v holds the server's side of %v", children, conn.LocalAddr())
	}
	return pid
}
