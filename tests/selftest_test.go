// The suite tested: deliberately broken servers must fail the scenarios meant to catch them, and
// the harness's own logic (which chapter is previous, what the lesson changes) does what it says.
// A conformance check that passes every server proves nothing.

package tests

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tornadotcp/internal/catalog"
	"tornadotcp/internal/testutil"
)

// brokenServer serves each connection with handle, on Go's net package: concurrently, or one at a
// time when serial.
type brokenServer struct {
	ln     net.Listener
	serial bool
	handle func(net.Conn)
	mu     sync.Mutex
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

func listenBroken(serial bool, handle func(net.Conn)) func(string) (catalog.Server, error) {
	return func(hostport string) (catalog.Server, error) {
		ln, err := net.Listen("tcp", hostport)
		if err != nil {
			return nil, err
		}
		return &brokenServer{ln: ln, serial: serial, handle: handle, conns: make(map[net.Conn]bool)}, nil
	}
}

func (b *brokenServer) Addr() string { return b.ln.Addr().String() }

func (b *brokenServer) Serve() error {
	defer b.wg.Wait()
	for {
		c, err := b.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		b.mu.Lock()
		b.conns[c] = true
		b.mu.Unlock()
		b.wg.Add(1)
		serve := func() {
			defer b.wg.Done()
			b.handle(c)
			b.mu.Lock()
			delete(b.conns, c)
			b.mu.Unlock()
			c.Close()
		}
		if b.serial {
			serve()
		} else {
			go serve()
		}
	}
}

func (b *brokenServer) Stop() error {
	b.ln.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.conns {
		c.Close()
	}
	return nil
}

// copyEcho sends back bytes as they come: no lines, so no partial line held back and no limit.
// (Not io.Copy: between two TCP connections it splices through pipes that net keeps cached,
// which the leak check would count.)
func copyEcho(c net.Conn) { relay(c, func(p []byte) []byte { return p }) }

// dropCR loses every '\r', as a careless text-mode server would.
func dropCR(c net.Conn) {
	relay(c, func(p []byte) []byte { return bytes.ReplaceAll(p, []byte("\r"), nil) })
}

func relay(c net.Conn, change func([]byte) []byte) {
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if _, err := c.Write(change(buf[:n])); err != nil {
			return
		}
	}
}

// closeIdle echoes, but closes a connection that has been quiet for 50 ms: the server closes first.
func closeIdle(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}

// errorRecorder is a testing.TB whose errors are kept instead of failing the test, so a test
// can assert that a scenario failed.
type errorRecorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *errorRecorder) Helper() {}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *errorRecorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.errs) > 0
}

func TestSuiteCatchesBrokenServers(t *testing.T) {
	byName := make(map[string]scenario)
	for _, sc := range scenarios {
		byName[sc.name] = sc
	}
	cases := []struct {
		server     string
		serial     bool // the server serves one client at a time
		serialises bool // the catalog says so
		handle     func(net.Conn)
		scenario   string
		caught     string // in the first error the scenario must report
	}{
		{server: "no framing", handle: copyEcho, scenario: "split-across-writes", caught: `sent "pau" where nothing was due`},
		{server: "no framing", handle: copyEcho, scenario: "half-close", caught: "before EOF, want 11890 bytes"},
		{server: "no limit", handle: copyEcho, scenario: "line-too-long", caught: "ended open"},
		{server: "drops CR", handle: dropCR, scenario: "lines-in-one-packet", caught: `got "hello\n\n  spaces and\ttabs  \ncarriage return\n`},
		{server: "drops CR", handle: dropCR, scenario: "megabyte", caught: "waiting for 1048584 bytes"},
		{server: "closes idle", handle: closeIdle, scenario: "idle", caught: "must keep it open"},
		{server: "concurrent, listed as serialising", serialises: true, handle: copyEcho, scenario: "second-client", caught: "yet answered b"},
		{server: "serialising, not listed so", serial: true, handle: copyEcho, scenario: "second-client", caught: "did not answer b"},
	}
	for _, c := range cases {
		t.Run(c.server+"/"+c.scenario, func(t *testing.T) {
			testutil.CheckLeaks(t)
			e := catalog.Entry{ID: "ch99/broken", Listen: listenBroken(c.serial, c.handle), Serialises: c.serialises}
			srv := start(t, e)
			tg := srv.target(e)
			tg.wait = 500 * time.Millisecond // most failures here end in a wait; keep them short
			rec := &errorRecorder{TB: t}
			byName[c.scenario].run(rec, tg)
			if !rec.Failed() {
				t.Fatalf("scenario %s passed a server with a bug (%s)", c.scenario, c.server)
			}
			if !strings.Contains(rec.errs[0], c.caught) {
				t.Errorf("scenario %s failed for another reason than the bug (%s): %s", c.scenario, c.server, rec.errs[0])
			}
			t.Logf("caught: %s", rec.errs[0])
		})
	}
}

