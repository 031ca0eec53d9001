// Test helpers: a self-signed pair in a temporary directory, a TLS server on a loop of its own,
// and TLS clients from Go's crypto/tls that trust the pair.

package ssl

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"testing"
	"time"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
	"tornadotcp/internal/selfsigned"
	"tornadotcp/internal/testutil"
)

// pair writes a certificate and key to a test directory and returns the options for them and a
// pool that trusts the certificate.
func pair(t testing.TB) (Options, *x509.CertPool) {
	t.Helper()
	cert, key, err := selfsigned.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	return Options{CertFile: cert, KeyFile: key}, pool
}

// server is a chapter 4 server over TLS running on a loop of its own goroutine.
type server interface {
	Listen(port int, address string) error
	Addrs() []string
	Stop()
	CloseAllConnections()
}

// serve runs srv (made on loop) until the test ends and returns its address; the logs go to the
// returned buffer.
func serve(t testing.TB, newServer func(loop *ioloop.IOLoop, log *testutil.LogBuffer) (server, error)) (string, *testutil.LogBuffer) {
	t.Helper()
	loop, err := ioloop.New()
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.LogBuffer{}
	srv, err := newServer(loop, logs)
	if err != nil {
		loop.Close()
		t.Fatal(err)
	}
	if err := srv.Listen(0, "127.0.0.1"); err != nil {
		loop.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- loop.Start() }()
	t.Cleanup(func() {
		loop.AddCallback(func() {
			srv.Stop()
			srv.CloseAllConnections()
			loop.Stop()
		})
		if err := <-done; err != nil {
			t.Errorf("loop: %v", err)
		}
		loop.Close()
	})
	return srv.Addrs()[0], logs
}

// echoServer serves the echo protocol over TLS with o.
func echoServer(t testing.TB, o Options) (string, *testutil.LogBuffer) {
	return serve(t, func(loop *ioloop.IOLoop, logs *testutil.LogBuffer) (server, error) {
		o.Logger = logs.Logger()
		return NewEchoServer(o, tcpserver.WithIOLoop(loop), tcpserver.WithLogger(logs.Logger()))
	})
}

// dialTLS connects a crypto/tls client that trusts pool, with cfg's settings if given.
func dialTLS(t testing.TB, addr string, pool *x509.CertPool, cfg *tls.Config) *tls.Conn {
	t.Helper()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg.RootCAs, cfg.ServerName = pool, "localhost"
	d := &net.Dialer{Timeout: 10 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("tls dial %s: %v", addr, err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

// echoLines sends each line and reads it back.
func echoLines(t testing.TB, c net.Conn, lines ...string) {
	t.Helper()
	r := bufio.NewReader(c)
	for _, line := range lines {
		if _, err := c.Write([]byte(line)); err != nil {
			t.Fatalf("write %q: %v", line, err)
		}
		got, err := r.ReadString('\n')
		if err != nil || got != line {
			t.Fatalf("echo of %q: got %q, %v", line, got, err)
		}
	}
}

func writeFile(name string, data []byte) error { return os.WriteFile(name, data, 0o600) }
