// Faults of TLS, against chapter 6's servers: clients that are not TLS clients, handshakes cut
// short or left hanging, clients that vanish halfway through a record, all while other TLS
// clients are checked exchanging beside them; and the polite end of a TLS connection, which
// must send close_notify so that the client reads io.EOF, not a truncation.

package tests

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"tornadotcp/internal/badtls"
	"tornadotcp/internal/catalog"
	"tornadotcp/internal/testutil"
)

// tlsHandshakeTimeout is the handshake bound the servers are given here, so that the stalled
// handshakes are seen closed within the test.
const tlsHandshakeTimeout = time.Second

// tlsLoadClients is how many verified clients exchange beside the faults.
const tlsLoadClients = 8

// tlsFaultRounds is how many times each bad client comes, all of them at once in a round.
const tlsFaultRounds = 10

// TestFaultTLSBadClientsUnderLoad: while verified TLS clients exchange messages without a
// pause, every kind of bad client comes again and again. The ones that are not TLS clients, or
// send a handshake that does not parse, are closed with one warning each (3.2's "SSL Error");
// those that leave during the handshake or mid-record are dropped quietly; the stalled ones are
// closed by the handshake timer. Meanwhile every exchange of the good clients is answered
// exactly, and afterwards no descriptor or goroutine is left.
func TestFaultTLSBadClientsUnderLoad(t *testing.T) {
	hello, err := badtls.ClientHello()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tlsEntries() {
		t.Run(e.ID, func(t *testing.T) {
			testutil.CheckLeaks(t)
			logs := testutil.DefaultLog(t)
			srv := startWith(t, e, catalog.Options{HandshakeTimeout: tlsHandshakeTimeout})

			stop := make(chan struct{})
			var load sync.WaitGroup
			exchanges := make([]int, tlsLoadClients)
			for i := range tlsLoadClients {
				p, err := dialPeer(e, srv.Addr())
				if err != nil {
					t.Fatal(err)
				}
				defer p.c.Close()
				load.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						if err := p.exchange(exchanges[i]); err != nil {
							t.Errorf("good client %d, exchange %d, beside the faults: %v", i, exchanges[i], err)
							return
						}
						exchanges[i]++
					}
				})
			}

			var bad sync.WaitGroup
			for round := range tlsFaultRounds {
				for _, k := range badtls.Kinds {
					// The stalled ones wait for the handshake timer, with a margin for a
					// loaded machine.
					bad.Go(func() {
						if err := badtls.Play(srv.Addr(), k, hello, ioTimeout); err != nil {
							t.Errorf("round %d, %s: %v", round, k.Name, err)
						}
					})
				}
			}
			bad.Wait()
			close(stop)
			load.Wait()

			for i, n := range exchanges {
				if n == 0 {
					t.Errorf("good client %d made no exchange while the faults ran", i)
				}
			}
			if err := freshPeer(e, srv.Addr()); err != nil {
				t.Errorf("a new client after the faults: %v", err)
			}
			srv.stop(t)
			warned := 0
			for _, k := range badtls.Kinds {
				if !k.Quiet {
					warned += tlsFaultRounds
				}
			}
			if got := strings.Count(logs.String(), "SSL Error"); got != warned {
				t.Errorf("%d SSL Error warnings, want %d (one per client that is not TLS or sent a "+
					"handshake that does not parse, none for the rest); log:\n%.3000s", got, warned, logs)
			}
			t.Logf("%d kinds of bad client × %d rounds beside %d good clients (%v exchanges): every "+
				"good exchange answered, %d warnings", len(badtls.Kinds), tlsFaultRounds,
				tlsLoadClients, exchanges, warned)
		})
	}
}

// freshPeer has one exchange on a new connection.
func freshPeer(e catalog.Entry, addr string) error {
	p, err := dialPeer(e, addr)
	if err != nil {
		return err
	}
	defer p.c.Close()
	return p.exchange(0)
}

// recorder keeps the raw bytes a TLS client reads, so a test can see the records' types.
type recorder struct {
	net.Conn
	mu sync.Mutex
	in []byte
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.in = append(r.in, p[:n]...)
	r.mu.Unlock()
	return n, err
}

// types lists the content types of the records read so far.
func (r *recorder) types() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []byte
	for b := r.in; len(b) >= 5; {
		out = append(out, b[0])
		n := 5 + (int(b[3])<<8 | int(b[4]))
		if len(b) < n {
			break
		}
		b = b[n:]
	}
	return out
}

// dialRecorded is a TLS client of version v (0: either) over a recorder.
func dialRecorded(t *testing.T, addr string, v uint16) (*tls.Conn, *recorder) {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	rec := &recorder{Conn: raw}
	cfg := insecureTLS()
	cfg.MinVersion, cfg.MaxVersion = v, v
	c := tls.Client(rec, cfg)
	c.SetDeadline(time.Now().Add(lingerWait))
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	return c, rec
}

