// Faults that only a timeout ends: slowloris heads and idle keep-alive connections on ch04/http
// and ch06/https, idle connections on every echo server whose loop has timers (chapter 3 on;
// chapter 2's loops have none). Each is run with a short timeout and checks what the client sees, and that the
// server goes on serving others. And the HTTP line endings real clients send.

package tests

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/catalog"
	"tornadotcp/internal/testutil"
)

// faultTimeout is the timeout the servers are given here: long enough that a loaded machine
// does not miss it by much, short enough to keep the suite fast.
const faultTimeout = 300 * time.Millisecond

// lookup finds id in the catalog.
func lookup(t *testing.T, id string) catalog.Entry {
	t.Helper()
	e, err := catalog.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// ending is how a connection the server closed ended: the bytes that came first, the error
// that ended the read (nil for EOF) and when, counted from when the client started.
type ending struct {
	got   int
	err   error
	after time.Duration
}

// slowloris sends a request head one byte per tick and never finishes it, reading meanwhile,
// until the server closes the connection. The read's deadline is the tick: no sleeps.
func slowloris(conn net.Conn, tick time.Duration, start time.Time) ending {
	head := []byte("GET / HTTP/1.1\r\nHost: slowloris\r\nX-Slow: ")
	if _, err := conn.Write(head); err != nil {
		return ending{err: err, after: time.Since(start)}
	}
	buf := make([]byte, 512)
	for {
		conn.SetReadDeadline(time.Now().Add(tick))
		n, err := conn.Read(buf)
		if n > 0 || err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return ending{got: n, err: err, after: time.Since(start)}
		}
		if time.Since(start) > ioTimeout {
			return ending{err: err, after: time.Since(start)}
		}
		conn.Write([]byte("x")) // fails once the server has closed; the next read says so
	}
}

// 200 slowloris connections on ch04/http, each sending a byte every 50 ms, are all closed at the
// header timeout, counted from their connect, without an answer, and each close is logged;
// meanwhile and afterwards a fresh client is served at once. (Without the timeout the server
// kept every one of them: chapters/runserver_timeouts_test.go shows what that costs at a
// descriptor limit.) Over TLS (ch06/https) the same with 50 connections and a longer timeout:
// the header timeout counts from the accept, so the handshake, slower under -race, is inside it.
func TestFaultSlowlorisClosedByHeaderTimeout(t *testing.T) {
	for _, c := range []struct {
		id      string
		n       int
		timeout time.Duration
	}{{"ch04/http", 200, faultTimeout}, {"ch06/https", 50, 4 * faultTimeout}} {
		t.Run(c.id, func(t *testing.T) { slowlorisHeaderTimeout(t, lookup(t, c.id), c.n, c.timeout) })
	}
}

