package catalog

import (
	"strings"
	"testing"

	"tornadotcp/internal/testutil"
)

// Every entry has a unique id of the form chNN/variant, a summary, and the chapter its id names;
// only the HTTP servers speak another protocol, and only ch01/iterative serialises its clients.
func TestEntries(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range All() {
		if seen[e.ID] {
			t.Errorf("%s registered twice", e.ID)
		}
		seen[e.ID] = true
		chapter, variant, ok := strings.Cut(e.ID, "/")
		if !ok || len(chapter) != 4 || !strings.HasPrefix(chapter, "ch") || variant == "" {
			t.Errorf("id %q is not chNN/variant", e.ID)
		}
		if e.Summary == "" {
			t.Errorf("%s has no summary", e.ID)
		}
		if e.Serialises != (e.ID == "ch01/iterative") {
			t.Errorf("%s: Serialises = %v", e.ID, e.Serialises)
		}
		if wantHTTP := strings.HasSuffix(e.ID, "/http"); wantHTTP != (e.Protocol == "http") {
			t.Errorf("%s: protocol %q", e.ID, e.Protocol)
		}
		if wantTLS := strings.HasPrefix(e.ID, "ch06/") || e.ID == "ch00/tls" || e.ID == "ch00/https"; wantTLS != e.TLS() {
			t.Errorf("%s: protocol %q", e.ID, e.Protocol)
		}
	}
	for id, chapter := range map[string]int{
		"ch00/net": 0, "ch01/iterative": 1, "ch01/threaded": 1, "ch02/busypoll": 2,
		"ch02/select": 2, "ch02/poll": 2, "ch03/epoll": 3, "ch03/poll": 3, "ch04/echo": 4,
		"ch04/http": 4,
	} {
		e, err := Lookup(id)
		if err != nil {
			t.Errorf("Lookup(%q): %v", id, err)
			continue
		}
		if e.Chapter() != chapter {
			t.Errorf("%s: Chapter() = %d, want %d", id, e.Chapter(), chapter)
		}
	}
}

// An unknown id is an error that lists the ids there are.
func TestLookupUnknown(t *testing.T) {
	_, err := Lookup("ch99/nope")
	if err == nil {
		t.Fatal("Lookup of an unknown id succeeded")
	}
	for _, want := range []string{`"ch99/nope"`, "ch01/iterative", "ch04/http", "chapters list"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v: does not say %s", err, want)
		}
	}
}

// Each echo entry listens, echoes and stops through the Server interface, as `chapters run`, the
// conformance suite in tests/ and the benchmarks use it.
func TestEchoEntriesServeAndStop(t *testing.T) {
	for _, e := range All() {
		if e.Protocol != "" {
			continue
		}
		t.Run(e.ID, func(t *testing.T) {
			testutil.CheckLeaks(t)
			s, err := e.Listen("127.0.0.1:0")
			if err != nil {
				t.Fatalf("listen: %v", err)
			}
			served := make(chan error, 1)
			go func() { served <- s.Serve() }()
			testutil.Echo(t, testutil.Dial(t, s.Addr()), "catalog\n")
			if err := s.Stop(); err != nil {
				t.Errorf("Stop: %v", err)
			}
			if err := <-served; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
}
