// Tests of OSThreads, and of the threaded server's cost: one OS thread per connected client.

package blocking_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/testutil"
)

func TestOSThreads(t *testing.T) {
	self, err := blocking.OSThreads(0)
	if err != nil {
		t.Fatalf("OSThreads(0): %v", err)
	}
	if self < 1 {
		t.Errorf("OSThreads(0) = %d, want at least 1", self)
	}
	byPid, err := blocking.OSThreads(os.Getpid())
	if err != nil {
		t.Fatalf("OSThreads(own pid): %v", err)
	}
	if byPid < 1 {
		t.Errorf("OSThreads(%d) = %d, want at least 1", os.Getpid(), byPid)
	}
	if n, err := blocking.OSThreads(1 << 30); err == nil {
		t.Errorf("OSThreads of a pid that does not exist = %d, want an error", n)
	}
}

func TestThreadedHoldsOneOSThreadPerClient(t *testing.T) {
	if testutil.InFreshProcess(t) {
		return
	}
	testutil.CheckLeaks(t)
	const clients = 50
	srv := serve(t, blocking.NewThreaded)
	before, err := blocking.OSThreads(0)
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]*echoclient.Conn, clients)
	for i := range conns {
		conns[i] = testutil.Dial(t, srv.Addr())
		testutil.Echo(t, conns[i], fmt.Sprintf("client %d\n", i)) // then its goroutine waits in recv
	}
	// Each handler goes back to recv just after its echo; wait, within a bound, until the
	// threads are counted.
	var now int
	for deadline := time.Now().Add(ioTimeout); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if now, err = blocking.OSThreads(0); err != nil {
			t.Fatal(err)
		}
		if now-before >= clients-5 {
			break
		}
	}
	t.Logf("OS threads: %d before, %d with %d idle clients", before, now, clients)
	if now-before < clients-5 {
		t.Errorf("threads grew by %d with %d clients blocked in recv, want at least %d", now-before, clients, clients-5)
	}

	for _, c := range conns {
		c.Close()
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("Stop after the clients left: %v", err)
	}
	if err := srv.waitServe(t); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}
