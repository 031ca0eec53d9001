// SIGTERM to a real `chapters run` process while its clients are mid-transfer: every client with
// a bounded amount of work in flight gets all of it back and then EOF, idle clients are closed at
// once, the process exits 0 within its grace period, and a second signal stops it at once.

package tests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	nonblocking "tornadotcp/ch02_nonblocking"
	tcpserver "tornadotcp/ch04_tcpserver"
	"tornadotcp/internal/catalog"
	"tornadotcp/internal/testutil"
)

// gracefulClients is how many clients are mid-transfer when the signal comes.
const gracefulClients = 100

// gracefulPeriod is the -grace the servers get: far longer than the clients need, so a process
// that exits before it has drained nothing, and one that waits it out, are both caught.
const gracefulPeriod = 20 * time.Second

func TestFaultGracefulStop(t *testing.T) {
	exe, err := testutil.BuildChapters(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ch04/echo", "ch03/epoll", "ch02/poll", "ch06/tls-echo"} {
		t.Run(id, func(t *testing.T) { gracefulEcho(t, exe, id) })
	}
	t.Run("ch04/http", func(t *testing.T) { gracefulHTTP(t, exe) })
	t.Run("second signal", func(t *testing.T) { gracefulSecondSignal(t, exe) })
}

// gracefulEcho: each client has its first line echoed, then sends 1 MiB of lines without
// reading, more than the kernel's buffers hold on the way there and back, so the server has
// echoes owed and lines unread, and reads the first echo. Then SIGTERM: each must read every
// echo, then EOF. (A receive buffer made tiny with SO_RCVBUF would hold the server back with
// less, but on loopback it drops 64 KiB segments and stalls the transfer on retransmission
// timers.)
func gracefulEcho(t *testing.T, exe, id string) {
	testutil.CheckLeaks(t)
	e := lookup(t, id)
	p := startChapters(t, exe, "run", id, "-addr", "127.0.0.1:0", "-grace", gracefulPeriod.String())
	lines := testutil.Lines(10500, 100)
	var ready, finished sync.WaitGroup
	signalled := make(chan struct{})
	for i := range gracefulClients {
		ready.Add(1)
		finished.Go(func() { gracefulEchoClient(t, e, p.addr, i, lines, &ready, signalled) })
	}
	ready.Wait()
	start := p.signal(t, syscall.SIGTERM)
	p.waitDraining(t)
	close(signalled)
	finished.Wait()
	took := p.waitExit(t, gracefulPeriod)
	t.Logf("%s: %d clients × %d KiB in flight at SIGTERM; all received, exit 0 after %v",
		id, gracefulClients, len(lines)>>10, took.Sub(start).Round(time.Millisecond))
}

// gracefulEchoClient is one echo client of gracefulEcho. It calls ready.Done once, when its
// transfer is under way or it has failed, then waits for signalled.
func gracefulEchoClient(t *testing.T, e catalog.Entry, addr string, i int, lines []byte, ready *sync.WaitGroup,
	signalled <-chan struct{}) {
	var once sync.Once
	done := func() { once.Do(ready.Done) }
	defer done()
	c, err := dialFor(e, addr)
	if err != nil {
		t.Errorf("client %d: %v", i, err)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(4 * ioTimeout))
	r := bufio.NewReader(c)
	hello := fmt.Sprintf("hello %d\n", i)
	if _, err := io.WriteString(c, hello); err != nil {
		t.Errorf("client %d: %v", i, err)
		return
	}
	if got, err := r.ReadString('\n'); got != hello {
		t.Errorf("client %d: echo %q, %v", i, got, err)
		return
	}
	sent := make(chan error, 1)
	go func() { _, err := c.Write(lines); sent <- err }()
	first, err := r.ReadBytes('\n')
	if err != nil || !bytes.HasPrefix(lines, first) {
		t.Errorf("client %d: first echo %q, %v", i, first, err)
		return
	}
	done()
	<-signalled
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(append(first, rest...), lines) {
		t.Errorf("client %d: %d of %d bytes echoed, then %v; want all, then EOF",
			i, len(first)+len(rest), len(lines), err)
	}
	if err := <-sent; err != nil {
		t.Errorf("client %d: sending: %v", i, err)
	}
}

