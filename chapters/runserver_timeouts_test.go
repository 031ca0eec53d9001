// The timeout flags of `chapters run`: refused by the servers that have no such timeout, and
// passed to those that do.

package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// A timeout given to a server without it is a usage error, said in one line, before anything
// listens.
func TestRunTimeoutNotTaken(t *testing.T) {
	for _, args := range [][]string{
		{"run", "ch01/threaded", "-idle-timeout", "1s"},
		{"run", "ch04/echo", "-header-timeout", "1s"},
		{"run", "ch03/epoll", "-body-timeout", "-1s"},
	} {
		t.Run(strings.Join(args[1:], " "), func(t *testing.T) {
			testutil.CheckLeaks(t)
			code, stdout, stderr := runInProcess(t, append(args, "-addr", "127.0.0.1:0")...)
			if code != 2 || stdout != "" {
				t.Errorf("exit status %d, stdout %q; want 2 and nothing", code, stdout)
			}
			oneLine(t, args, stderr)
			if !strings.Contains(stderr, args[1]) || !strings.Contains(stderr, "timeout") {
				t.Errorf("stderr %q does not say which server lacks which timeout", stderr)
			}
		})
	}
}

// The flags reach the servers: ch04/http closes a client that sends no head within
// -header-timeout, ch04/echo and ch03/epoll one that sends nothing within -idle-timeout; each
// run still stops with status 0.
func TestRunTimeoutFlags(t *testing.T) {
	const limit = 200 * time.Millisecond
	for _, tt := range []struct{ id, flag string }{
		{"ch04/http", "-header-timeout"},
		{"ch04/echo", "-idle-timeout"},
		{"ch03/epoll", "-idle-timeout"},
	} {
		t.Run(tt.id, func(t *testing.T) {
			testutil.CheckLeaks(t)
			c := startRun(t, "run", tt.id, tt.flag, limit.String(), "-addr", "127.0.0.1:0")
			start := time.Now()
			silent, err := net.DialTimeout("tcp", c.addr, runTimeout)
			if err != nil {
				t.Fatal(err)
			}
			defer silent.Close()
			silent.SetDeadline(time.Now().Add(runTimeout))
			rest, err := io.ReadAll(silent)
			if after := time.Since(start); len(rest) != 0 || err != nil && !errors.Is(err, syscall.ECONNRESET) || after < limit {
				t.Errorf("a silent client: %q, %v after %v; want the close after %v", rest, err, after, limit)
			}
			c.stopWith(t, syscall.SIGTERM)
		})
	}
}

// Slowloris at the descriptor limit: ch04/http in a process limited to 64 descriptors, 80
// connections that send half a request head and stop, and probes: a fresh client's GET / every
// few hundred milliseconds. Without a header timeout the slowloris connections hold every
// descriptor and the backlog, and no probe is answered; with one, they are closed at the
// timeout and a probe is answered after it.
func TestRunSlowlorisUnderDescriptorLimit(t *testing.T) {
	const limit, patience = time.Second, 4 * time.Second
	for _, tt := range []struct {
		name, timeout string
		answered      bool
	}{
		{"no header timeout", "-1s", false},
		{"header timeout 1s", limit.String(), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			// ulimit -n sets the hard limit too, so the Go runtime cannot raise it again at startup.
			limited := []string{"sh", "-c", `ulimit -n 64 && exec "$0" "$@"`}
			c := startRunVia(t, limited, "run", "ch04/http", "-header-timeout", tt.timeout, "-addr", "127.0.0.1:0")
			start := time.Now()
			for range 80 {
				conn, err := net.DialTimeout("tcp", c.addr, runTimeout)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { conn.Close() })
				conn.Write([]byte("GET / HTTP/1.1\r\nHost: slowloris\r\n"))
			}
			answeredAt, probes := probeUntil(c.addr, start.Add(patience))
			if answeredAt.IsZero() {
				t.Logf("%d probes in %v, none answered", probes, patience)
			} else {
				t.Logf("%d probes; the first answered %v after the slowloris began", probes, answeredAt.Sub(start).Round(time.Millisecond))
			}
			switch {
			case tt.answered && answeredAt.IsZero():
				t.Errorf("no probe was answered within %v, with a %v header timeout", patience, limit)
			case tt.answered && answeredAt.Sub(start) < limit:
				t.Errorf("a probe was answered after %v, before the timeout freed a descriptor", answeredAt.Sub(start))
			case !tt.answered && !answeredAt.IsZero():
				t.Errorf("a probe was answered after %v with 80 slowloris connections and no timeout", answeredAt.Sub(start))
			}
			c.stopWith(t, syscall.SIGTERM)
		})
	}
}

// probeUntil sends GET / to addr, each on a new connection with half a second to answer, at
// most four a second, until one is answered 200 or the deadline passes; it returns when, or the
// zero time, and how many it sent.
func probeUntil(addr string, deadline time.Time) (time.Time, int) {
	client := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	pace := time.NewTicker(250 * time.Millisecond) // a probe refused at once is not repeated at once
	defer pace.Stop()
	probes := 0
	for ; time.Now().Before(deadline); <-pace.C {
		probes++
		resp, err := client.Get("http://" + addr + "/")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			return time.Now(), probes
		}
	}
	return time.Time{}, probes
}