func slowlorisHeaderTimeout(t *testing.T, e catalog.Entry, n int, timeout time.Duration) {
	testutil.CheckLeaks(t)
	logs := testutil.DefaultLog(t) // the catalog's servers log there
	srv := startWith(t, e, catalog.Options{HeaderTimeout: timeout})
	endings := make(chan ending, n)
	for range n {
		start := time.Now()
		conn, err := dialFor(e, srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		go func() { endings <- slowloris(conn, 50*time.Millisecond, start) }()
	}
	getHelloFrom(t, e, srv.Addr(), fmt.Sprintf("while %d slowloris connections wait", n))
	var latest time.Duration
	for range n {
		end := <-endings
		if end.got != 0 || end.err != nil && !isReset(end.err) || end.after < timeout {
			t.Errorf("a slowloris connection ended with %d bytes, %v, after %v; want a close after %v",
				end.got, end.err, end.after, timeout)
		}
		latest = max(latest, end.after)
	}
	t.Logf("%d slowloris connections closed within %v of their connect (header timeout %v)", n, latest, timeout)
	getHelloFrom(t, e, srv.Addr(), "after the slowloris connections")
	if got := strings.Count(logs.String(), "request head took too long"); got != n {
		t.Errorf("%d closes for a slow head logged, want %d", got, n)
	}
}

// getHelloFrom fails the test unless GET / on e at addr answers Hello, world, on a connection of
// its own that it closes (over TLS for ch06/https).
func getHelloFrom(t *testing.T, e catalog.Entry, addr, when string) {
	t.Helper()
	scheme, tr := "http", &http.Transport{DisableKeepAlives: true}
	if e.TLS() {
		scheme, tr.TLSClientConfig = "https", insecureTLS()
	}
	client := &http.Client{Timeout: ioTimeout, Transport: tr}
	resp, err := client.Get(scheme + "://" + addr + "/")
	if err != nil {
		t.Fatalf("GET / %s: %v", when, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || string(body) != "Hello, world" {
		t.Fatalf("GET / %s: %s %q, %v", when, resp.Status, body, err)
	}
}

func isReset(err error) bool { return endOf(err) == EndReset }

// A keep-alive connection left idle after its answer is closed at the idle timeout, with EOF
// (over TLS, io.EOF: close_notify); the server goes on serving.
func TestFaultIdleKeepAliveClosed(t *testing.T) {
	for _, id := range []string{"ch04/http", "ch06/https"} {
		t.Run(id, func(t *testing.T) { idleKeepAlive(t, lookup(t, id)) })
	}
}

func idleKeepAlive(t *testing.T, e catalog.Entry) {
	testutil.CheckLeaks(t)
	srv := startWith(t, e, catalog.Options{IdleTimeout: faultTimeout})
	conn, err := dialFor(e, srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(ioTimeout))
	var start time.Time // before the last request, whose answer starts the idle timeout
	r := bufio.NewReader(conn)
	for range 3 {
		start = time.Now()
		if _, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	rest, err := io.ReadAll(r)
	if after := time.Since(start); len(rest) != 0 || err != nil || after < faultTimeout {
		t.Errorf("after its answers the idle connection got %q, %v after %v; want EOF after %v", rest, err, after, faultTimeout)
	}
	getHelloFrom(t, e, srv.Addr(), "after the idle connection closed")
}

// Every echo server from chapter 3 on takes an idle timeout. With one, a connection idle after
// its last line is closed at the timeout, its echoes all delivered first, while a connection
// that keeps sending lines stays open.
func TestFaultEchoIdleTimeout(t *testing.T) {
	for _, e := range echoEntries() {
		if e.Chapter() < 3 {
			continue
		}
		t.Run(e.ID, func(t *testing.T) {
			testutil.CheckLeaks(t)
			if e.ListenWith == nil {
				t.Fatalf("%s takes no idle timeout", e.ID)
			}
			tg := startWith(t, e, catalog.Options{IdleTimeout: faultTimeout}).target(e)
			quiet, busy := dial(t, tg, "quiet"), dial(t, tg, "busy")
			start := time.Now()
			quiet.sendString("the last line\n")
			quiet.expectString("the last line\n")
			closed := make(chan time.Duration, 1)
			go func() {
				quiet.end(EndClosed)
				closed <- time.Since(start)
			}()
			tick := time.NewTicker(faultTimeout / 4)
			defer tick.Stop()
			for begun := time.Now(); time.Since(begun) < 3*faultTimeout; <-tick.C {
				busy.sendString("still here\n")
				busy.expectString("still here\n")
			}
			if after := <-closed; after < faultTimeout {
				t.Errorf("the idle connection closed %v after its last line, before the %v idle timeout", after, faultTimeout)
			}
			busy.sendString("kept open\n")
			busy.expectString("kept open\n")
		})
	}
}

// Line endings and empty lines as a real client sends them, through nc: a request whose lines
// end in bare LF is answered by ch04/http (RFC 9112 §2.2 lets a server accept them; before, it
// waited for CRLFCRLF for ever) and by net/http; so is one after empty lines, which ch04/http
// skips as the RFC recommends and as nginx does, while net/http skips them only after a POST and
// answers this first request 400.
func TestFaultLineEndingsWithNetcat(t *testing.T) {
	nc, err := exec.LookPath("nc")
	if err != nil {
		t.Skip("nc is not installed (apt-get install netcat-openbsd; CI installs it)")
	}
	flags := ncHalfCloseFlags(t, nc)
	requests := []struct {
		name, raw string
		want      map[string]string // server id: the status line's start
	}{
		{"bare LF", "GET / HTTP/1.1\nHost: x\nConnection: close\n\n",
			map[string]string{"ch04/http": "HTTP/1.1 200", "ch00/http": "HTTP/1.1 200"}},
		{"empty lines first", "\r\n\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			map[string]string{"ch04/http": "HTTP/1.1 200", "ch00/http": "HTTP/1.1 400"}},
	}
	for _, id := range []string{"ch04/http", "ch00/http"} {
		t.Run(id, func(t *testing.T) {
			testutil.CheckLeaks(t)
			srv := start(t, lookup(t, id))
			host, port, err := net.SplitHostPort(srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range requests {
				ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
				cmd := exec.CommandContext(ctx, nc, append(flags, host, port)...)
				cmd.Stdin = strings.NewReader(r.raw)
				out, err := cmd.Output()
				cancel()
				if err != nil {
					t.Fatalf("%s: nc: %v", r.name, err)
				}
				if !strings.HasPrefix(string(out), r.want[id]) {
					t.Errorf("%s: %s answered %q, want %s", r.name, id, out, r.want[id])
				}
				if r.want[id] == "HTTP/1.1 200" && !strings.HasSuffix(string(out), "Hello, world") {
					t.Errorf("%s: %s answered %q, want the helloworld body", r.name, id, out)
				}
			}
		})
	}
}