// gracefulHTTP: keep-alive clients each make three requests on one connection. Then the even
// ones send a fourth request with the start of a fifth (the server reads the fifth's first half
// with the fourth, which is answered): they are busy. The odd ones are idle. Then SIGTERM: an
// idle client must read EOF at once; a busy one ends its request and must get its answer, with
// Connection: close, then EOF.
func gracefulHTTP(t *testing.T, exe string) {
	testutil.CheckLeaks(t)
	p := startChapters(t, exe, "run", "ch04/http", "-addr", "127.0.0.1:0",
		"-grace", gracefulPeriod.String())
	const get = "GET / HTTP/1.1\r\nHost: tornadotcp\r\n"
	var ready, finished sync.WaitGroup
	signalled := make(chan struct{})
	for i := range gracefulClients {
		ready.Add(1)
		finished.Go(func() {
			var once sync.Once
			done := func() { once.Do(ready.Done) }
			defer done()
			c, err := net.DialTimeout("tcp", p.addr, ioTimeout)
			if err != nil {
				t.Errorf("client %d: %v", i, err)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(4 * ioTimeout))
			r := bufio.NewReader(c)
			ask := func(req string, wantClose bool) bool {
				if req != "" {
					if _, err := io.WriteString(c, req); err != nil {
						t.Errorf("client %d: %v", i, err)
						return false
					}
				}
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					t.Errorf("client %d: %v", i, err)
					return false
				}
				body, err := io.ReadAll(resp.Body)
				if err != nil || string(body) != "Hello, world" || resp.Close != wantClose {
					t.Errorf("client %d: %s %q (%v), Connection: close %v; want 200 Hello, world, close %v",
						i, resp.Status, body, err, resp.Close, wantClose)
					return false
				}
				return true
			}
			for range 3 {
				if !ask(get+"\r\n", false) {
					return
				}
			}
			busy := i%2 == 0
			if busy && !ask(get+"\r\n"+get, false) {
				return
			}
			done()
			<-signalled
			if busy && !ask("\r\n", true) {
				return
			}
			if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
				t.Errorf("client %d (busy %v): %q, %v; want EOF", i, busy, rest, err)
			}
		})
	}
	ready.Wait()
	start := p.signal(t, syscall.SIGTERM)
	p.waitDraining(t)
	close(signalled)
	finished.Wait()
	took := p.waitExit(t, gracefulPeriod)
	t.Logf("ch04/http: %d keep-alive clients, half of them mid-request at SIGTERM; exit 0 after %v",
		gracefulClients, took.Sub(start).Round(time.Millisecond))
}

// gracefulSecondSignal: a client that never ends its line keeps ch04/echo draining through a
// grace period of an hour; a second SIGTERM stops it at once, closing that client.
func gracefulSecondSignal(t *testing.T, exe string) {
	testutil.CheckLeaks(t)
	p := startChapters(t, exe, "run", "ch04/echo", "-addr", "127.0.0.1:0", "-grace", "1h")
	c := testutil.Dial(t, p.addr)
	testutil.Echo(t, c, "first\n")
	if err := c.Send([]byte("a line that never ends")); err != nil {
		t.Fatal(err)
	}
	p.signal(t, syscall.SIGTERM)
	p.waitDraining(t)
	start := p.signal(t, syscall.SIGINT)
	took := p.waitExit(t, ioTimeout)
	if rest, err := c.ReadToEOF(); err != nil || len(rest) != 0 {
		t.Errorf("the stalled client: %q, %v; want EOF", rest, err)
	}
	p.expectLog(t, "interrupt, stopping at once")
	t.Logf("exit 0 %v after the second signal", took.Sub(start).Round(time.Millisecond))
}

// chaptersProc is a `chapters` process, its address from the listening line, and its standard
// error, line by line.
type chaptersProc struct {
	cmd    *exec.Cmd
	addr   string
	stderr *gracefulLog
	exited chan error
}

// startChapters runs exe with args and waits for its listening line. The process is killed, if
// still running, when the test ends.
func startChapters(t *testing.T, exe string, args ...string) *chaptersProc {
	t.Helper()
	first := make(chan string, 1)
	p := &chaptersProc{
		cmd:    exec.Command(exe, args...),
		stderr: &gracefulLog{changed: make(chan struct{}, 1)},
		exited: make(chan error, 1),
	}
	p.cmd.Stdout = &gracefulLog{first: first}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		p.exited <- nil
	})
	select {
	case line := <-first:
		addr, ok := strings.CutPrefix(line, "listening on ")
		if !ok {
			t.Fatalf("first line %q", line)
		}
		p.addr = addr
	case err := <-p.exited:
		p.exited <- err
		t.Fatalf("%q exited (%v) before listening: %s", args, err, p.stderr)
	case <-time.After(ioTimeout):
		t.Fatalf("%q did not say where it listens within %v", args, ioTimeout)
	}
	return p
}

// signal sends sig and returns when it did.
func (p *chaptersProc) signal(t *testing.T, sig syscall.Signal) time.Time {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	return time.Now()
}

// waitExit waits at most d for the process to exit with status 0, and returns when it did.
func (p *chaptersProc) waitExit(t *testing.T, d time.Duration) time.Time {
	t.Helper()
	select {
	case err := <-p.exited:
		at := time.Now()
		p.exited <- err
		if err != nil {
			t.Errorf("exit: %v, want status 0; stderr:\n%s", err, p.stderr)
		}
		return at
	case <-time.After(d):
		t.Fatalf("still running %v after the signal; stderr:\n%s", d, p.stderr)
	}
	return time.Time{}
}

