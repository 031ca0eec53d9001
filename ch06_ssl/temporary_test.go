// Pins the undocumented crypto/tls behaviour the transport relies on: a read error that is a
// net.Error with Temporary() true leaves the connection usable, and one with only Timeout() true
// is kept as the connection's permanent error (readRecordOrCCS in crypto/tls/conn.go, Go 1.26).
// If a Go release changes either, this test fails, and adapter.go's would-block must change.

package ssl

import (
	"crypto/tls"
	"net"
	"testing"
	"time"
)

// timeoutOnly is a net.Error that times out but is not temporary.
type timeoutOnly struct{}

func (timeoutOnly) Error() string   { return "timeout only" }
func (timeoutOnly) Timeout() bool   { return true }
func (timeoutOnly) Temporary() bool { return false }

// failOnce returns err from its next Read, once, when armed.
type failOnce struct {
	net.Conn
	err chan error
}

func (f *failOnce) Read(p []byte) (int, error) {
	select {
	case err := <-f.err:
		return 0, err
	default:
		return f.Conn.Read(p)
	}
}

func TestTemporaryKeepsConnection(t *testing.T) {
	o, pool := pair(t)
	cfg, err := o.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		err    error
		usable bool
	}{
		{"Temporary", errWouldBlock, true},
		{"TimeoutOnly", timeoutOnly{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			defer b.Close()
			f := &failOnce{Conn: b, err: make(chan error, 1)}
			srv := tls.Server(f, cfg)
			cli := tls.Client(a, &tls.Config{RootCAs: pool, ServerName: "localhost"})
			a.SetDeadline(time.Now().Add(10 * time.Second))
			b.SetDeadline(time.Now().Add(10 * time.Second))
			errc := make(chan error, 1)
			go func() { errc <- cli.Handshake() }()
			if err := srv.Handshake(); err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			f.err <- tc.err
			buf := make([]byte, 16)
			if _, err := srv.Read(buf); err != tc.err {
				t.Fatalf("first Read: %v, want the injected error", err)
			}
			go func() { cli.Write([]byte("hi")) }()
			n, err := srv.Read(buf)
			switch {
			case tc.usable && (err != nil || string(buf[:n]) != "hi"):
				t.Errorf("after a Temporary error: %q, %v; want \"hi\" (crypto/tls changed: the transport's would-block no longer works)", buf[:n], err)
			case !tc.usable && err == nil:
				t.Errorf("after a Timeout-only error, Read returned %q: crypto/tls no longer keeps it (update adapter.go's comment)", buf[:n])
			}
		})
	}
}
