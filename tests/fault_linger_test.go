// Faults: data the server accepted must not be lost when the server ends the connection itself.
// A server that closes a socket with input still unread makes the kernel answer with a reset,
// and the reset can destroy answers already sent before the client reads them. So every server
// that ends a connection of its own accord (a line too long, Connection: close, HTTP/1.0, a
// refusal) first sends what it owes, then half-closes, reads and drops what the client still
// sends, and closes only at the client's EOF or at a bound of time or bytes: a lingering close.
// These tests run each case many times, because the loss is a race that a single try often
// misses, against every non-blocking server it applies to.

package tests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	nonblocking "tornadotcp/ch02_nonblocking"
	"tornadotcp/internal/catalog"
	"tornadotcp/internal/testutil"
)

// lingerEntries is every catalog server of the given protocols ("" for echo, "http", and over
// TLS "tls-echo", "https") from chapter 2 on: the blocking servers of chapter 1 and the
// references of chapter 0 are not under test.
func lingerEntries(protocols ...string) []catalog.Entry {
	var out []catalog.Entry
	for _, e := range catalog.All() {
		if slices.Contains(protocols, e.Protocol) && e.Chapter() >= 2 {
			out = append(out, e)
		}
	}
	return out
}

// lingerWait bounds every wait of these tests for something the server owes.
const lingerWait = 10 * time.Second

// A client sends 2 MiB of lines and then a line longer than 64 KiB, reading the echoes while it
// sends. The server must echo all 2 MiB and then end with EOF; the client's writes, including
// the rest of the long line, must all be taken (drained), not refused with a reset. Without the
// lingering close the client got 0.3 to 2.0 MiB and then a reset, in 5 tries of 5.
func TestFaultLingerEchoLineTooLong(t *testing.T) {
	lines := testutil.Lines(2<<20/64, 64)
	long := bytes.Repeat([]byte("x"), 96<<10)
	for _, e := range lingerEntries("", "tls-echo") {
		t.Run(e.ID, func(t *testing.T) {
			testutil.CheckLeaks(t)
			srv := start(t, e)
			other := dialEchoConn(t, e, srv.Addr())
			testutil.Echo(t, other, "before\n")
			const tries = 8
			clean := 0
			for i := range tries {
				// Every other client half-closes once it has sent everything, before it has
				// read all its echoes: its FIN then reaches a server that is still draining.
				if err := echoThenTooLong(e, srv.Addr(), lines, long, i%2 == 1); err != nil {
					t.Error(err)
					continue
				}
				clean++
			}
			t.Logf("%d of %d tries received every echo and then EOF", clean, tries)
			testutil.Echo(t, other, "after\n")
			testutil.Echo(t, dialEchoConn(t, e, srv.Addr()), "a new client\n")
		})
	}
}

// halfCloser is a connection that can end its sending side: TCP's FIN, TLS's close_notify.
type halfCloser interface{ CloseWrite() error }

// echoThenTooLong is one try: it returns what went wrong, or nil.
func echoThenTooLong(e catalog.Entry, addr string, lines, long []byte, halfClose bool) error {
	c, err := dialFor(e, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(lingerWait))
	sent := make(chan error, 1)
	go func() {
		_, err := c.Write(lines)
		if err == nil {
			_, err = c.Write(long)
		}
		if err == nil && halfClose {
			err = c.(halfCloser).CloseWrite()
		}
		sent <- err
	}()
	got, err := io.ReadAll(c)
	if serr := <-sent; serr != nil {
		return fmt.Errorf("sending: %w (the server reset the connection instead of draining it)", serr)
	}
	switch {
	case err != nil:
		return fmt.Errorf("after %d of the %d bytes of echoes owed: %w, want EOF", len(got), len(lines), err)
	case !bytes.Equal(got, lines):
		return fmt.Errorf("got %d bytes of echoes before EOF, want the %d bytes of lines sent", len(got), len(lines))
	}
	return nil
}

