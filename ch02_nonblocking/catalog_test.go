package nonblocking_test

import (
	"testing"
	"time"

	"tornadotcp/internal/catalog"
	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/testutil"
)

// Each chapter 2 id is in the catalog, listens, echoes and stops through the catalog's Server
// interface, as `chapters run`, the conformance suite and the benchmarks use it.
func TestCatalogEntries(t *testing.T) {
	for _, id := range []string{"ch02/busypoll", "ch02/select", "ch02/poll"} {
		t.Run(id, func(t *testing.T) {
			testutil.CheckLeaks(t)
			e, err := catalog.Lookup(id)
			if err != nil {
				t.Fatal(err)
			}
			if e.Summary == "" || e.Serialises || e.Chapter() != 2 {
				t.Errorf("entry %+v: want a summary, chapter 2, not serialising", e)
			}
			s, err := e.Listen("127.0.0.1:0")
			if err != nil {
				t.Fatalf("listen: %v", err)
			}
			served := make(chan error, 1)
			go func() { served <- s.Serve() }()
			c, err := echoclient.Dial(s.Addr(), 5*time.Second)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			c.Send([]byte("catalog\n"))
			if got, err := c.ReadLine(); err != nil || string(got) != "catalog\n" {
				t.Errorf("echo: %q, %v", got, err)
			}
			if err := s.Stop(); err != nil {
				t.Errorf("Stop: %v", err)
			}
			if err := <-served; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
}
