// Package catalog lists every runnable server of the book under its id ("ch01/iterative"), so
// that the chapters command, the conformance suite in tests/ and the benchmarks all start the
// same servers the same way. A chapter adds its servers here, and nowhere else.
package catalog

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Server is what every chapter's server offers.
type Server interface {
	// Addr is the listening address, with the real port when port 0 was asked for.
	Addr() string
	// Serve runs the server until Stop, then returns nil once every connection is closed.
	Serve() error
	// Stop closes the listener and the connections; it may be called more than once.
	Stop() error
}

// Graceful is a Server that can also stop without dropping the work in hand, as net/http's
// Server.Shutdown and nginx's graceful quit do. The servers of chapter 2 onward have it; a
// caller that holds a Server asks with a type assertion and falls back on Stop.
type Graceful interface {
	Server
	// Shutdown stops accepting at once, closes the idle connections at once, lets the busy
	// ones finish for at most grace, then ends the rest with a lingering close bounded by the
	// linger time (2 s); it returns, as Stop does, once every descriptor is closed. A Stop meanwhile, from another goroutine, cuts the grace
	// short. What idle means is the protocol's: for an echo connection, nothing owed and no
	// partial line; for HTTP, a keep-alive connection between requests.
	Shutdown(grace time.Duration) error
}

// Entry describes one runnable server.
type Entry struct {
	ID      string // "chNN/variant"
	Summary string // one line for `chapters list`
	// Listen binds hostport and returns the server, not yet serving.
	Listen func(hostport string) (Server, error)
	// ListenWith is Listen with Options, for a server that takes some (see ListenOptions); nil
	// for one that takes none.
	ListenWith func(hostport string, opts Options) (Server, error)
	// Serialises is true where the lesson is that clients are served one at a time.
	Serialises bool
	// Protocol is what the server speaks: "" for the echo protocol, which the conformance
	// suite in tests/ checks; "tls-echo" for the echo protocol over TLS, which it checks with
	// TLS clients; "http" and "https" for the HTTP servers, which their chapters test with
	// HTTP clients.
	Protocol string
	// Procs is true for a server that runs in several processes and takes Options.Procs
	// (chapter 5). Its Serve supervises children; see ch05.go.
	Procs bool
}

// TLS reports whether the server speaks TLS (chapter 6's).
func (e Entry) TLS() bool { return e.Protocol == "tls-echo" || e.Protocol == "https" }

// Chapter is the chapter number in the id: 1 for "ch01/iterative".
func (e Entry) Chapter() int {
	var n int
	fmt.Sscanf(e.ID, "ch%d/", &n)
	return n
}

// entries holds every server; each chapter's file (ch01.go, ch02.go, ...) adds its own in init.
var entries []Entry

func register(e ...Entry) { entries = append(entries, e...) }

// listener adapts a chapter's constructor to Entry.Listen. On error it returns a nil Server, not
// a typed nil pointer wrapped in the interface, which would not compare equal to nil.
func listener[S Server](listen func(string) (S, error)) func(string) (Server, error) {
	return func(hostport string) (Server, error) {
		s, err := listen(hostport)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
}

// All returns every entry, ordered by id.
func All() []Entry {
	out := append([]Entry(nil), entries...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Lookup finds the entry for id, or says which ids exist.
func Lookup(id string) (Entry, error) {
	for _, e := range entries {
		if e.ID == id {
			return e, nil
		}
	}
	ids := make([]string, 0, len(entries))
	for _, e := range All() {
		ids = append(ids, e.ID)
	}
	return Entry{}, fmt.Errorf("unknown server id %q; known ids: %s (see 'go run ./chapters list')", id, strings.Join(ids, ", "))
}
