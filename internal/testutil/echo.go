// The client side of an echo test, shared by every chapter's server tests.

package testutil

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/echoclient"
)

// Dial connects a client to addr that gives up on any read or write after ten seconds, and
// closes it when the test ends.
func Dial(t testing.TB, addr string) *echoclient.Conn {
	t.Helper()
	c, err := echoclient.Dial(addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return c
}

// Echo sends line and fails the test unless it comes back unchanged.
func Echo(t testing.TB, c *echoclient.Conn, line string) {
	t.Helper()
	if err := c.Send([]byte(line)); err != nil {
		t.Fatalf("send %q: %v", line, err)
	}
	got, err := c.ReadLine()
	if err != nil || string(got) != line {
		t.Fatalf("echo of %q: got %q, %v", line, got, err)
	}
}

// Lines is n numbered lines, each width bytes with its '\n'.
func Lines(n, width int) []byte {
	var b bytes.Buffer
	for i := range n {
		prefix := fmt.Sprintf("line %d ", i)
		b.WriteString(prefix + strings.Repeat(".", width-len(prefix)-1) + "\n")
	}
	return b.Bytes()
}

// SendAndReadAll sends data from another goroutine (the server echoes while the client sends,
// and both sides' buffers are finite), half-closes, and returns everything read until the
// server closes.
func SendAndReadAll(t testing.TB, c *echoclient.Conn, data []byte) []byte {
	t.Helper()
	sent := make(chan error, 1)
	go func() {
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 7919)
			if err := c.Send(rest[:n]); err != nil {
				sent <- err
				return
			}
			rest = rest[n:]
		}
		sent <- c.CloseWrite()
	}()
	got, err := c.ReadToEOF()
	if err != nil {
		t.Fatalf("reading echoes: %v after %d bytes", err, len(got))
	}
	if err := <-sent; err != nil {
		t.Fatalf("sending: %v", err)
	}
	return got
}

// WaitFor polls cond until it holds, failing the test after ten seconds.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
