// The harness: start a catalog server in-process, keep every transcript of the run, and compare
// each chapter's transcripts with the previous chapter's.

package tests

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tornadotcp/internal/catalog"
)

// scenario is one conversation with a server. run performs it against tg, checks the protocol's
// rules on the spot (t.Errorf) and returns the transcript for the cross-chapter comparison.
type scenario struct {
	name string
	run  func(t testing.TB, tg target) Transcript
	// lesson, where set, says how this scenario's transcript differs when a server serialises its
	// clients: it turns a transcript into the one a server with the given Serialises must give.
	lesson func(tr Transcript, serialises bool) Transcript
}

// target is the server a scenario talks to.
type target struct {
	addr  string
	entry catalog.Entry
	srv   *running
	wait  time.Duration // the bound on each wait for the server; ioTimeout unless a test lowers it
}

// running is a server started by the harness, serving on its own goroutine.
type running struct {
	catalog.Server
	served   chan error // receives Serve's result
	returned bool       // Serve's result has been received
}

// start listens on an ephemeral loopback port and serves on a new goroutine; the server is stopped
// when the test ends, and Serve must then return nil.
func start(t testing.TB, e catalog.Entry) *running {
	t.Helper()
	return startWith(t, e, catalog.Options{})
}

// startWith is start with options for the server.
func startWith(t testing.TB, e catalog.Entry, opts catalog.Options) *running {
	t.Helper()
	srv, err := e.ListenOptions("127.0.0.1:0", opts)
	if err != nil {
		t.Fatalf("%s: listen: %v", e.ID, err)
	}
	r := &running{Server: srv, served: make(chan error, 1)}
	go func() { r.served <- srv.Serve() }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop stops the server and waits, bounded, for Serve to return nil. Calling it again calls Stop
// again, which the catalog's contract says is harmless.
func (r *running) stop(t testing.TB) {
	t.Helper()
	if err := r.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if r.returned {
		return
	}
	select {
	case err := <-r.served:
		r.returned = true
		if err != nil {
			t.Errorf("Serve returned %v after Stop, want nil", err)
		}
	case <-time.After(ioTimeout):
		t.Errorf("Serve did not return within %v of Stop", ioTimeout)
	}
}

func (r *running) target(e catalog.Entry) target {
	return target{addr: r.Addr(), entry: e, srv: r, wait: ioTimeout}
}

// echoEntries is every catalog server that speaks the echo protocol, which is what the
// scenarios speak, in plaintext or over TLS ("tls-echo": the clients speak TLS, see dialEcho);
// a server of another protocol ("http", "https") is tested by its chapter.
func echoEntries() []catalog.Entry {
	var echo []catalog.Entry
	for _, e := range catalog.All() {
		if e.Protocol == "" || e.Protocol == "tls-echo" {
			echo = append(echo, e)
		}
	}
	return echo
}

// previousChapter returns the servers of the nearest lower chapter present in entries: the ones
// e's transcripts are compared with. Chapter 0 has none; it is the reference.
func previousChapter(entries []catalog.Entry, e catalog.Entry) []catalog.Entry {
	best := -1
	for _, p := range entries {
		if c := p.Chapter(); c < e.Chapter() && c > best {
			best = c
		}
	}
	var prev []catalog.Entry
	for _, p := range entries {
		if p.Chapter() == best {
			prev = append(prev, p)
		}
	}
	return prev
}

// record is one transcript of the run, and whether its scenario passed its own checks.
type record struct {
	tr     Transcript
	failed bool
}

// transcripts keeps every transcript of one test run, by server id and scenario, so each
// server's scenarios run once however many later chapters compare with them.
type transcripts struct {
	mu  sync.Mutex
	got map[string]record // key: id + " " + scenario
}

func newTranscripts() *transcripts { return &transcripts{got: make(map[string]record)} }

func (s *transcripts) put(id, sc string, r record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got[id+" "+sc] = r
}

func (s *transcripts) lookup(id, sc string) (record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.got[id+" "+sc]
	return r, ok
}

// of returns e's transcript of sc. One not run yet in this test run (a -run pattern left e out)
// is run now, on a server of its own, stopped before of returns.
func (s *transcripts) of(t testing.TB, e catalog.Entry, sc scenario) record {
	t.Helper()
	if r, ok := s.lookup(e.ID, sc.name); ok {
		return r
	}
	t.Logf("%s has not run %s yet in this test run: running it now, to compare with", e.ID, sc.name)
	ref := &prefixed{TB: t, prefix: e.ID + ", the reference: "}
	srv := start(ref, e)
	tr := sc.run(ref, srv.target(e))
	srv.stop(ref)
	r := record{tr: tr, failed: ref.Failed()}
	s.put(e.ID, sc.name, r)
	return r
}

// compare checks got, e's transcript of sc, against that of every server of the previous chapter
// in entries. Where exactly one of the two serialises its clients and the scenario has a lesson,
// the expected difference is applied to the earlier transcript first: the difference is
// asserted, not skipped, and any other difference fails.
func (s *transcripts) compare(t testing.TB, entries []catalog.Entry, e catalog.Entry, sc scenario, got Transcript) {
	t.Helper()
	for _, p := range previousChapter(entries, e) {
		ref := s.of(t, p, sc)
		want := ref.tr
		if p.Serialises != e.Serialises && sc.lesson != nil {
			want = sc.lesson(ref.tr, e.Serialises)
			if cmp.Equal(want, ref.tr) {
				t.Errorf("the lesson of %s changed nothing in %s's transcript", sc.name, p.ID)
			}
			t.Logf("%s differs from %s as the lesson says (-%s +%s):\n%s", e.ID, p.ID, p.ID, e.ID, cmp.Diff(ref.tr, want))
		}
		if d := cmp.Diff(want, got); d != "" {
			note := ""
			if ref.failed {
				note = " (" + p.ID + " failed this scenario too)"
			}
			t.Errorf("%s's transcript of %s differs from %s's%s (-%s +%s):\n%s", e.ID, sc.name, p.ID, note, p.ID, e.ID, d)
		}
	}
}

// prefixed is a testing.TB that says whose errors these are, and remembers whether there were any.
type prefixed struct {
	testing.TB
	prefix string
	mu     sync.Mutex
	failed bool
}

func (p *prefixed) Errorf(format string, args ...any) {
	p.TB.Helper()
	p.mu.Lock()
	p.failed = true
	p.mu.Unlock()
	p.TB.Errorf(p.prefix+format, args...)
}

func (p *prefixed) Failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}