// waitDraining waits until the server has begun its graceful stop: it has said so, and closed
// its listener, which it does as it marks itself draining. From then on, what a client sends is
// served as the shutdown says; before, the server might not know of it yet.
func (p *chaptersProc) waitDraining(t *testing.T) {
	t.Helper()
	p.waitLog(t, "stopping gracefully")
	testutil.WaitFor(t, "the listener to close", func() bool {
		probe, err := net.DialTimeout("tcp", p.addr, ioTimeout)
		if err == nil {
			probe.Close()
		}
		return errors.Is(err, syscall.ECONNREFUSED)
	})
}

// waitLog waits until standard error has a line containing s.
func (p *chaptersProc) waitLog(t *testing.T, s string) {
	t.Helper()
	timeout := time.After(ioTimeout)
	for !strings.Contains(p.stderr.String(), s) {
		select {
		case <-p.stderr.changed:
		case <-timeout:
			t.Fatalf("no %q on standard error within %v:\n%s", s, ioTimeout, p.stderr)
		}
	}
}

// expectLog fails the test unless standard error has a line containing s.
func (p *chaptersProc) expectLog(t *testing.T, s string) {
	t.Helper()
	if !strings.Contains(p.stderr.String(), s) {
		t.Errorf("no %q on standard error:\n%s", s, p.stderr)
	}
}

// gracefulLog keeps what a process writes; it passes the first line to first, if set, and
// says on changed (without blocking) that more came.
type gracefulLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	first   chan string
	changed chan struct{}
}