// The HTTP cases: a request that ends the connection (Connection: close, or HTTP/1.0) followed
// by 200 KiB more pipelined requests, the client reading only once it has sent them all, or
// while it sends, or after its FIN; 2,000 pipelined keep-alive requests ending with one
// Connection: close and 200 KiB more; a refusal followed by 200 KiB. Each answer owed must
// arrive, then EOF. Without the lingering close no try of the first four ended cleanly, and a
// client that sent everything before reading often lost its one answer.
func TestFaultLingerHTTPConnectionClose(t *testing.T) {
	get := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	more := strings.Repeat(get, 200<<10/len(get))
	closing := "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	cases := []struct {
		name    string
		request string
		answers int
		tries   int
		client  httpClientKind
	}{
		{"Connection: close, then 200 KiB", closing + more, 1, 30, readsAfter},
		{"HTTP/1.0, then 200 KiB", "GET / HTTP/1.0\r\n\r\n" + more, 1, 30, readsAfter},
		{"Connection: close, then 200 KiB, read meanwhile", closing + more, 1, 10, readsMeanwhile},
		{"Connection: close, then 200 KiB and FIN", closing + more, 1, 10, halfCloses},
		{"2,000 pipelined, the last Connection: close, then 200 KiB",
			strings.Repeat(get, 2000) + closing + more, 2001, 5, readsMeanwhile},
		{"refused, then 200 KiB", "NOT HTTP\r\n\r\n" + more, 1, 10, readsAfter},
	}
	for _, e := range lingerEntries("http", "https") {
		t.Run(e.ID, func(t *testing.T) {
			testutil.CheckLeaks(t)
			srv := start(t, e)
			other := newHTTPClient(t, e, srv.Addr())
			other.get(t)
			for _, tc := range cases {
				clean := 0
				for range tc.tries {
					err := httpUntilClose(e, srv.Addr(), tc.request, tc.answers, tc.client)
					if err != nil {
						t.Errorf("%s: %v", tc.name, err)
						continue
					}
					clean++
				}
				t.Logf("%s: %d of %d tries received every answer and then EOF", tc.name, clean, tc.tries)
			}
			other.get(t)
			newHTTPClient(t, e, srv.Addr()).get(t)
		})
	}
}

// httpClientKind is when a client of httpUntilClose reads.
type httpClientKind int

const (
	readsAfter     httpClientKind = iota // once it has sent everything
	readsMeanwhile                       // while it sends
	halfCloses                           // while it sends, and it sends its FIN at the end
)

// httpUntilClose sends request in one write, from another goroutine, and reads answers answers,
// then expects EOF. It returns what went wrong, or nil.
func httpUntilClose(e catalog.Entry, addr, request string, answers int, kind httpClientKind) error {
	c, err := dialFor(e, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(lingerWait))
	sent := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c, request)
		if err == nil && kind == halfCloses {
			err = c.(halfCloser).CloseWrite()
		}
		sent <- err
	}()
	var serr error
	if kind == readsAfter {
		serr = <-sent
	}
	err = readAnswers(bufio.NewReader(c), answers)
	if kind != readsAfter {
		serr = <-sent
	}
	if serr != nil && err == nil {
		err = fmt.Errorf("sending: %w (the server reset the connection instead of draining it)", serr)
	}
	return err
}

// readAnswers reads n HTTP responses from r, the last one marked Connection: close, then EOF.
func readAnswers(r *bufio.Reader, n int) error {
	for i := range n {
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			return fmt.Errorf("answer %d of %d: %w", i+1, n, err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("body of answer %d of %d: %w", i+1, n, err)
		}
		if last := i == n-1; last != resp.Close {
			return fmt.Errorf("answer %d of %d: Connection: close is %v", i+1, n, resp.Close)
		}
	}
	if b, err := r.ReadByte(); err != io.EOF {
		return fmt.Errorf("after %d answers: read %q, %v; want EOF", n, b, err)
	}
	return nil
}

// httpClient is a keep-alive connection that asks GET / and checks the helloworld answer.
type httpClient struct {
	c net.Conn
	r *bufio.Reader
}

