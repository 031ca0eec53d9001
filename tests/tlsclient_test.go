// Clients for chapter 6's TLS servers in the fault tests: a connection in the protocol a server
// speaks underneath its messages (TCP, or TLS with the handshake done), and one request and
// answer in either of its message protocols (echo, helloworld over HTTP/1.1).

package tests

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"tornadotcp/internal/catalog"
	"tornadotcp/internal/echoclient"
	"tornadotcp/internal/testutil"
)

// insecureTLS does not verify the demo's self-signed certificate: these tests are about faults,
// and chapter 6's own tests check verification.
func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }

// isHTTP says whether e answers HTTP requests, in plaintext or over TLS.
func isHTTP(e catalog.Entry) bool { return e.Protocol == "http" || e.Protocol == "https" }

// tlsEntries is every catalog server of the book that speaks TLS: chapter 6's, not the
// baselines on Go's net (ch00/tls, ch00/https), which the bench compares them with but which do
// not promise what the fault matrix checks (a handshake timeout, fairness between clients).
func tlsEntries() []catalog.Entry {
	var out []catalog.Entry
	for _, e := range catalog.All() {
		if e.TLS() && e.Chapter() >= 2 {
			out = append(out, e)
		}
	}
	return out
}

// dialFor connects to e at addr: TCP, or for a TLS server a TLS client whose handshake is done.
func dialFor(e catalog.Entry, addr string) (net.Conn, error) {
	raw, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil || !e.TLS() {
		return raw, err
	}
	c := tls.Client(raw, insecureTLS())
	c.SetDeadline(time.Now().Add(ioTimeout))
	if err := c.Handshake(); err != nil {
		raw.Close()
		return nil, fmt.Errorf("tls handshake: %w", err)
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// dialEchoConn is testutil.Dial for e: over TLS for a TLS server.
func dialEchoConn(t testing.TB, e catalog.Entry, addr string) *echoclient.Conn {
	t.Helper()
	if !e.TLS() {
		return testutil.Dial(t, addr)
	}
	c, err := echoclient.DialTLS(addr, insecureTLS(), ioTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(ioTimeout))
	return c
}

// peer is a connection that exchanges messages with e: lines with an echo server, GET / with an
// HTTP one (keep-alive).
type peer struct {
	c    net.Conn
	r    *bufio.Reader
	http bool
}

func dialPeer(e catalog.Entry, addr string) (*peer, error) {
	c, err := dialFor(e, addr)
	if err != nil {
		return nil, err
	}
	return &peer{c: c, r: bufio.NewReader(c), http: isHTTP(e)}, nil
}

// exchange sends message i and checks its answer, within ioTimeout.
func (p *peer) exchange(i int) error {
	p.c.SetDeadline(time.Now().Add(ioTimeout))
	if p.http {
		if _, err := io.WriteString(p.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return err
		}
		resp, err := http.ReadResponse(p.r, nil)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		if err == nil && (resp.StatusCode != 200 || string(body) != "Hello, world") {
			err = fmt.Errorf("answered %d %q, want 200 %q", resp.StatusCode, body, "Hello, world")
		}
		return err
	}
	line := fmt.Sprintf("line %d from a client beside the faults\n", i)
	if _, err := io.WriteString(p.c, line); err != nil {
		return err
	}
	got, err := p.r.ReadString('\n')
	if err == nil && got != line {
		err = fmt.Errorf("echoed %q, want %q", got, line)
	}
	return err
}
