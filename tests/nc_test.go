// A real client: netcat pipes two lines to every server and prints what comes back. It half-closes
// after its input (-N), so it also checks that echoes owed at EOF arrive and the server closes.

package tests

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tornadotcp/internal/catalog"
	"tornadotcp/internal/testutil"
)

const ncInput = "hello from nc\nsecond line\n"

func TestNetcat(t *testing.T) {
	nc, err := exec.LookPath("nc")
	if err != nil {
		t.Skip("nc is not installed (apt-get install netcat-openbsd; CI installs it)")
	}
	flags := ncHalfCloseFlags(t, nc)
	ref, err := catalog.Lookup("ch00/net")
	if err != nil {
		t.Fatal(err)
	}
	var refOut string
	for _, e := range echoEntries() {
		if e.TLS() {
			continue // nc speaks no TLS: TestSClient is its nc
		}
		t.Run(e.ID, func(t *testing.T) {
			testutil.CheckLeaks(t)
			if refOut == "" {
				refOut = runNetcat(t, nc, flags, ref)
				if refOut != ncInput {
					t.Fatalf("nc against %s printed %q, want %q", ref.ID, refOut, ncInput)
				}
			}
			if d := cmp.Diff(refOut, runNetcat(t, nc, flags, e)); d != "" {
				t.Errorf("nc's output from %s differs from %s's (-%s +%s):\n%s", e.ID, ref.ID, ref.ID, e.ID, d)
			}
		})
	}
}

// ncHalfCloseFlags finds how this netcat shuts down its write side once its input ends: -N for
// OpenBSD's (Debian's netcat-openbsd), or -q 1 for the traditional one (it quits a second after
// its input ends, time enough for the echoes on loopback).
func ncHalfCloseFlags(t *testing.T, nc string) []string {
	help, _ := exec.Command(nc, "-h").CombinedOutput() // some netcats exit non-zero after -h
	switch {
	case bytes.Contains(help, []byte("-N")):
		return []string{"-N"}
	case bytes.Contains(help, []byte("-q")):
		return []string{"-q", "1"}
	}
	t.Skipf("this nc (%s) has neither -N nor -q, so it cannot half-close: install netcat-openbsd", nc)
	return nil
}

// runNetcat starts e, pipes ncInput through nc to it and returns what nc printed.
func runNetcat(t *testing.T, nc string, flags []string, e catalog.Entry) string {
	t.Helper()
	srv := start(t, e)
	defer srv.stop(t)
	host, port, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, nc, append(flags, host, port)...)
	cmd.Stdin = strings.NewReader(ncInput)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nc %s against %s: %v (stderr: %q)", strings.Join(flags, " "), e.ID, err, stderr.String())
	}
	return string(out)
}

// sClientIdle is the idle timeout the TLS echo server is given for s_client, which never ends
// the connection itself: the server's end, with close_notify, is what makes it exit.
const sClientIdle = 500 * time.Millisecond

// TestSClient is TestNetcat for the TLS echo servers: openssl s_client pipes the same two lines
// and prints what comes back. At the end of its input s_client either closes at once, racing
// the echoes, or (-quiet implies -ign_eof) goes on reading; so the server is given an idle
// timeout, whose end sends close_notify, and s_client must then exit 0 having printed both lines.
func TestSClient(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed (apt-get install openssl; CI installs it)")
	}
	for _, e := range tlsEntries() {
		if isHTTP(e) {
			continue
		}
		t.Run(e.ID, func(t *testing.T) {
			testutil.CheckLeaks(t)
			srv := startWith(t, e, catalog.Options{IdleTimeout: sClientIdle})
			ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, openssl, "s_client", "-connect", srv.Addr(), "-quiet")
			cmd.Stdin = strings.NewReader(ncInput)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("openssl s_client against %s: %v (stderr: %q)", e.ID, err, stderr.String())
			}
			if string(out) != ncInput {
				t.Errorf("s_client printed %q, want %q (stderr: %q)", out, ncInput, stderr.String())
			}
		})
	}
}