func newHTTPClient(t testing.TB, e catalog.Entry, addr string) *httpClient {
	t.Helper()
	c, err := dialFor(e, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &httpClient{c: c, r: bufio.NewReader(c)}
}

func (h *httpClient) get(t testing.TB) {
	t.Helper()
	h.c.SetDeadline(time.Now().Add(lingerWait))
	if _, err := io.WriteString(h.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(h.r, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || string(body) != "Hello, world" {
		t.Fatalf("GET /: %s %q, %v", resp.Status, body, err)
	}
}

// The bounds, on every server at once (each waits for its time bound): a client that reads its
// last answer and EOF but neither closes nor stops sending is read from and ignored until the
// server's time bound (nonblocking.LingerTimeout), and meanwhile the server serves others; a
// client that floods is cut off once it has sent more than nonblocking.LingerMaxBytes, well
// before the time bound. The end shows on the client as a reset of its next write.
func TestFaultLingerBounds(t *testing.T) {
	testutil.CheckLeaks(t) // here, not in the subtests: they run in parallel
	for _, protocol := range []string{"", "http", "tls-echo", "https"} {
		for _, e := range lingerEntries(protocol) {
			t.Run(e.ID, func(t *testing.T) {
				t.Parallel()
				srv := start(t, e)
				t.Run("time", func(t *testing.T) { lingerTimeBound(t, e, srv.Addr()) })
				t.Run("bytes", func(t *testing.T) { lingerByteBound(t, e, srv.Addr()) })
			})
		}
	}
}

// endWithEOF makes the server end a new connection, reads what it owes and its EOF, and returns
// the connection, still open, and when the EOF came.
func endWithEOF(t *testing.T, e catalog.Entry, addr string) (net.Conn, time.Time) {
	t.Helper()
	c, err := dialFor(e, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(lingerWait))
	r := bufio.NewReader(c)
	if isHTTP(e) {
		_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if err == nil {
			err = readAnswers(r, 1)
		}
	} else {
		_, err = c.Write(append([]byte("owed\n"), bytes.Repeat([]byte("x"), 96<<10)...))
		if err == nil {
			var got []byte
			got, err = io.ReadAll(r)
			if err == nil && string(got) != "owed\n" {
				err = fmt.Errorf("got %q before EOF, want the one echo owed", got)
			}
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return c, time.Now()
}

func lingerTimeBound(t *testing.T, e catalog.Entry, addr string) {
	c, eof := endWithEOF(t, e, addr)
	// While c lingers, another client is served.
	if isHTTP(e) {
		newHTTPClient(t, e, addr).get(t)
	} else {
		testutil.Echo(t, dialEchoConn(t, e, addr), "while another lingers\n")
	}
	var err error
	testutil.WaitFor(t, "the server to close the lingering connection", func() bool {
		_, err = c.Write([]byte("x")) // taken and dropped while the server lingers
		return err != nil
	})
	took := time.Since(eof)
	if !peerGone(err) {
		t.Errorf("writing after the server's end: %v, want a reset or broken pipe", err)
	}
	if lo, hi := nonblocking.LingerTimeout/2, nonblocking.LingerTimeout+5*time.Second; took < lo || took > hi {
		t.Errorf("the server closed %v after its EOF, want about %v", took, nonblocking.LingerTimeout)
	}
	t.Logf("closed %v after EOF (bound %v)", took.Round(time.Millisecond), nonblocking.LingerTimeout)
}

func lingerByteBound(t *testing.T, e catalog.Entry, addr string) {
	c, eof := endWithEOF(t, e, addr)
	chunk := make([]byte, 64<<10)
	sent := 0
	var err error
	for err == nil && time.Since(eof) < lingerWait {
		var n int
		n, err = c.Write(chunk)
		sent += n
	}
	took := time.Since(eof)
	if !peerGone(err) {
		t.Fatalf("flooding after the server's end: %v after %d bytes, want a reset or broken pipe", err, sent)
	}
	if sent <= nonblocking.LingerMaxBytes {
		t.Errorf("the server took only %d bytes before it closed, want more than %d", sent, nonblocking.LingerMaxBytes)
	}
	if took >= nonblocking.LingerTimeout {
		t.Errorf("the flood was cut off after %v, at the time bound, not at the byte bound", took)
	}
	t.Logf("cut off after %d bytes, %v after EOF (bound %d bytes)", sent, took.Round(time.Millisecond), nonblocking.LingerMaxBytes)
}

// peerGone reports whether err says the server has closed the connection under the writer.
func peerGone(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
