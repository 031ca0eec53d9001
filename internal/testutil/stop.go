// The stop check every server of the book must pass.

package testutil

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

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

// CheckResetDropped connects a client to addr that has a line echoed, sends a thousand more
// lines it will never read, and resets the connection (RST) with those echoes owed. The server
// must close that descriptor, go on serving another client, and log nothing (a client that
// resets is not an error worth a line): logs is what the server has logged.
func CheckResetDropped(t *testing.T, addr string, logs fmt.Stringer) {
	t.Helper()
	other := Dial(t, addr)
	Echo(t, other, "before\n")
	before := len(OpenFDs(t))

	c, err := echoclient.Dial(addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	Echo(t, c, "soon gone\n")
	c.Send(Lines(1000, 100)) // echoes the client will never read
	if err := c.Reset(); err != nil {
		t.Fatalf("reset: %v", err)
	}
	WaitFor(t, "the server to close the reset connection", func() bool {
		return len(OpenFDs(t)) == before
	})
	Echo(t, other, "after\n")
	if logs.String() != "" {
		t.Errorf("a reset by the client was logged: %s", logs)
	}
}

// ExpectRefused fails the test unless nothing listens at addr any more: a stopped server's
// listening socket is closed, so a dial is refused at once.
func ExpectRefused(t testing.TB, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("connected to %s; want connection refused", addr)
	}
	if !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("dial %s: %v; want connection refused", addr, err)
	}
}