// TestFaultTLSCloseNotify: when the server ends a connection itself (a line too long for the
// echo server, Connection: close for HTTPS), its lingering close sends what it owes, then
// close_notify, then shuts down its side: the client reads everything and then io.EOF, never
// io.ErrUnexpectedEOF (a truncation). In TLS 1.2 the alert's record type is in the clear, so
// the test also sees that the last record is an alert; in TLS 1.3 it is hidden, and io.EOF is
// what the client can tell. The server keeps serving another client meanwhile.
func TestFaultTLSCloseNotify(t *testing.T) {
	for _, e := range tlsEntries() {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(fmt.Sprintf("%s/%s", e.ID, tls.VersionName(v)), func(t *testing.T) {
				testutil.CheckLeaks(t)
				srv := start(t, e)
				other, err := dialPeer(e, srv.Addr())
				if err != nil {
					t.Fatal(err)
				}
				defer other.c.Close()
				c, rec := dialRecorded(t, srv.Addr(), v)
				want := "owed\n"
				if isHTTP(e) {
					_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
					want = "Hello, world"
				} else {
					_, err = c.Write(append([]byte(want), bytes.Repeat([]byte("x"), 96<<10)...))
				}
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(c) // nil at io.EOF
				if err != nil {
					t.Fatalf("reading to the end: %v after %q, want io.EOF (close_notify)", err, got)
				}
				if !strings.HasSuffix(string(got), want) {
					t.Errorf("read %q before EOF, want it to end with %q", got, want)
				}
				types := rec.types()
				if v == tls.VersionTLS12 && (len(types) == 0 || types[len(types)-1] != badtls.RecordAlert) {
					t.Errorf("record types from the server %v, want an alert (%d) last", types, badtls.RecordAlert)
				}
				if err := other.exchange(1); err != nil {
					t.Errorf("another client after the close: %v", err)
				}
			})
		}
	}
}

// TestFaultTLSGracefulShutdown: a graceful shutdown ends an idle TLS connection with
// close_notify too (the client reads io.EOF), and one halfway through a message after the grace
// period.
func TestFaultTLSGracefulShutdown(t *testing.T) {
	for _, e := range tlsEntries() {
		t.Run(e.ID, func(t *testing.T) {
			testutil.CheckLeaks(t)
			srv := start(t, e)
			g, ok := srv.Server.(catalog.Graceful)
			if !ok {
				t.Fatalf("%s has no Shutdown", e.ID)
			}
			idle, rec := dialRecorded(t, srv.Addr(), tls.VersionTLS12)
			p := &peer{c: idle, r: bufio.NewReader(idle), http: isHTTP(e)}
			if err := p.exchange(0); err != nil {
				t.Fatal(err)
			}
			shut := make(chan error, 1)
			go func() { shut <- g.Shutdown(graceEndPeriod) }()
			rest, err := io.ReadAll(p.r)
			if err != nil || len(rest) != 0 {
				t.Errorf("an idle client at shutdown read %q, %v; want io.EOF (close_notify)", rest, err)
			}
			if types := rec.types(); len(types) == 0 || types[len(types)-1] != badtls.RecordAlert {
				t.Errorf("record types from the server %v, want an alert (%d) last", types, badtls.RecordAlert)
			}
			select {
			case err := <-shut:
				if err != nil {
					t.Errorf("Shutdown: %v", err)
				}
			case <-time.After(graceEndPeriod + lingerWait):
				t.Errorf("Shutdown did not return")
			}
		})
	}
}

// TestFaultTLSHalfClose is nc -N over TLS: a client sends two lines and then close_notify (its
// half-close); the echo server echoes both, then ends with close_notify: the client reads the
// lines and io.EOF. openssl s_client cannot play this part (at the end of its input it closes
// at once, racing the echoes); ch06_ssl's own test has it echo lines.
func TestFaultTLSHalfClose(t *testing.T) {
	for _, e := range tlsEntries() {
		if isHTTP(e) {
			continue
		}
		t.Run(e.ID, func(t *testing.T) {
			testutil.CheckLeaks(t)
			srv := start(t, e)
			c, rec := dialRecorded(t, srv.Addr(), tls.VersionTLS12)
			if _, err := io.WriteString(c, ncInput); err != nil {
				t.Fatal(err)
			}
			if err := c.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(c)
			if err != nil || string(got) != ncInput {
				t.Errorf("after its close_notify the client read %q, %v; want %q and io.EOF", got, err, ncInput)
			}
			if types := rec.types(); len(types) == 0 || types[len(types)-1] != badtls.RecordAlert {
				t.Errorf("record types from the server %v, want an alert (%d) last", types, badtls.RecordAlert)
			}
		})
	}
}

// TestFaultTLSIdleTimeout: the idle timeout ends an idle TLS connection with close_notify too,
// and the server keeps serving.
func TestFaultTLSIdleTimeout(t *testing.T) {
	for _, e := range tlsEntries() {
		t.Run(e.ID, func(t *testing.T) {
			testutil.CheckLeaks(t)
			srv := startWith(t, e, catalog.Options{IdleTimeout: faultTimeout})
			c, rec := dialRecorded(t, srv.Addr(), tls.VersionTLS12)
			p := &peer{c: c, r: bufio.NewReader(c), http: isHTTP(e)}
			if err := p.exchange(0); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			rest, err := io.ReadAll(p.r)
			if after := time.Since(start); err != nil || len(rest) != 0 || after < faultTimeout/2 {
				t.Errorf("an idle client read %q, %v after %v; want io.EOF (close_notify) after about %v",
					rest, err, after, faultTimeout)
			}
			if types := rec.types(); len(types) == 0 || types[len(types)-1] != badtls.RecordAlert {
				t.Errorf("record types from the server %v, want an alert (%d) last", types, badtls.RecordAlert)
			}
			if err := freshPeer(e, srv.Addr()); err != nil {
				t.Errorf("a new client after the idle one: %v", err)
			}
		})
	}
}