func TestPreviousChapter(t *testing.T) {
	entries := []catalog.Entry{{ID: "ch00/net"}, {ID: "ch01/iterative"}, {ID: "ch01/threaded"}, {ID: "ch03/epoll"}}
	ids := func(es []catalog.Entry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	for id, want := range map[string][]string{
		"ch00/net":      nil,
		"ch01/threaded": {"ch00/net"},
		"ch02/select":   {"ch01/iterative", "ch01/threaded"},
		"ch03/epoll":    {"ch01/iterative", "ch01/threaded"},
		"ch04/echo":     {"ch03/epoll"},
	} {
		if d := cmp.Diff(want, ids(previousChapter(entries, catalog.Entry{ID: id}))); d != "" {
			t.Errorf("previousChapter(%s) (-want +got):\n%s", id, d)
		}
	}
}

// TestSecondClientLesson checks that the lesson changes b's one event and nothing else, both
// ways, so that comparing ch01/iterative with ch00/net asserts exactly the expected difference.
func TestSecondClientLesson(t *testing.T) {
	concurrent := Transcript{Conns: []ConnLog{
		{Name: "a", Events: []string{`send "a1\n"`, answeredAtOnce}, End: EndEOF},
		{Name: "b", Events: []string{`send "b1\n"`, answeredAtOnce, `recv "b1\n"`}, End: EndEOF},
	}}
	serialised := Transcript{Conns: []ConnLog{
		{Name: "a", Events: []string{`send "a1\n"`, answeredAtOnce}, End: EndEOF},
		{Name: "b", Events: []string{`send "b1\n"`, keptWaiting, `recv "b1\n"`}, End: EndEOF},
	}}
	keep := cmp.Diff(concurrent, Transcript{Conns: append([]ConnLog(nil), concurrent.Conns...)})
	if d := cmp.Diff(serialised, secondClientLesson(concurrent, true)); d != "" {
		t.Errorf("to serialised (-want +got):\n%s", d)
	}
	if d := cmp.Diff(concurrent, secondClientLesson(serialised, false)); d != "" {
		t.Errorf("to concurrent (-want +got):\n%s", d)
	}
	if d := cmp.Diff(concurrent, secondClientLesson(concurrent, false)); d != "" {
		t.Errorf("a concurrent transcript for a concurrent server changed (-want +got):\n%s", d)
	}
	if keep != "" || concurrent.Conns[1].Events[1] != answeredAtOnce {
		t.Errorf("the lesson modified its argument")
	}
}

// TestCompareAssertsTheDifference feeds compare transcripts by hand: equal ones pass, any
// difference fails, and between a serialising and a concurrent server exactly the lesson's
// difference passes, and nothing more or less.
func TestCompareAssertsTheDifference(t *testing.T) {
	sc := scenario{name: "second-client", lesson: secondClientLesson}
	log := func(bEvent string, bEnd string) Transcript {
		return Transcript{Conns: []ConnLog{
			{Name: "a", Events: []string{`send "a1\n"`, `recv "a1\n"`}, End: EndEOF},
			{Name: "b", Events: []string{`send "b1\n"`, bEvent, `recv "b1\n"`}, End: bEnd},
		}}
	}
	ref := catalog.Entry{ID: "ch00/ref"}
	concurrent := catalog.Entry{ID: "ch01/concurrent"}
	serialising := catalog.Entry{ID: "ch01/serialising", Serialises: true}
	entries := []catalog.Entry{ref, concurrent, serialising}
	for _, c := range []struct {
		name  string
		e     catalog.Entry
		got   Transcript
		fails bool
	}{
		{"same", concurrent, log(answeredAtOnce, EndEOF), false},
		{"another end", concurrent, log(answeredAtOnce, EndReset), true},
		{"waits, not listed as serialising", concurrent, log(keptWaiting, EndEOF), true},
		{"the lesson", serialising, log(keptWaiting, EndEOF), false},
		{"listed as serialising, does not wait", serialising, log(answeredAtOnce, EndEOF), true},
		{"the lesson and another end", serialising, log(keptWaiting, EndReset), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			all := newTranscripts()
			all.put(ref.ID, sc.name, record{tr: log(answeredAtOnce, EndEOF)})
			rec := &errorRecorder{TB: t}
			all.compare(rec, entries, c.e, sc, c.got)
			if rec.Failed() != c.fails {
				t.Errorf("compare failed: %v, want %v; errors: %q", rec.Failed(), c.fails, rec.errs)
			}
		})
	}
}
