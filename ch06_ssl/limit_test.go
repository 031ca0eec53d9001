// The limit on handshakes in flight: beyond MaxHandshakes, a new connection is closed at once;
// once the handshakes in flight end, connections are served again.

package ssl

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

func TestMaxHandshakes(t *testing.T) {
	testutil.CheckLeaks(t)
	o, pool := pair(t)
	o.MaxHandshakes = 2
	o.HandshakeTimeout = time.Minute // the stalled ones stay until the test lets them go
	addr, _ := echoServer(t, o)
	hello := clientHello(t)
	var stalled []net.Conn
	for range 2 {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(hello[:10]) // half a record: the handshake waits for the rest
		stalled = append(stalled, c)
	}
	extra, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	extra.SetDeadline(time.Now().Add(30 * time.Second))
	if n, err := extra.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("a third handshake: read %d, %v; want EOF (closed at accept)", n, err)
	}
	extra.Close()
	for _, c := range stalled {
		c.Close()
	}
	// The server learns of the two leaving at its next pass; until then a new client may be
	// refused too. Bounded retries, not a sleep.
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr,
			&tls.Config{RootCAs: pool, ServerName: "localhost"})
		if err == nil {
			echoLines(t, c, "served again\n")
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no handshake served after the stalled ones left: %v", err)
		}
	}
}
