// The stop check every server of the book must pass.

package testutil

import (
	"fmt"
	"sync"
	"testing"

	"tornadotcp/internal/echoclient"
)

// Server is what a chapter's server offers (the catalog's contract, restated here so that a
// chapter's own tests can use this package without an import cycle through the catalog).
type Server interface {
	Addr() string
	Serve() error
	Stop() error
}

// CheckStopWithClients serves s, connects three clients and has each echoed, then calls Stop
// twice at once from two goroutines. Stop must return only once Serve has closed every
// descriptor the server owned: the process then holds fdsBefore (counted before s was made)
// plus the clients' own. Serve must return nil, each client must read an orderly EOF, and a
// third Stop must be harmless.
func CheckStopWithClients(t *testing.T, s Server, fdsBefore int) {
	t.Helper()
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	clients := []*echoclient.Conn{Dial(t, s.Addr()), Dial(t, s.Addr()), Dial(t, s.Addr())}
	for i, c := range clients {
		Echo(t, c, fmt.Sprintf("client %d\n", i))
	}

	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := s.Stop(); err != nil {
				t.Errorf("Stop: %v", err)
			}
		})
	}
	wg.Wait()
	if n := len(OpenFDs(t)); n != fdsBefore+len(clients) {
		t.Errorf("after Stop returned: %d descriptors open, want %d (the clients' own)", n, fdsBefore+len(clients))
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v, want nil after Stop", err)
	}
	for i, c := range clients {
		if rest, err := c.ReadToEOF(); err != nil || len(rest) != 0 {
			t.Errorf("client %d: %q, %v; want EOF", i, rest, err)
		}
	}
	if err := s.Stop(); err != nil {
		t.Errorf("Stop after Serve returned: %v", err)
	}
}