func (l *gracefulLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if l.first != nil {
		if line, _, ok := strings.Cut(l.buf.String(), "\n"); ok {
			l.first <- line
			l.first = nil
		}
	}
	if l.changed != nil {
		select {
		case l.changed <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

func (l *gracefulLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// graceEndPeriod is the short grace of TestFaultGracefulEnd: its clients are still busy when it
// ends.
const graceEndPeriod = 300 * time.Millisecond

// graceEndClients is how many such clients each server has.
const graceEndClients = 4

// When the grace period ends, the connections still busy are ended with a lingering close, not a
// plain one: a plain close with input unread makes the kernel send a reset, and the client reads
// ECONNRESET instead of the answers in flight and EOF. Each client here never finishes: an echo
// client sends lines, each write ending halfway through a line, so it is never
// idle; an HTTP client, after a request answered, sends a body of MaxBodySize. Neither floods. Both read
// while they send, and must read everything the server sent, then EOF; their writes end with
// the server's close. Shutdown must return after the grace period and within the linger's bound.
func TestFaultGracefulEnd(t *testing.T) {
	testutil.CheckLeaks(t) // here, not in the subtests: they run in parallel
	for _, protocol := range []string{"", "http", "tls-echo", "https"} {
		for _, e := range lingerEntries(protocol) {
			t.Run(e.ID, func(t *testing.T) {
				t.Parallel()
				graceEnd(t, e)
				t.Run("Stop", func(t *testing.T) { graceEndStop(t, e) })
			})
		}
	}
}

func graceEnd(t *testing.T, e catalog.Entry) {
	srv := start(t, e)
	g, ok := srv.Server.(catalog.Graceful)
	if !ok {
		t.Fatalf("%s has no Shutdown", e.ID)
	}
	var ready sync.WaitGroup
	results := make(chan error, graceEndClients)
	for i := range graceEndClients {
		ready.Add(1)
		go func() {
			client := graceEndEcho
			if isHTTP(e) {
				client = graceEndHTTP
			}
			done := sync.OnceFunc(ready.Done)
			defer done()
			c, err := dialFor(e, srv.Addr())
			if err == nil {
				defer c.Close()
				c.SetDeadline(time.Now().Add(3 * lingerWait))
				err = client(c, done)
			}
			if err != nil {
				err = fmt.Errorf("client %d: %w", i, err)
			}
			results <- err
		}()
	}
	ready.Wait()
	begin := time.Now()
	if err := g.Shutdown(graceEndPeriod); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	took := time.Since(begin)
	for range graceEndClients {
		if err := <-results; err != nil {
			t.Error(err)
		}
	}
	if hi := graceEndPeriod + nonblocking.LingerTimeout + 5*time.Second; took < graceEndPeriod || took > hi {
		t.Errorf("Shutdown returned after %v, want between the grace period (%v) and %v",
			took, graceEndPeriod, hi)
	}
	t.Logf("%s: %d busy clients at the end of a %v grace; every one read its answers, then EOF; Shutdown took %v",
		e.ID, graceEndClients, graceEndPeriod, took.Round(time.Millisecond))
}

// graceEndStop: a Stop during the lingering close that ends a grace period cuts it short. The
// client, halfway through a line or a request head when the grace period ends, reads EOF (the
// half-close) and then neither sends nor closes, so the server would drain it for
// LingerTimeout; after Stop, Shutdown returns at once.
func graceEndStop(t *testing.T, e catalog.Entry) {
	srv := start(t, e)
	g := srv.Server.(catalog.Graceful)
	c := dialEchoConn(t, e, srv.Addr())
	partial := "halfway through a line"
	if isHTTP(e) {
		partial = "GET / HTTP/1.1\r\nHost: x\r\n"
	} else {
		testutil.Echo(t, c, "first\n")
	}
	if err := c.Send([]byte(partial)); err != nil {
		t.Fatal(err)
	}
	shut := make(chan error, 1)
	go func() { shut <- g.Shutdown(graceEndPeriod) }()
	if rest, err := c.ReadToEOF(); err != nil || len(rest) != 0 {
		t.Fatalf("at the end of the grace period: %q, %v; want EOF", rest, err)
	}
	stopped := time.Now()
	if err := srv.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	select {
	case err := <-shut:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(lingerWait):
		t.Fatalf("Shutdown still running %v after Stop", lingerWait)
	}
	if took := time.Since(stopped); took >= nonblocking.LingerTimeout {
		t.Errorf("Shutdown returned %v after Stop, as if the linger had run its course (%v)",
			took, nonblocking.LingerTimeout)
	}
}

// graceEndEcho is an echo client of TestFaultGracefulEnd on c. It calls ready once its first line
// has been echoed, and returns what went wrong, or nil. It
// sends 16 KiB every 2 ms, each write ending halfway through a line, so it is never idle; that
// is 8 MB/s, a client that sends for ever but does not flood: the lingering close's byte bound
// (LingerMaxBytes) is for floods, and cuts a client off with a reset even before it has read
// its answers.
func graceEndEcho(c net.Conn, ready func()) error {
	block := testutil.Lines(256, 64) // the stream is block over and over
	if _, err := c.Write(block[:64]); err != nil {
		return err
	}
	first := make([]byte, 64)
	if _, err := io.ReadFull(c, first); err != nil {
		return fmt.Errorf("first echo: %w", err)
	}
	if _, err := c.Write(block[64:96]); err != nil {
		return err
	}
	ready()
	sent := make(chan error, 1)
	go func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		piece := append(block[96:], block[:96]...) // the stream from offset 96 on, a block at a time
		for {
			if _, err := c.Write(piece); err != nil {
				sent <- err
				return
			}
			<-tick.C
		}
	}()
	got, err := 64, error(nil)
	buf := make([]byte, 64<<10)
	last := byte('\n')
	for err == nil {
		var n int
		n, err = c.Read(buf)
		for i, b := range buf[:n] {
			if want := block[(got+i)%len(block)]; b != want {
				return fmt.Errorf("echo byte %d is %q, want %q", got+i, b, want)
			}
		}
		if n > 0 {
			got, last = got+n, buf[n-1]
		}
	}
	if err != io.EOF {
		return fmt.Errorf("after %d bytes of echoes: %w, want EOF", got, err)
	}
	if last != '\n' {
		return fmt.Errorf("the %d bytes of echoes end halfway through a line", got)
	}
	if err := <-sent; !peerGone(err) {
		return fmt.Errorf("sending: %v, want the server's close to end it", err)
	}
	return nil
}

// graceEndHTTP is an HTTP client of TestFaultGracefulEnd on c: a request answered, then a POST whose
// body of MaxBodySize it sends 8 KiB at a time, every 40 ms (5 s in all), so it is still sending
// when the grace period and the lingering close after it end. It reads while it sends; the
// server owes it no answer for the POST.
func graceEndHTTP(c net.Conn, ready func()) error {
	r := bufio.NewReader(c)
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil || resp.Close {
		return fmt.Errorf("the first answer: %v, Connection: close %v; want keep-alive", err, resp.Close)
	}
	head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", tcpserver.MaxBodySize)
	if _, err := io.WriteString(c, head); err != nil {
		return err
	}
	ready()
	sent := make(chan error, 1)
	go func() {
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		piece := make([]byte, 8<<10)
		for left := tcpserver.MaxBodySize; left > 0; left -= len(piece) {
			if _, err := c.Write(piece[:min(len(piece), left)]); err != nil {
				sent <- err
				return
			}
			<-tick.C
		}
		sent <- errors.New("the whole body went: the grace period did not end while it was sent")
	}()
	if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
		return fmt.Errorf("%q, then %v; want EOF", rest, err)
	}
	if err := <-sent; !peerGone(err) {
		return fmt.Errorf("sending: %v, want the server's close to end it", err)
	}
	return nil
}
